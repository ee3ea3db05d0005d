"""The lead form and the lead page (the list views live in list_routes.py)."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.exceptions import RequestEntityTooLarge

from ..auth.permissions import can, require
from ..companies import services as companies
from ..companies.forms import ConvertForm
from ..companies.models import Contact
from ..custom_fields import forms as custom_forms
from ..custom_fields import services as custom_fields
from ..errors import Conflict, DomainError
from ..extensions import db
from ..web import render, wants_fragment
from . import attachments, bulk, conversion, merge, services
from .blueprint import bp
from .duplicates import Match, find_duplicates
from .forms import LeadForm
from .forms import field_form as build_field_form
from .models import Activity, Attachment, Comment, Lead

URL_RE = re.compile(r"(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])")


@bp.app_template_global("may_change_comment")
def may_change_comment(comment: Comment) -> bool:
    return services.may_change_comment(current_user, comment)


@bp.app_template_global("attachment_size")
def attachment_size(size: int) -> str:
    return attachments.human_size(size)


@bp.app_template_filter("autolink")
def autolink(text: str) -> Markup:
    """Escape first, then turn http(s) links into anchors; never trusts the text."""
    escaped = str(escape(text))
    linked = URL_RE.sub(r'<a href="\1" rel="nofollow noopener noreferrer" target="_blank">\1</a>',
                        escaped)
    return Markup(linked.replace("\n", "<br>\n"))


# ---- the lead form ---------------------------------------------------------------------------

def _lead_form(lead: Lead | None = None, formdata: Any = None, **kwargs: Any) -> LeadForm:
    data = services.form_data(lead) if lead is not None and formdata is None else {}
    extra = custom_fields.list_fields()
    if lead is not None and formdata is None:
        data.update(custom_forms.initial_data(extra, custom_fields.values_of(lead)))
    form = custom_forms.with_custom_fields(LeadForm, extra)(formdata=formdata, data=data, **kwargs)
    pipeline_id = form.pipeline_id.data if lead is None else lead.pipeline_id
    form.set_choices(services.form_choices(current_user, lead, pipeline_id))
    if lead is None and form.owner_id.data is None and not formdata and \
            not can(current_user, "leads.assign"):
        form.owner_id.data = current_user.id
    return form


def _form_page(form: LeadForm, lead: Lead | None, status: int = 200,
               conflict: str = "") -> Response:
    page = "leads/edit.html" if lead else "leads/new.html"
    return render(page, page, status, form=form, lead=lead, conflict=conflict,
                  matches=_matches_for(form, lead), tags=services.tag_suggestions())


def _matches_for(form: LeadForm, lead: Lead | None) -> list[Match]:
    new_company, new_contact = form.new_company.data, form.new_contact.data
    return find_duplicates(
        current_user, email=(form.email.data or "") if new_contact else "",
        phone=(form.phone.data or "") if new_contact else "",
        tin=(form.company_tin.data or "") if new_company else "",
        company=((form.new_company_name.data or "") if new_company else "")
        or form.company_name.data or "",
        region=current_app.config.get("DEFAULT_PHONE_REGION", "US"),
        website=(form.company_website.data or "") if new_company else "",
        exclude_lead_id=lead.id if lead else None,
    )


def _save(form: LeadForm, lead: Lead | None) -> Response:
    try:
        saved = services.save_lead(lead, form.data, current_user)
    except Conflict as error:
        db.session.expire_all()
        form.version.data = lead.version if lead else None
        return _form_page(form, lead, 409, conflict=error.message)
    except DomainError as error:
        _field_error(form, error)
        return _form_page(form, lead, error.status)
    converted = conversion.describe(saved) if saved.converted_at else ""
    flash(f"Lead “{saved.title}” saved" + (f" and converted: {converted}." if converted else "."),
          "success")
    if request.form.get("action") == "exit":
        return redirect(url_for("leads.detail", lead_id=saved.id), 303)
    return redirect(url_for("leads.edit", lead_id=saved.id), 303)


def _field_error(form: LeadForm, error: DomainError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is None:
        form.form_errors.append(error.message)
    else:
        target.errors = [*target.errors, error.message]


@bp.get("/new")
@require("leads.create")
def new() -> Response:
    return _form_page(_lead_form(), None)


@bp.post("/new")
@require("leads.create")
def create() -> Response:
    form = _lead_form(formdata=request.form)
    if request.form.get("refresh") or not form.validate_on_submit():
        return _form_page(form, None, 200 if request.form.get("refresh") else 422)
    return _save(form, None)


@bp.get("/<int:lead_id>/edit")
@require("leads.edit")
def edit(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    return _form_page(_lead_form(lead), lead)


@bp.post("/<int:lead_id>/edit")
@require("leads.edit")
def update(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    form = _lead_form(lead, formdata=request.form)
    if request.form.get("refresh") or not form.validate_on_submit():
        return _form_page(form, lead, 200 if request.form.get("refresh") else 422)
    return _save(form, lead)


def _partial_form() -> LeadForm:
    """The form rebuilt from the query string of an htmx request (never validated)."""
    lead_id = request.args.get("lead_id", type=int)
    lead = services.get_visible_lead(current_user, lead_id) if lead_id else None
    return _lead_form(lead, formdata=request.args, meta={"csrf": False})


@bp.get("/form/company-fields")
@require("leads.create")
def company_fields() -> Response:
    return render("leads/_partials/form_company.html", "leads/_partials/form_company.html",
                  form=_partial_form())


@bp.get("/form/contact-fields")
@require("leads.create")
def contact_fields() -> Response:
    return render("leads/_partials/form_contact.html", "leads/_partials/form_contact.html",
                  form=_partial_form())


@bp.get("/form/companies")
@require("leads.create")
def company_options() -> Response:
    term = request.args.get("company_search", "")
    rows = [(row.id, row.name, row.website) for row in companies.search_companies(term)]
    return _options("company_search", term, rows, "No company matches. Tick New company to add it.")


@bp.get("/form/contacts")
@require("leads.create")
def contact_options() -> Response:
    term = request.args.get("contact_search", "")
    company_id = None if request.args.get("new_company") else request.args.get("company_id",
                                                                                  type=int)
    rows = [(row.id, row.full_name, _contact_hint(row))
            for row in companies.search_contacts(term, company_id)]
    empty = "No contact of this company matches." if company_id else "No contact matches."
    return _options("contact_search", term, rows, f"{empty} Tick New contact to add one.")


def _contact_hint(contact: Contact) -> str:
    parts = [contact.email, contact.company.name if contact.company else ""]
    return " · ".join(part for part in parts if part)


def _options(input_id: str, term: str, rows: list[tuple[int, str, str]], empty: str) -> Response:
    return render("leads/_partials/form_options.html", "leads/_partials/form_options.html",
                  input_id=input_id, term=term.strip(), rows=rows, empty=empty)


@bp.get("/form/duplicates")
@require("leads.create")
def duplicates() -> Response:
    form = _partial_form()
    lead_id = request.args.get("lead_id", type=int)
    matches = _matches_for(form, db.session.get(Lead, lead_id) if lead_id else None)
    return render("leads/_partials/duplicates.html", "leads/_partials/duplicates.html",
                  matches=matches)


@bp.get("/form/stages")
@require("leads.create")
def stage_options() -> Response:
    choices = services.stage_choices(request.args.get("pipeline_id", type=int))
    return render("leads/_partials/form_stage_options.html",
                  "leads/_partials/form_stage_options.html", choices=choices)


@bp.app_template_global("duplicate_url")
def duplicate_url(match: Match) -> str | None:
    """Where a possible duplicate can be opened (company and contact pages may not exist yet)."""
    if match.kind == "lead":
        return url_for("leads.detail", lead_id=match.id)
    endpoint = {"company": "companies.detail", "contact": "contacts.detail"}[match.kind]
    if endpoint not in current_app.view_functions:
        return None
    key = "company_id" if match.kind == "company" else "contact_id"
    return url_for(endpoint, **{key: match.id})


# ---- the lead page ---------------------------------------------------------------------------

@bp.get("/<int:lead_id>")
@require("leads.create")
def detail(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    return render("leads/detail.html", "leads/detail.html", **_page_context(lead))


def _page_context(lead: Lead) -> dict[str, Any]:
    events, more = services.timeline(lead)
    return {"lead": lead, "fields": services.EDITABLE, "display": services.field_display,
            "events": events, "more": more, "page_no": 1, "comments": services.comments(lead),
            "attachments": _attachments(lead), "max_upload": attachments.human_size(
                attachments.max_bytes()), "pipelines": services.other_pipelines(lead)}


def _attachments(lead: Lead) -> list[Attachment]:
    return list(db.session.scalars(db.select(Attachment).where(Attachment.lead_id == lead.id)
                                   .order_by(Attachment.created_at.desc())))


def _field(lead_id: int, field: str) -> tuple[Lead, services.FieldSpec]:
    lead = services.get_visible_lead(current_user, lead_id)
    spec = services.EDITABLE.get(field)
    if spec is None:
        abort(404)
    return lead, spec


def _field_form(lead: Lead, field: str, spec: services.FieldSpec, formdata: Any = None) -> Any:
    form_class = build_field_form(spec.kind, spec.label, required=spec.required,
                                  max_len=spec.max_len,
                                  choices=services.field_choices(field, current_user, lead))
    return form_class(formdata=formdata, data={"value": services.field_value(lead, field),
                                               "version": lead.version})


@bp.get("/<int:lead_id>/fields/<field>")
@require("leads.create")
def field_display(lead_id: int, field: str) -> Response:
    lead, spec = _field(lead_id, field)
    return render("leads/_partials/field_display.html", "leads/_partials/field_display.html",
                  lead=lead, field=field, spec=spec, display=services.field_display)


@bp.get("/<int:lead_id>/fields/<field>/edit")
@require("leads.edit")
def field_form(lead_id: int, field: str) -> Response:
    lead, spec = _field(lead_id, field)
    return _field_form_response(lead, field, spec, _field_form(lead, field, spec), 200)


@bp.put("/<int:lead_id>/fields/<field>")
@require("leads.edit")
def update_field(lead_id: int, field: str) -> Response:
    lead, spec = _field(lead_id, field)
    refused = _save_field(lead, field, spec)
    if refused is not None:
        return refused
    response = render("leads/_partials/field_display.html", "leads/_partials/field_display.html",
                      lead=lead, field=field, spec=spec, display=services.field_display,
                      saved=True)
    response.headers["HX-Trigger"] = "lead-changed"
    return response


@bp.post("/<int:lead_id>/fields/<field>")
@require("leads.edit")
def save_field(lead_id: int, field: str) -> Response:
    """The same save as a plain form post: without JavaScript, or when Enter beats htmx to a
    freshly swapped form."""
    lead, spec = _field(lead_id, field)
    refused = _save_field(lead, field, spec)
    if refused is not None:
        return refused
    flash(f"{spec.label} saved.", "success")
    return redirect(url_for("leads.detail", lead_id=lead.id, _anchor=f"lead-{lead.id}-{field}"),
                    303)


def _save_field(lead: Lead, field: str, spec: services.FieldSpec) -> Response | None:
    """Validate and save one field; the form again (422/409) when refused, else None."""
    form = _field_form(lead, field, spec, formdata=request.form)
    if not form.validate_on_submit():
        return _field_form_response(lead, field, spec, form, 422)
    try:
        services.update_field(lead, field, form.value.data, form.version.data, current_user)
    except DomainError as error:
        return _field_error_response(lead, field, spec, form, error)
    return None


def _field_form_response(lead: Lead, field: str, spec: services.FieldSpec, form: Any,
                         status: int, **extra: Any) -> Response:
    return render("leads/field_edit.html", "leads/_partials/field_form.html", status,
                  lead=lead, field=field, spec=spec, form=form, **extra)


def _field_error_response(lead: Lead, field: str, spec: services.FieldSpec, form: Any,
                          error: DomainError) -> Response:
    if not isinstance(error, Conflict):
        form.value.errors = [error.message]
        return _field_form_response(lead, field, spec, form, error.status)
    db.session.expire_all()
    lead = services.get_visible_lead(current_user, lead.id)
    # Saving again applies the user's value on top of the current version.
    form.version.data, form.version.raw_data = lead.version, None
    return _field_form_response(lead, field, spec, form, 409, conflict=error.message,
                                current=services.field_display(lead, field),
                                changed=services.last_change(lead))


@bp.get("/<int:lead_id>/timeline")
@require("leads.create")
def timeline(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    page_no = max(request.args.get("page", 1, type=int), 1)
    events, more = services.timeline(lead, page_no)
    # Page 1 is the whole section (refreshed on "lead-changed"); later pages are more items.
    fragment = "leads/_partials/timeline.html" if page_no == 1 else \
        "leads/_partials/timeline_page.html"
    return render(fragment, fragment, lead=lead, events=events, more=more, page_no=page_no)


def _back_to(lead: Lead, section: str) -> Response:
    """After a plain (no-JavaScript) form post: back to that section of the lead page."""
    anchor = f"lead-{lead.id}-{section}"
    return redirect(url_for("leads.detail", lead_id=lead.id, _anchor=anchor), 303)


# ---- comments --------------------------------------------------------------------------------

def _comments_section(lead: Lead, status: int = 200, error: str = "", body: str = "") -> Response:
    if not wants_fragment():  # a plain form post (no JavaScript): back to the lead page
        if error:
            flash(error, "error")
        return _back_to(lead, "comments")
    return render("leads/_partials/comments.html", "leads/_partials/comments.html", status,
                  lead=lead, comments=services.comments(lead), error=error, body=body)


def _comment(lead: Lead, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.lead_id != lead.id:
        abort(404)
    return comment


@bp.post("/<int:lead_id>/comments")
@require("leads.create")
def add_comment(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    body = request.form.get("body", "")
    try:
        services.add_comment(lead, body, current_user)
    except DomainError as error:
        return _comments_section(lead, error.status, error.message, body)
    return _announce_change(_comments_section(lead))


@bp.get("/<int:lead_id>/comments/<int:comment_id>")
@require("leads.create")
def comment(lead_id: int, comment_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    return render("leads/_partials/comment.html", "leads/_partials/comment.html", lead=lead,
                  comment=_comment(lead, comment_id))


@bp.get("/<int:lead_id>/comments/<int:comment_id>/edit")
@require("leads.create")
def comment_form(lead_id: int, comment_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    item = _comment(lead, comment_id)
    if not services.may_change_comment(current_user, item):
        abort(403, description="You can only edit your own comments.")
    return render("leads/_partials/comment_form.html", "leads/_partials/comment_form.html",
                  lead=lead, comment=item, body=item.body)


@bp.put("/<int:lead_id>/comments/<int:comment_id>")
@require("leads.create")
def update_comment(lead_id: int, comment_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    item, body = _comment(lead, comment_id), request.form.get("body", "")
    try:
        services.edit_comment(item, body, current_user)
    except DomainError as error:
        if error.status == 403:
            abort(403, description=error.message)
        return render("leads/_partials/comment_form.html", "leads/_partials/comment_form.html",
                      error.status, lead=lead, comment=item, body=body, error=error.message)
    return render("leads/_partials/comment.html", "leads/_partials/comment.html", lead=lead,
                  comment=item)


@bp.delete("/<int:lead_id>/comments/<int:comment_id>")
@require("leads.create")
def delete_comment(lead_id: int, comment_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    try:
        services.delete_comment(_comment(lead, comment_id), current_user)
    except DomainError as error:
        abort(error.status, description=error.message)
    return _comments_section(lead)


def _announce_change(response: Response) -> Response:
    """Tell the page the lead changed: the timeline and stage bar refresh themselves."""
    response.headers["HX-Trigger"] = "lead-changed"
    return response


# ---- attachments -----------------------------------------------------------------------------

def _attachments_section(lead: Lead, status: int = 200, error: str = "") -> Response:
    return render("leads/_partials/attachments.html", "leads/_partials/attachments.html", status,
                  lead=lead, attachments=_attachments(lead), error=error,
                  max_upload=attachments.human_size(attachments.max_bytes()))


def _attachment(lead: Lead, attachment_id: int) -> Attachment:
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.lead_id != lead.id:
        abort(404)
    return item


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Response:
    """Uploads over MAX_CONTENT_LENGTH get the same clear message as ones over the lead limit."""
    lead_id = (request.view_args or {}).get("lead_id")
    if request.endpoint != "leads.upload" or lead_id is None:
        return Response(attachments.too_big_message(), 413)
    lead = services.get_visible_lead(current_user, lead_id)
    return _page_or_section(lead, 422, attachments.too_big_message())


def _page_or_section(lead: Lead, status: int, error: str) -> Response:
    if wants_fragment():
        return _attachments_section(lead, status, error)
    flash(error, "error")
    return _back_to(lead, "attachments")


@bp.post("/<int:lead_id>/attachments")
@require("leads.edit")
def upload(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    try:
        attachments.save_upload(lead, request.files.get("file"), current_user)
    except DomainError as error:
        return _page_or_section(lead, error.status, error.message)
    if not wants_fragment():
        return _back_to(lead, "attachments")
    return _announce_change(_attachments_section(lead))


@bp.get("/<int:lead_id>/attachments/<int:attachment_id>")
@require("leads.create")
def download(lead_id: int, attachment_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    item = _attachment(lead, attachment_id)
    path = attachments.path_of(item)
    if not path.is_file():
        abort(404, description="The file is missing from storage.")
    return send_file(path, mimetype=item.content_type, as_attachment=True,
                     download_name=item.filename, max_age=0)


@bp.delete("/<int:lead_id>/attachments/<int:attachment_id>")
@require("leads.edit")
def delete_attachment(lead_id: int, attachment_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    try:
        attachments.delete_attachment(lead, _attachment(lead, attachment_id), current_user)
    except DomainError as error:
        abort(error.status, description=error.message)
    return _announce_change(_attachments_section(lead))


# ---- contacts of the lead ---------------------------------------------------------------------

def _contacts_section(lead: Lead, status: int = 200, error: DomainError | None = None,
                      values: dict[str, str] | None = None) -> Response:
    if error is not None and not wants_fragment():
        flash(error.message, "error")
    if not wants_fragment():
        return _back_to(lead, "contacts")
    return render("leads/_partials/contacts.html", "leads/_partials/contacts.html", status,
                  lead=lead, error=error.message if error else "",
                  error_field=error.field if error else None, values=values or {})


CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")


@bp.post("/<int:lead_id>/contacts")
@require("leads.edit")
def add_contact(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    values = {name: request.form.get(name, "").strip() for name in (*CONTACT_FIELDS,
                                                                    "contact_search")}
    try:
        contact, fields = _contact_input(values)
        services.add_lead_contact(lead, contact, fields, current_user)
    except DomainError as error:
        return _contacts_section(lead, error.status, error, values)
    return _announce_change(_contacts_section(lead))


def _contact_input(values: dict[str, str]) -> tuple[Contact | None, dict[str, str]]:
    """An existing contact chosen in the type-ahead, or the fields of a new one (validated)."""
    contact_id = request.form.get("contact_id", type=int)
    if contact_id:
        contact = db.session.get(Contact, contact_id)
        if contact is None:
            abort(404)
        return contact, {}
    return None, services.new_contact_fields(values)


@bp.post("/<int:lead_id>/contacts/<int:link_id>/primary")
@require("leads.edit")
def primary_contact(lead_id: int, link_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    try:
        services.set_primary_contact(lead, link_id, current_user)
    except DomainError as error:
        return _contacts_section(lead, error.status, error)
    return _announce_change(_contacts_section(lead))


@bp.delete("/<int:lead_id>/contacts/<int:link_id>")
@require("leads.edit")
def remove_contact(lead_id: int, link_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    try:
        services.remove_lead_contact(lead, link_id, current_user)
    except DomainError as error:
        return _contacts_section(lead, error.status, error)
    return _announce_change(_contacts_section(lead))


@bp.get("/<int:lead_id>/contacts/search")
@require("leads.edit")
def lead_contact_options(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    term = request.args.get("contact_search", "")
    linked = {link.contact_id for link in lead.contact_links}
    rows = [(row.id, row.full_name, _contact_hint(row))
            for row in companies.search_contacts(term, limit=12) if row.id not in linked]
    return _options("contact_search", term, rows[:8], "No other contact matches.")


# ---- stage bar and delete ---------------------------------------------------------------------

def _stage_bar(lead: Lead, status: int = 200, **extra: Any) -> Response:
    return render("leads/_partials/stage_bar.html", "leads/_partials/stage_bar.html", status,
                  lead=lead, pipelines=services.other_pipelines(lead), **extra)


@bp.get("/<int:lead_id>/stage")
@require("leads.create")
def stage_bar(lead_id: int) -> Response:
    return _stage_bar(services.get_visible_lead(current_user, lead_id))


@bp.get("/<int:lead_id>/stage/<int:stage_id>/lost")
@require("leads.edit")
def loss_form(lead_id: int, stage_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    return _stage_bar(lead, asking=services.stage_of(lead, stage_id),
                      reasons=services.loss_reasons())


@bp.post("/<int:lead_id>/stage")
@require("leads.edit")
def move_stage(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    stage = services.stage_of(lead, request.form.get("stage_id", type=int))
    reason_id, comment = request.form.get("loss_reason_id", type=int), request.form.get(
        "closing_comment", "")
    try:
        services.move_stage(lead, stage, current_user, request.form.get("version", type=int),
                            reason_id, comment)
    except DomainError as error:
        db.session.expire_all()
        lead = services.get_visible_lead(current_user, lead_id)
        if not wants_fragment():
            flash(error.message, "error")
            return redirect(url_for("leads.detail", lead_id=lead.id), 303)
        asking = stage if error.field in ("loss_reason", "closing_comment") else None
        return _stage_bar(lead, error.status, error=error.message, asking=asking,
                          reasons=services.loss_reasons(), comment=comment, reason_id=reason_id)
    if not wants_fragment():
        return redirect(url_for("leads.detail", lead_id=lead.id), 303)
    response = _stage_bar(lead)
    response.headers["HX-Trigger"] = "lead-changed"
    return response


@bp.post("/<int:lead_id>/pipeline")
@require("leads.edit")
def move_pipeline(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    try:
        services.move_pipeline(lead, request.form.get("stage_id", type=int), current_user,
                               request.form.get("version", type=int))
    except DomainError as error:
        db.session.expire_all()
        lead = services.get_visible_lead(current_user, lead_id)
        if not wants_fragment():
            flash(error.message, "error")
            return redirect(url_for("leads.detail", lead_id=lead.id), 303)
        return _stage_bar(lead, error.status, pipeline_error=error.message)
    if not wants_fragment():
        return redirect(url_for("leads.detail", lead_id=lead.id), 303)
    response = _stage_bar(lead)
    response.headers["HX-Trigger"] = "lead-changed"
    return response


@bp.post("/<int:lead_id>/delete")
@require("leads.delete")
def delete(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    if lead.deleted_at is not None:
        abort(409, description="This lead is already in the trash.")
    result = bulk.trash([lead.id], current_user)
    flash(f"“{lead.title}” moved to the trash. {result.message}".strip(), "success")
    target = url_for("leads.index") if "leads.index" in current_app.view_functions else "/admin"
    if request.headers.get("HX-Request"):
        return Response("", 204, headers={"HX-Redirect": target})
    return redirect(target, 303)


# ---- conversion -------------------------------------------------------------------------------

def _refusal(lead: Lead) -> Response | None:
    """The Convert section with the reason, when this lead cannot be converted (now)."""
    try:
        conversion.check_convertible(current_user, lead)
    except DomainError as error:
        if not wants_fragment():
            abort(error.status, description=error.message)
        return _convert_section(lead, None, error.status, error.message)
    return None


def _convert_form(lead: Lead, formdata: Any = None) -> ConvertForm:
    region = current_app.config.get("DEFAULT_PHONE_REGION", "US")
    company_rows = companies.company_matches(lead)
    contact_rows = companies.contact_matches(lead, region)
    form = ConvertForm(formdata=formdata, data=None if formdata else conversion.form_defaults(
        lead, company_rows, contact_rows))
    form.company_choice.choices = [(str(row.row.id), row.row.name) for row in company_rows]
    form.contact_choice.choices = [(str(row.row.id), row.row.full_name) for row in contact_rows]
    form.owner_id.choices = services.owner_choices(current_user, lead.owner_id)
    form.candidates = {"company": company_rows, "contact": contact_rows}
    return form


def _convert_section(lead: Lead, form: ConvertForm | None, status: int = 200,
                     error: str = "") -> Response:
    context = _page_context(lead) if not wants_fragment() else {"lead": lead}
    return render("leads/detail.html", "leads/_partials/convert.html", status,
                  convert_form=form, convert_error=error, **context)


@bp.get("/<int:lead_id>/convert")
@require("leads.convert")
def convert_form(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    return _refusal(lead) or _convert_section(lead, _convert_form(lead))


@bp.post("/<int:lead_id>/convert")
@require("leads.convert")
def convert(lead_id: int) -> Response:
    lead = services.get_visible_lead(current_user, lead_id)
    refused = _refusal(lead)
    if refused is not None:
        return refused
    form = _convert_form(lead, request.form)
    if not form.validate_on_submit():
        return _convert_section(lead, form, 422)
    try:
        result = conversion.convert_lead(lead, conversion.plan_from(form.data),
                                         current_user, form.version.data)
    except DomainError as error:
        db.session.expire_all()
        lead = services.get_visible_lead(current_user, lead_id)
        _field_error(form, error)
        return _convert_section(lead, form, error.status, error.message)
    flash(f"Lead converted: {result.summary()}.", "success")
    if request.headers.get("HX-Request"):
        return Response("", 204, headers={"HX-Redirect": url_for("leads.detail", lead_id=lead_id)})
    return redirect(url_for("leads.detail", lead_id=lead_id), 303)


# ---- merging two leads ------------------------------------------------------------------------

@bp.app_template_global("undoable_merges")
def undoable_merges(lead: Lead) -> list[Any]:
    if not can(current_user, "leads.delete"):
        return []
    return merge.undoable_merges(lead)


def _merge_page(kept: Lead, other: Lead | None, status: int = 200, error: str = "",
                picked: set[str] | None = None) -> Response:
    region = current_app.config.get("DEFAULT_PHONE_REGION", "US")
    rows = merge.rows(kept, other) if other is not None else []
    if picked is not None:
        for row in rows:
            row.pick_other = row.field in picked
    return render("leads/merge.html", "leads/_partials/merge_table.html", status, lead=kept,
                  other=other, rows=rows, error=error,
                  suggestions=merge.suggestions(current_user, kept, region))


@bp.get("/<int:lead_id>/merge")
@require("leads.delete")
def merge_form(lead_id: int) -> Response:
    kept = services.get_visible_lead(current_user, lead_id)
    other_id = request.args.get("other", type=int)
    other = services.get_visible_lead(current_user, other_id) if other_id else None
    error = ""
    if other is not None:
        try:
            merge.check_mergeable(current_user, kept, other)
        except DomainError as exc:
            other, error = None, exc.message
    return _merge_page(kept, other, 200 if not error else 422, error)


@bp.post("/<int:lead_id>/merge")
@require("leads.delete")
def merge_leads(lead_id: int) -> Response:
    kept = services.get_visible_lead(current_user, lead_id)
    other = services.get_visible_lead(current_user, request.form.get("other_id", type=int) or 0)
    picked = {name for name in merge.FIELDS if request.form.get(f"pick_{name}") == "other"}
    try:
        merge.merge_leads(kept, other, picked, current_user)
    except DomainError as error:
        db.session.rollback()
        return _merge_page(kept, other, error.status, error.message, picked)
    flash(f"“{other.title}” was merged into this lead and moved to the trash. "
          "You can undo the merge below.", "success")
    return _go_to_lead(lead_id)


@bp.post("/<int:lead_id>/merges/<int:activity_id>/undo")
@require("leads.delete")
def undo_merge(lead_id: int, activity_id: int) -> Response:
    kept = services.get_visible_lead(current_user, lead_id)
    activity = db.get_or_404(Activity, activity_id)
    try:
        other = merge.undo_merge(kept, activity, current_user)
    except DomainError as error:
        db.session.rollback()
        abort(error.status, description=error.message)
    flash(f"Merge undone: “{other.title}” is back as its own lead.", "success")
    return _go_to_lead(lead_id)


def _go_to_lead(lead_id: int) -> Response:
    target = url_for("leads.detail", lead_id=lead_id)
    if request.headers.get("HX-Request"):
        return Response("", 204, headers={"HX-Redirect": target})
    return redirect(target, 303)
