"""Leads over JSON (issue 12): list, create, read, update, trash/restore, move, convert.

Thin views on the `api` blueprint: parse with lead_query/lead_input, call the leads services,
answer with lead_serializers. Token auth, body limits and rate limits come from routes.py.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Response, g, request, url_for
from werkzeug.datastructures import FileStorage

from ..auth.models import User
from ..auth.permissions import can
from ..companies.models import Contact
from ..custom_fields import api as custom_fields_api
from ..errors import Conflict, DomainError, InvalidInput
from ..extensions import db
from ..leads import bulk, conversion, services
from ..leads.attachments import max_bytes as attachment_max_bytes
from ..leads.attachments import save_upload, too_big_message
from ..leads.models import Lead
from ..leads.scope import can_see_lead
from ..pipeline import services as pipeline_services
from ..pipeline.models import LossReason, Stage
from . import convert_input, lead_input, lead_query
from .idempotency import idempotent
from .lead_serializers import lead_summary, lead_to_dict
from .request import parse_id, read_body
from .responses import api_abort, fail, json_response, validation_failed
from .routes import bp

NOT_FOUND = "No lead with that id (or you may not see it)."


def actor() -> User:
    return g.api_user


def require(action: str, what: str) -> None:
    if not can(actor(), action):
        api_abort(403, f"The token's user ({actor().role.value}) may not {what}.")


def load_lead(raw_id: str, *, trashed: bool = False) -> Lead:
    """The lead, or 404 when missing, invisible to the token's user, or (not) in the trash."""
    lead_id = parse_id(raw_id)
    lead = db.session.get(Lead, lead_id) if lead_id else None
    if lead is None or not can_see_lead(actor(), lead):
        api_abort(404, NOT_FOUND)
    if (lead.deleted_at is not None) != trashed:  # type: ignore[union-attr]
        api_abort(404, "That lead is in the trash; restore it first." if not trashed
                  else "That lead is not in the trash.")
    return lead  # type: ignore[return-value]


def etag(lead: Lead) -> str:
    return f'"lead-{lead.id}-v{lead.version}"'


def lead_response(lead: Lead, status: int = 200, **headers: str) -> Response:
    return json_response({"status": True, "data": lead_to_dict(lead)}, status, ETag=etag(lead),
                         **headers)


def domain_error(error: DomainError, lead_id: int | None = None) -> Response:
    """422 with the field named, 409 with the current lead, others as they are."""
    if isinstance(error, Conflict) and lead_id is not None:
        db.session.rollback()
        db.session.expire_all()
        current = db.session.get(Lead, lead_id)
        if current is not None:
            return json_response({"status": False, "error": "conflict", "message": error.message,
                                  "data": lead_to_dict(current)}, 409, ETag=etag(current))
    if error.status == 422:
        return validation_failed({error.field or "lead": error.message})
    return fail(error.status, error.message)


def expected_version(lead: Lead, body: dict[str, Any]) -> int | None:
    """The version the client last saw: If-Match (our ETag) or `version` in the body."""
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        tags = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
        prefix = f"lead-{lead.id}-v"
        versions = [int(tag[len(prefix):]) for tag in tags
                    if tag.startswith(prefix) and tag[len(prefix):].isdecimal()]
        return versions[0] if versions else -1  # an ETag of something else is never current
    raw = body.get("version")
    if raw is None:
        return None
    if isinstance(raw, bool) or not str(raw).isdecimal():
        raise InvalidInput({"version": "version must be the whole number from the lead's "
                                       "last GET."})
    return int(raw)


# ---- list -----------------------------------------------------------------------------------

@bp.get("/leads")
def list_leads() -> Response:
    """Filtered, sorted, paged leads with the list page's counts."""
    list_request = lead_query.parse(request.args, actor())
    if list_request.errors:
        return validation_failed(list_request.errors)
    result = lead_query.run(list_request, actor())
    meta = {"total": result.total, "limit": list_request.limit, "offset": list_request.offset,
            "page": list_request.offset // list_request.limit + 1,
            "per_page": list_request.limit, "open_leads_count": result.open,
            "closed_leads_count": result.closed, "converted_leads_count": result.converted}
    custom = custom_fields_api.as_json_many(result.items)  # one query for the whole page
    return json_response({"data": [lead_summary(lead, custom[lead.id]) for lead in result.items],
                          "meta": meta})


# ---- create, read, update, delete --------------------------------------------------------------

