"""JSON bodies of the leads API checked by the page's own forms (same rules, same messages).

POST and PUT drive the lead form (LeadForm) with the body as its form data; PATCH drives the
click-to-edit field forms, one per field it names. API spellings (`source` by name, `owner: "me"`,
`tags` as a list, `{"id": ...}` objects from a GET) are mapped onto form fields first.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from ..auth.models import Team, User
from ..auth.permissions import can
from ..companies.models import Contact
from ..extensions import db
from ..leads import services
from ..leads.forms import LeadForm
from ..leads.forms import field_form as build_field_form
from ..leads.models import Lead
from ..pipeline.models import Pipeline, Stage
from ..sources.models import Campaign, LeadSource
from .request import MAX_ID, parse_bool

# API name -> lead form field (either spelling is accepted).
ALIASES = {"source": "source_id", "campaign": "campaign_id", "owner": "owner_id",
           "assigned_to": "owner_id", "team": "team_id", "pipeline": "pipeline_id",
           "stage": "stage_id", "company": "company_id"}
NAMED = {"source_id": LeadSource, "campaign_id": Campaign, "team_id": Team,
         "pipeline_id": Pipeline}
BOOLEANS = ("new_company", "new_contact", "auto_convert")
FORM_FIELDS = {
    *services.SCALAR_FIELDS, *BOOLEANS, "new_company_name", "company_website", "company_tin",
    "company_id", "company_search", "first_name", "last_name", "middle_name", "phone", "email",
    "contact_id", "contact_search", "tags", "pipeline_id", "stage_id", "version"}
# Fields of the GET shape a client may send back unchanged on PUT/PATCH: ignored, not refused.
READ_ONLY = {"id", "status", "active", "board_position", "loss_reason", "created_by", "converted",
             "deleted", "created_at", "updated_at", "converted_at", "deleted_at", "conversion",
             "comments_count", "attachments_count", "closing_date", "closing_comment", "ref",
             "ref_id", "mobile", "position", "address", "street", "state", "postcode", "country"}
# Form field errors reported under the API's name for the thing to send.
ERROR_KEYS = {"company_search": "company_id", "contact_search": "contact_id"}


class BadInput(Exception):
    """Field errors found before any form ran."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid input")
        self.errors = errors


def _relation_id(value: Any) -> Any:
    """`{"id": 3, ...}` (the GET shape) -> 3; anything else unchanged."""
    return value.get("id") if isinstance(value, dict) else value


def _resolve(field: str, value: Any, actor: User, errors: dict[str, str]) -> str:
    """A relation given by id, by name (sources, campaigns, teams, pipelines) or `me`."""
    value = _relation_id(value)
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors[field] = f"{field} must be an id or a name."
        return ""
    text = str(value).strip()
    if text.isdecimal():
        return text
    if field == "owner_id" and text.lower() in ("me", "none"):
        return str(actor.id) if text.lower() == "me" else ""
    model = NAMED.get(field)
    row_id = db.session.scalar(select(model.id).where(func.lower(model.name) == text.lower())
                               ) if model is not None else None
    if field == "stage_id" and row_id is None:
        row_id = db.session.scalar(select(Stage.id).where(func.lower(Stage.name) == text.lower())
                                   .order_by(Stage.id))
    if row_id is None:
        errors[field] = f"No {field.removesuffix('_id')} is called “{text}”; send its id or name."
        return ""
    return str(row_id)


def _scalar(field: str, value: Any, errors: dict[str, str]) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "y"
    if isinstance(value, int | float | Decimal | str):
        return str(value)
    errors[field] = f"{field} must be a string or a number."
    return ""


def _tags(value: Any, errors: dict[str, str]) -> str:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    if isinstance(value, str) or value is None:
        return value or ""
    errors["tags"] = "tags must be a list of names or a comma-separated string."
    return ""


def contact_ids(body: dict[str, Any], errors: dict[str, str]) -> list[int] | None:
    """`contacts`: ids (or {"id"} objects) of existing contacts, the first one primary."""
    if "contacts" not in body:
        return None
    raw = body["contacts"]
    ids = [_relation_id(item) for item in raw] if isinstance(raw, list) else None
    if ids is None or not all(isinstance(item, int) and not isinstance(item, bool)
                              for item in ids):
        errors["contacts"] = "contacts must be a list of contact ids."
        return None
    in_range = [item for item in ids if 1 <= item <= MAX_ID]  # others overflow the column
    found = set(db.session.scalars(select(Contact.id).where(Contact.id.in_(in_range))))
    missing = [str(item) for item in ids if item not in found]
    if missing:
        errors["contacts"] = "No contact has the id " + ", ".join(missing) + "."
    return list(dict.fromkeys(ids))


def _unknown(body: dict[str, Any], allowed: set[str]) -> dict[str, str]:
    unknown = sorted(set(body) - allowed - READ_ONLY)
    if not unknown:
        return {}
    return {key: f"{key} is not a lead field (see GET /api/leads/fields)." for key in unknown}


