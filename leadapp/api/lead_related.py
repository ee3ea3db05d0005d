"""What hangs off a lead over JSON: contacts, comments, attachments, the timeline; and the
look-ups clients need to resolve ids (fields, pipelines, loss reasons, users)."""

from __future__ import annotations

from typing import Any

from flask import Response, request, send_file
from sqlalchemy import func, select

from ..auth.models import User
from ..companies.models import Contact
from ..errors import DomainError
from ..extensions import db
from ..leads import attachments as files
from ..leads import services
from ..leads.models import Attachment, Comment, Lead
from ..pipeline.models import LossReason, Pipeline
from . import lead_fields
from .lead_input import contact_ids
from .lead_serializers import (
    activity_to_dict,
    attachment_to_dict,
    comment_to_dict,
    contact_to_dict,
    ref,
    stage_ref,
)
from .leads import actor, domain_error, load_lead, require
from .request import parse_bool, parse_id, read_body
from .responses import api_abort, json_response, ok, validation_failed
from .routes import bp


def _contacts(lead: Lead) -> Response:
    db.session.refresh(lead)
    return json_response({"data": [contact_to_dict(link) for link in lead.contact_links]})


# ---- contacts (Bitrix24's crm.lead.contact.*) --------------------------------------------------

@bp.get("/leads/<lead_id>/contacts")
def list_lead_contacts(lead_id: str) -> Response:
    return _contacts(load_lead(lead_id))


@bp.put("/leads/<lead_id>/contacts")
def set_lead_contacts(lead_id: str) -> Response:
    """{"contacts": [ids]}: exactly these contacts, the first primary."""
    require("leads.edit", "edit leads")
    lead = load_lead(lead_id)
    errors: dict[str, str] = {}
    ids = contact_ids(read_body(), errors)
    if ids is None and not errors:
        errors["contacts"] = "Send {\"contacts\": [ids]}, the first one primary."
    if errors:
        return validation_failed(errors)
    try:
        services.set_lead_contacts(lead, ids or [], actor())
    except DomainError as error:
        return domain_error(error)
    return _contacts(lead)


def _contact(raw_id: str) -> Contact:
    contact_id = parse_id(raw_id)
    contact = db.session.get(Contact, contact_id) if contact_id else None
    if contact is None:
        api_abort(404, "No contact with that id.")
    return contact  # type: ignore[return-value]


@bp.post("/leads/<lead_id>/contacts/<contact_id>")
def bind_lead_contact(lead_id: str, contact_id: str) -> Response:
    """Link a contact (the first becomes primary); {"primary": true} makes it the primary."""
    require("leads.edit", "edit leads")
    lead, contact = load_lead(lead_id), _contact(contact_id)
    primary = parse_bool(read_body().get("primary", False))
    if primary is None:
        return validation_failed({"primary": "primary must be true or false."})
    link = next((item for item in lead.contact_links if item.contact_id == contact.id), None)
    try:
        if link is None:
            link = services.add_lead_contact(lead, contact, {}, actor())
        if primary and not link.is_primary:
            services.set_primary_contact(lead, link.id, actor())
    except DomainError as error:
        return domain_error(error)
    return _contacts(lead)


@bp.delete("/leads/<lead_id>/contacts/<contact_id>")
def unbind_lead_contact(lead_id: str, contact_id: str) -> Response:
    require("leads.edit", "edit leads")
    lead, contact = load_lead(lead_id), _contact(contact_id)
    link = next((item for item in lead.contact_links if item.contact_id == contact.id), None)
    if link is None:
        api_abort(404, "That contact is not linked to this lead.")
    try:
        services.remove_lead_contact(lead, link.id, actor())  # type: ignore[union-attr]
    except DomainError as error:
        return domain_error(error)
    return _contacts(lead)


# ---- comments ---------------------------------------------------------------------------------

def _body_text(errors: dict[str, str]) -> str:
    body = read_body().get("body")
    if not isinstance(body, str):
        errors["body"] = "Send the comment as {\"body\": \"text\"}."
        return ""
    return body


def _comment(lead: Lead, raw_id: str) -> Comment:
    comment_id = parse_id(raw_id)
    comment = db.session.get(Comment, comment_id) if comment_id else None
    if comment is None or comment.lead_id != lead.id:
        api_abort(404, "This lead has no comment with that id.")
    return comment  # type: ignore[return-value]


@bp.get("/leads/<lead_id>/comments")
def list_comments(lead_id: str) -> Response:
    lead = load_lead(lead_id)
    return json_response({"data": [comment_to_dict(item) for item in services.comments(lead)]})


@bp.post("/leads/<lead_id>/comments")
def add_comment(lead_id: str) -> Response:
    require("leads.create", "comment")
    lead = load_lead(lead_id)
    errors: dict[str, str] = {}
    body = _body_text(errors)
    if errors:
        return validation_failed(errors)
    try:
        comment = services.add_comment(lead, body, actor())
    except DomainError as error:
        return domain_error(error)
    return json_response({"status": True, "data": comment_to_dict(comment)}, 201)