@bp.post("/leads")
@idempotent
def create_lead() -> Response:
    """The lead form over JSON (or multipart with `attachments` files)."""
    require("leads.create", "create leads")
    body = read_body()
    custom = body.pop("custom_fields", None)
    try:
        values, sent_as = lead_input.form_values(body, actor())
        ids = lead_input.contact_ids(body, {}) or []
    except lead_input.BadInput as bad:
        return validation_failed(bad.errors)
    form = lead_input.lead_form(values, actor(), None)
    if not form.validate():
        return validation_failed(lead_input.form_errors(form, sent_as))
    uploads = request.files.getlist("attachments")
    refused = _refused_uploads(uploads)
    if refused:  # before the lead is saved: a refused file must not leave a lead behind
        return validation_failed(refused)
    try:
        data = {**form.data, **custom_fields_api.form_keys(custom, None)}
        lead = services.save_lead(None, data, actor())
        _link_more_contacts(lead, ids[1:])
        for upload in uploads:
            save_upload(lead, upload, actor())
    except DomainError as error:
        return domain_error(error)
    location = url_for("api.get_lead", lead_id=lead.id)
    return lead_response(lead, 201, Location=location)


def _refused_uploads(uploads: list[FileStorage]) -> dict[str, str]:
    """What save_upload would refuse (no name, empty, over the limit), found before anything is
    saved; each save_upload commits on its own, so a late refusal left the new lead behind."""
    for index, upload in enumerate(uploads):
        name = f"attachments.{index}"
        if not upload.filename:
            return {name: "Choose a file to upload."}
        upload.stream.seek(0, os.SEEK_END)
        size = upload.stream.tell()
        upload.stream.seek(0)
        if size == 0:
            return {name: f"The file {upload.filename} is empty."}
        if size > attachment_max_bytes():
            return {name: f"{upload.filename}: {too_big_message()}"}
    return {}


def _link_more_contacts(lead: Lead, contact_ids: list[int]) -> None:
    for contact_id in contact_ids:
        if all(link.contact_id != contact_id for link in lead.contact_links):
            services.add_lead_contact(lead, db.session.get(Contact, contact_id), {}, actor())


@bp.get("/leads/<lead_id>")
def get_lead(lead_id: str) -> Response:
    lead = load_lead(lead_id, trashed=request.args.get("deleted") in ("1", "true"))
    if request.headers.get("If-None-Match") == etag(lead):
        return Response(status=304, headers={"ETag": etag(lead)})
    return lead_response(lead)


def _edit_request(lead_id: str) -> tuple[Lead, dict[str, Any], Any, int | None]:
    """What a PUT or PATCH works on: the lead, its body without `custom_fields`, those, and
    the version the client expects (If-Match or `version`), checked in that order."""
    require("leads.edit", "edit leads")
    lead = load_lead(lead_id)
    body = read_body()
    custom = body.pop("custom_fields", None)
    return lead, body, custom, expected_version(lead, body)


@bp.put("/leads/<lead_id>")
def replace_lead(lead_id: str) -> Response:
    """The whole lead form again (company and contact included), optionally conditional."""
    lead, body, custom, version = _edit_request(lead_id)
    try:
        values, sent_as = lead_input.form_values(body, actor())
    except lead_input.BadInput as bad:
        return validation_failed(bad.errors)
    form = lead_input.lead_form(values, actor(), lead)
    if version is not None and version != lead.version:
        return domain_error(Conflict(services.STALE_MESSAGE), lead.id)
    if not form.validate():
        return validation_failed(lead_input.form_errors(form, sent_as))
    try:
        data = {**form.data, **custom_fields_api.form_keys(custom, lead), "version": version}
        services.require_editable(actor(), lead)
        services.save_lead(lead, data, actor())
    except DomainError as error:
        return domain_error(error, lead.id)
    return lead_response(lead)


