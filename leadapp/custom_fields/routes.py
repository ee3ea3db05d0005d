"""/admin/settings/fields: custom lead fields (admins); and the lead page's click-to-edit
endpoints for custom values (the same pattern and markup as leads' own field endpoints)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..auth.permissions import require
from ..errors import Conflict, DomainError
from ..extensions import db
from ..form_helpers import show_domain_error
from ..leads import services as lead_services
from ..leads.models import Lead
from ..web import list_block, ordered_ids, render
from . import capture, exporting, services, types, views
from .forms import FieldDefinitionForm, input_type, value_form
from .models import CustomField, DeletedFieldExport

bp = Blueprint("custom_fields", __name__, url_prefix="/admin/settings/fields")
lead_bp = Blueprint("lead_custom_fields", __name__, url_prefix="/admin/leads")


def _index(form: FieldDefinitionForm | None = None, status: int = 200) -> Response:
    return Response(render_template(
        "custom_fields/index.html", fields=services.list_fields(),
        form=form or FieldDefinitionForm(formdata=None), exports=services.deleted_exports()),
        status)


def _fields(error: str = "", status: int = 200, focus: str = "") -> Response:
    return list_block("custom_fields/_partials/fields.html", "custom_fields.index", error,
                      status, fields=services.list_fields(), focus=focus)


@bp.get("")
@require("settings.manage")
def index() -> Response:
    return _index()


@bp.post("")
@require("settings.manage")
def create() -> Response:
    form = FieldDefinitionForm()
    if not form.validate():
        return _index(form, 422)
    try:
        item = services.create_field(form.settings())
    except DomainError as error:
        show_domain_error(form, error)
        return _index(form, error.status)
    flash(f"Added the field “{item.label}” (key {item.key}).", "success")
    return redirect(url_for("custom_fields.index"), 303)


@bp.get("/<int:field_id>")
@require("settings.manage")
def edit(field_id: int) -> Response:
    item = db.get_or_404(CustomField, field_id)
    return Response(render_template("custom_fields/edit.html", item=item,
                                    form=FieldDefinitionForm.for_field(item)))


@bp.post("/<int:field_id>")
@require("settings.manage")
def update(field_id: int) -> Response:
    item, form = db.get_or_404(CustomField, field_id), FieldDefinitionForm()
    form.kind.data = item.kind.name  # the kind is fixed: stored values depend on it
    try:
        if form.validate():
            services.update_field(item, form.settings())
            flash(f"Saved the field “{item.label}”.", "success")
            return redirect(url_for("custom_fields.index"), 303)
        status = 422
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        status = error.status
    return Response(render_template("custom_fields/edit.html", item=item, form=form), status)


@bp.get("/<int:field_id>/delete")
@require("settings.manage")
def confirm_delete(field_id: int) -> Response:
    item = db.get_or_404(CustomField, field_id)
    return Response(render_template("custom_fields/delete.html", item=item,
                                    count=services.value_count(item)))


@bp.post("/<int:field_id>/delete")
@require("settings.manage")
def delete(field_id: int) -> Response:
    item = db.get_or_404(CustomField, field_id)
    label = item.label
    kept = services.delete_field(item)
    flash(f"Deleted the field “{label}”; its {kept.value_count} value(s) are kept as a CSV "
          "below.", "success")
    return redirect(url_for("custom_fields.index"), 303)


def _csv(content: str, name: str) -> Response:
    response = Response(content, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@bp.get("/<int:field_id>/values.csv")
@require("settings.manage")
def export(field_id: int) -> Response:
    item = db.get_or_404(CustomField, field_id)
    return _csv(services.export_csv(item), f"field-{item.key}")


@bp.get("/deleted/<int:export_id>.csv")
@require("settings.manage")
def deleted_export(export_id: int) -> Response:
    kept = db.get_or_404(DeletedFieldExport, export_id)
    return _csv(kept.content, f"deleted-field-{kept.key}")


@bp.post("/<int:field_id>/move")
@require("settings.manage")
def move(field_id: int) -> Response:
    """The keyboard path: one step up or down."""
    item = db.get_or_404(CustomField, field_id)
    ids = [other.id for other in services.list_fields()]
    direction = "up" if request.form.get("direction") == "up" else "down"
    services.move_field(item, ids.index(item.id) + (-1 if direction == "up" else 1))
    return _fields(focus=f"field-{item.id}-{direction}")


@bp.post("/order")
@require("settings.manage")
def order() -> Response:
    """The drag path: the whole order at once, as the list shows it."""
    try:
        services.reorder(ordered_ids(request.form.get("ids", "")))
    except DomainError as error:
        return _fields(error.message, error.status)
    return _fields()


# --- the lead page: click-to-edit custom values ---------------------------------------------

def _lead_field(lead_id: int, key: str) -> tuple[Lead, CustomField]:
    lead = lead_services.get_visible_lead(current_user, lead_id)
    item = db.session.scalar(select(CustomField).where(CustomField.key == key))
    if item is None:
        abort(404)
    return lead, item


def _display(lead: Lead, item: CustomField, **extra: Any) -> Response:
    value = services.values_of(lead).get(item.id)
    return render("custom_fields/_partials/value_display.html",
                  "custom_fields/_partials/value_display.html", lead=lead, item=item,
                  value=types.display(item, value), **extra)


def _form(lead: Lead, item: CustomField, formdata: Any = None) -> Any:
    value = types.as_input(item, services.values_of(lead).get(item.id))
    return value_form(item)(formdata=formdata, data={"value": value, "version": lead.version})


def _form_response(lead: Lead, item: CustomField, form: Any, status: int,
                   **extra: Any) -> Response:
    return render("custom_fields/value_edit.html", "custom_fields/_partials/value_form.html",
                  status, lead=lead, item=item, form=form, **extra)


@lead_bp.get("/<int:lead_id>/custom-fields/<key>")
@require("leads.create")
def value_display(lead_id: int, key: str) -> Response:
    return _display(*_lead_field(lead_id, key))


@lead_bp.get("/<int:lead_id>/custom-fields/<key>/edit")
@require("leads.edit")
def value_edit(lead_id: int, key: str) -> Response:
    lead, item = _lead_field(lead_id, key)
    return _form_response(lead, item, _form(lead, item), 200)


@lead_bp.put("/<int:lead_id>/custom-fields/<key>")
@require("leads.edit")
def update_value(lead_id: int, key: str) -> Response:
    lead, item = _lead_field(lead_id, key)
    refused = _save(lead, item)
    if refused is not None:
        return refused
    response = _display(lead, item, saved=True)
    response.headers["HX-Trigger"] = "lead-changed"
    return response


@lead_bp.post("/<int:lead_id>/custom-fields/<key>")
@require("leads.edit")
def save_value(lead_id: int, key: str) -> Response:
    """The same save as a plain form post (no JavaScript)."""
    lead, item = _lead_field(lead_id, key)
    refused = _save(lead, item)
    if refused is not None:
        return refused
    flash(f"{item.label} saved.", "success")
    return redirect(url_for("leads.detail", lead_id=lead.id,
                            _anchor=f"lead-{lead.id}-{item.param}"), 303)


def _save(lead: Lead, item: CustomField) -> Response | None:
    """Validate and save; the form again (422/409) when refused, else None."""
    form = _form(lead, item, formdata=request.form)
    if not form.validate_on_submit():
        return _form_response(lead, item, form, 422)
    try:
        lead_services.require_editable(current_user, lead)
        services.save_value(lead, item, form.value.data, form.version.data, current_user)
    except Conflict as error:
        db.session.expire_all()
        lead = lead_services.get_visible_lead(current_user, lead.id)
        form.version.data, form.version.raw_data = lead.version, None
        return _form_response(lead, item, form, 409, conflict=error.message)
    except DomainError as error:
        form.value.errors = [error.message]
        return _form_response(lead, item, form, error.status)
    return None


@lead_bp.app_template_global("custom_input_type")
def custom_input_type(item: CustomField) -> str:
    return input_type(item)


@lead_bp.app_template_global("lead_custom_values")
def lead_custom_values(lead: Lead) -> list[tuple[CustomField, str]]:
    """Every custom field with this lead's value as shown on the lead page."""
    values = services.values_of(lead)
    return [(item, types.display(item, values.get(item.id))) for item in services.list_fields()]


@lead_bp.app_template_global("custom_list_columns")
def custom_list_columns(leads: list[Lead]) -> views.ShownValues:
    return views.shown([lead.id for lead in leads], "show_in_list")


@lead_bp.app_template_global("custom_card_values")
def custom_card_values(leads: list[Lead]) -> views.ShownValues:
    return views.shown([lead.id for lead in leads], "show_on_card")


@lead_bp.app_template_global("custom_filter_controls")
def custom_filter_controls() -> list[views.FilterControl]:
    return views.filter_controls()


@lead_bp.app_template_global("custom_sort_label")
def custom_sort_label(sort: str) -> str:
    return views.sort_label(sort)


@lead_bp.app_template_global("custom_export_columns")
def custom_export_columns() -> list[tuple[str, str]]:
    return exporting.columns()


@lead_bp.app_template_global("capture_choices")
def capture_choices(name: str) -> list[tuple[str, str]]:
    return capture.choices(name)