def form_values(body: dict[str, Any], actor: User) -> tuple[MultiDict, dict[str, str]]:
    """The lead form's data from a JSON body, and form field -> the name the client used;
    raises BadInput for shapes the form cannot read."""
    errors = _unknown(body, FORM_FIELDS | set(ALIASES) | {"contacts"})
    values: dict[str, str] = {}
    sent_as: dict[str, str] = {}
    for key, value in body.items():
        field = ALIASES.get(key, key)
        if field not in FORM_FIELDS or key in errors:
            continue
        sent_as[field] = key
        values[field] = _value(field, value, actor, errors)
        if field in errors and key != field:
            errors[key] = errors.pop(field)
    ids = contact_ids(body, errors)
    if ids:
        values["contact_id"] = str(ids[0])
        sent_as["contact_id"] = "contacts"
    _infer_new_records(values)
    if errors:
        raise BadInput(errors)
    return MultiDict({key: value for key, value in values.items()
                      if not (key in BOOLEANS and value == "")}), sent_as


def _value(field: str, value: Any, actor: User, errors: dict[str, str]) -> str:
    if field.endswith("_id"):
        return _resolve(field, value, actor, errors)
    if field == "tags":
        return _tags(value, errors)
    if field in BOOLEANS:
        return _boolean(field, value, errors)
    return _scalar(field, value, errors)


def _boolean(field: str, value: Any, errors: dict[str, str]) -> str:
    """The checkbox's form value ("y" or "" for unchecked). Not _scalar: the form's
    BooleanField counts every non-empty text but "false" as checked, so 0, "0", "no" and
    "off" would create a company or convert the lead."""
    if value is None:
        return ""
    checked = parse_bool(value)
    if checked is None:
        errors[field] = f"{field} must be true or false (or 1 or 0)."
        return ""
    return "y" if checked else ""


def _infer_new_records(values: dict[str, str]) -> None:
    """Without a company/contact id, the fields of a new one mean "create it" (the form's
    checkbox), so a client need not send both."""
    if "new_company" not in values and not values.get("company_id") and \
            values.get("new_company_name"):
        values["new_company"] = "y"
    if "new_contact" not in values and not values.get("contact_id") and (
            values.get("first_name") or values.get("last_name")):
        values["new_contact"] = "y"


def lead_form(values: MultiDict, actor: User, lead: Lead | None) -> LeadForm:
    form = LeadForm(formdata=values, meta={"csrf": False})
    pipeline_id = form.pipeline_id.data if lead is None else lead.pipeline_id
    form.set_choices(services.form_choices(actor, lead, pipeline_id))
    return form


def form_errors(form: Any, sent_as: dict[str, str]) -> dict[str, str]:
    """One message per field, under the name the client sent it as (or should send)."""
    errors = {sent_as.get(name) or ERROR_KEYS.get(name, name): messages[0]
              for name, messages in form.errors.items() if messages}
    if form.form_errors:
        errors["lead"] = form.form_errors[0]
    return errors


# ---- PATCH: the click-to-edit fields ---------------------------------------------------------

def patch_values(body: dict[str, Any], actor: User, lead: Lead) -> dict[str, Any]:
    """Field -> checked value for every editable field the body names (the inline forms)."""
    editable = set(services.EDITABLE)
    aliases = {key: value for key, value in ALIASES.items() if value in editable}
    errors = _unknown(body, editable | set(aliases) | {"version", "contacts"})
    values: dict[str, Any] = {}
    for key, value in body.items():
        field = aliases.get(key, key)
        if field not in editable or key in errors:
            continue
        value = _value(field, value, actor, errors)
        if field not in errors:
            checked = _check_field(lead, field, value, actor, errors)
            if field not in errors:
                values[field] = checked
        if field in errors and key != field:
            errors[key] = errors.pop(field)
    if errors:
        raise BadInput(errors)
    return values


def _check_field(lead: Lead, field: str, value: str, actor: User, errors: dict[str, str]) -> Any:
    spec = services.EDITABLE[field]
    if not can(actor, spec.permission):
        return value  # update_fields refuses it with 403, which says more than "not a choice"
    choices = services.field_choices(field, actor, lead)
    form_class = build_field_form(
        spec.kind, spec.label, required=spec.required, max_len=spec.max_len,
        choices=None if choices is None else [SelectChoice(v, label) for v, label in choices])
    form = form_class(formdata=MultiDict({"value": value}), meta={"csrf": False})
    if not form.validate():
        errors[field] = form.value.errors[0]
        return None
    if choices is not None and form.value.data not in (None, "") and \
            form.value.data not in {choice for choice, _label in choices}:
        errors[field] = "Not a valid choice."  # the lead form's SelectField message
        return None
    return form.value.data