@bp.put("/leads/<lead_id>/comments/<comment_id>")
def edit_comment(lead_id: str, comment_id: str) -> Response:
    lead = load_lead(lead_id)
    comment = _comment(lead, comment_id)
    # Who may edit is decided before the body is read, as for every other write.
    if not services.may_change_comment(actor(), comment):
        api_abort(403, "You can only edit your own comments.")
    errors: dict[str, str] = {}
    body = _body_text(errors)
    if errors:
        return validation_failed(errors)
    try:
        services.edit_comment(comment, body, actor())
    except DomainError as error:
        return domain_error(error)
    return json_response({"status": True, "data": comment_to_dict(comment)})


@bp.delete("/leads/<lead_id>/comments/<comment_id>")
def delete_comment(lead_id: str, comment_id: str) -> Response:
    lead = load_lead(lead_id)
    try:
        services.delete_comment(_comment(lead, comment_id), actor())
    except DomainError as error:
        return domain_error(error)
    return ok("Comment deleted.")


# ---- attachments ------------------------------------------------------------------------------

def _attachment(lead: Lead, raw_id: str) -> Attachment:
    attachment_id = parse_id(raw_id)
    attachment = db.session.get(Attachment, attachment_id) if attachment_id else None
    if attachment is None or attachment.lead_id != lead.id:
        api_abort(404, "This lead has no attachment with that id.")
    return attachment  # type: ignore[return-value]


@bp.get("/leads/<lead_id>/attachments")
def list_attachments(lead_id: str) -> Response:
    lead = load_lead(lead_id)
    rows = db.session.scalars(select(Attachment).where(Attachment.lead_id == lead.id)
                              .order_by(Attachment.created_at.desc(), Attachment.id.desc()))
    return json_response({"data": [attachment_to_dict(item) for item in rows]})


@bp.post("/leads/<lead_id>/attachments")
def upload_attachment(lead_id: str) -> Response:
    """multipart/form-data with the file in `file`."""
    # The role check comes first, like every other write: a read-only token learns nothing
    # about the upload format.
    require("leads.edit", "attach files to leads")
    lead = load_lead(lead_id)
    if request.mimetype != "multipart/form-data":
        return validation_failed({"file": "Send the file as multipart/form-data in the field "
                                          "`file`."})
    try:
        attachment = files.save_upload(lead, request.files.get("file"), actor())
    except DomainError as error:
        return domain_error(error)
    return json_response({"status": True, "data": attachment_to_dict(attachment)}, 201)


@bp.get("/leads/<lead_id>/attachments/<attachment_id>")
def download_attachment(lead_id: str, attachment_id: str) -> Response:
    attachment = _attachment(load_lead(lead_id), attachment_id)
    path = files.path_of(attachment)
    if not path.exists():
        api_abort(404, "The file of this attachment is missing on the server.")
    return send_file(path, mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.filename)


@bp.delete("/leads/<lead_id>/attachments/<attachment_id>")
def delete_attachment(lead_id: str, attachment_id: str) -> Response:
    lead = load_lead(lead_id)
    try:
        files.delete_attachment(lead, _attachment(lead, attachment_id), actor())
    except DomainError as error:
        return domain_error(error)
    return ok("Attachment deleted.")


# ---- timeline ---------------------------------------------------------------------------------

@bp.get("/leads/<lead_id>/activity")
def lead_activity(lead_id: str) -> Response:
    """The timeline, newest first, `page`/`per_page` (at most 100)."""
    lead = load_lead(lead_id)
    errors: dict[str, str] = {}
    page = _number("page", 1, 1, errors)
    per_page = min(_number("per_page", services.TIMELINE_PAGE, 1, errors), 100)
    if errors:
        return validation_failed(errors)
    rows, more = services.timeline(lead, page, per_page)
    return json_response({"data": [activity_to_dict(row) for row in rows],
                          "meta": {"page": page, "per_page": per_page, "has_more": more}})


def _number(key: str, default: int, minimum: int, errors: dict[str, str]) -> int:
    raw = request.args.get(key, "").strip()
    if not raw:
        return default
    if not raw.isdecimal() or len(raw) > 6 or int(raw) < minimum:
        errors[key] = f"{key} must be a whole number of at least {minimum}."
        return default
    return int(raw)


# ---- look-ups ---------------------------------------------------------------------------------

@bp.get("/leads/fields")
def lead_field_list() -> Response:
    """Every lead field: type, required, choices, label (Bitrix24's crm.lead.fields)."""
    return json_response({"data": lead_fields.describe(actor())})


@bp.get("/pipelines")
def list_pipelines() -> Response:
    pipelines = db.session.scalars(select(Pipeline).order_by(Pipeline.is_default.desc(),
                                                             Pipeline.name))
    return json_response({"data": [{**ref(pipeline), "is_default": pipeline.is_default,
                                    "stages": [{**stage_ref(stage),
                                                "probability": stage.probability}
                                               for stage in pipeline.stages]}
                                   for pipeline in pipelines]})


@bp.get("/loss_reasons")
def list_loss_reasons() -> Response:
    reasons = db.session.scalars(select(LossReason).order_by(LossReason.position,
                                                             LossReason.name))
    return json_response({"data": [{**ref(reason), "active": reason.active}
                                   for reason in reasons]})


@bp.get("/users")
def list_users() -> Response:
    users = db.session.scalars(select(User).where(User.active.is_(True))
                               .order_by(func.lower(User.name), User.email))
    return json_response({"data": [_user(user) for user in users]})


def _user(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.display_name, "email": user.email,
            "role": user.role.value}