@bp.patch("/leads/<lead_id>")
def update_lead(lead_id: str) -> Response:
    """Only the fields sent, each checked like its click-to-edit field; one commit."""
    lead, body, custom, version = _edit_request(lead_id)
    contact_errors: dict[str, str] = {}
    ids = lead_input.contact_ids(body, contact_errors)
    try:
        values = lead_input.patch_values(body, actor(), lead)
    except lead_input.BadInput as bad:
        return validation_failed({**bad.errors, **contact_errors})
    if contact_errors:  # refused here: update_fields would commit the other fields first
        return validation_failed(contact_errors)
    try:
        staged: dict[str, tuple[Any, Any]] = {}
        if custom is not None:  # staged first; update_fields commits both or neither
            if version is not None and version != lead.version:
                raise Conflict(services.STALE_MESSAGE)
            services.require_editable(actor(), lead)
            changed = custom_fields_api.stage_patch(lead, custom, actor())
            # Named as the page's click-to-edit names them in its lead.updated event.
            staged = {f"custom_fields.{key}": pair for key, pair in changed.items()}
            version = None
        # One lead.updated event with both kinds of change.
        services.update_fields(lead, values, version, actor(), staged)
        if ids is not None:
            services.set_lead_contacts(lead, ids, actor())
    except DomainError as error:
        return domain_error(error, lead.id)
    return lead_response(lead)


@bp.delete("/leads/<lead_id>")
def delete_lead(lead_id: str) -> Response:
    """To the trash (restorable with POST /api/leads/<id>/restore)."""
    require("leads.delete", "delete leads")
    lead = load_lead(lead_id)
    bulk.trash([lead.id], actor())
    return json_response({"status": True, "message": "Lead moved to the trash."})


@bp.post("/leads/<lead_id>/restore")
def restore_lead(lead_id: str) -> Response:
    require("leads.delete", "restore leads")
    lead = load_lead(lead_id, trashed=True)
    bulk.restore([lead.id], actor())
    db.session.expire_all()
    return lead_response(db.session.get(Lead, lead.id))


# ---- move and convert ---------------------------------------------------------------------------

def _stage(lead: Lead, raw: Any) -> Stage | None:
    """A stage of the lead's pipeline by id or name."""
    raw = lead_input._relation_id(raw)
    for stage in lead.pipeline.stages:
        if str(stage.id) == str(raw).strip() or stage.name.lower() == str(raw).strip().lower():
            return stage
    return None


def _loss_reason(raw: Any) -> tuple[LossReason | None, str]:
    raw = lead_input._relation_id(raw)
    if raw in (None, ""):
        return None, ""
    text = str(raw).strip()
    for reason in services.loss_reasons():
        if str(reason.id) == text or reason.name.lower() == text.lower():
            return reason, ""
    names = ", ".join(reason.name for reason in services.loss_reasons())
    return None, f"loss_reason must be the id or name of an active loss reason ({names})."


@bp.post("/leads/<lead_id>/move")
def move_lead(lead_id: str) -> Response:
    """{stage, position?, loss_reason?, closing_comment?}: the board's rules."""
    require("leads.edit", "move leads")
    lead = load_lead(lead_id)
    body = read_body()
    version = expected_version(lead, body)
    errors: dict[str, str] = {}
    stage = _stage(lead, body.get("stage"))
    if stage is None:
        names = ", ".join(item.name for item in lead.pipeline.stages)
        errors["stage"] = f"stage must be the id or name of a stage of “{lead.pipeline.name}” " \
                          f"({names})."
    reason, reason_error = _loss_reason(body.get("loss_reason"))
    if reason_error:
        errors["loss_reason"] = reason_error
    position = body.get("position")
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)
                                 or position < 0):
        errors["position"] = "position must be a whole number from 0 (the top of the column)."
    comment = body.get("closing_comment") or ""
    if not isinstance(comment, str):
        errors["closing_comment"] = "closing_comment must be a string."
    if errors:
        return validation_failed(errors)
    try:
        services.require_editable(actor(), lead)
        pipeline_services.change_stage(lead, stage, actor(), version=version, position=position,
                                       loss_reason=reason, closing_comment=comment.strip())
    except DomainError as error:
        return domain_error(error, lead.id)
    return lead_response(lead)


@bp.post("/leads/<lead_id>/convert")
@idempotent
def convert_lead(lead_id: str) -> Response:
    """The UI's atomic conversion; the answer names what was created or linked."""
    require("leads.convert", "convert leads")
    lead = load_lead(lead_id)
    body = read_body()
    version = expected_version(lead, body)
    try:
        plan = convert_input.plan(lead, body, actor())
    except lead_input.BadInput as bad:
        return validation_failed(bad.errors)
    try:
        result = conversion.convert_lead(lead, plan, actor(), version)
    except DomainError as error:
        if error.field:  # the service names the page's form fields
            error.field = convert_input.api_name(error.field)
        return domain_error(error, lead.id)
    return json_response({"status": True, "message": f"Lead converted: {result.summary()}.",
                          "created": conversion.payload(result), "data": lead_to_dict(lead)})
