"""POST /api/leads/<id>/convert: the body checked by the page's own Convert form.

The body overrides the default proposal (the lead's company and primary contact, else new ones
from its fields); the result goes through ConvertForm exactly as the page's submit does, so
lengths, email, website, TIN, phone and amount follow the same rules and messages, and the
values are normalised the same way (E.164 phones, https:// websites, bare TIN digits).
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from ..auth.models import User
from ..companies.forms import NEW, ConvertForm
from ..leads import conversion, services
from ..leads.models import Lead
from .lead_input import BadInput, _resolve
from .request import MAX_ID

CONVERT_KEYS = {"company_id", "company", "contact_id", "contact", "opportunity_name", "amount",
                "owner_id", "owner", "expected_close", "version"}
RECORD_FIELDS = {"company": conversion.COMPANY_FIELDS, "contact": conversion.CONTACT_FIELDS}
# Form field -> the API's name for it, where they differ.
API_NAMES = {"company_choice": "company_id", "contact_choice": "contact_id"}


def plan(lead: Lead, body: dict[str, Any], actor: User) -> conversion.Plan:
    """The checked plan; raises BadInput with one message per field, under the API's names."""
    errors = {key: f"{key} is not a conversion field." for key in sorted(set(body) - CONVERT_KEYS)}
    values = _defaults(lead)
    for record in RECORD_FIELDS:
        _record(record, body, values, errors)
    _scalars(body, values, actor, errors)
    form = ConvertForm(formdata=MultiDict(values), meta={"csrf": False})
    form.owner_id.choices = services.owner_choices(actor, lead.owner_id)
    if not form.validate() or errors:  # every field's message at once; shape errors first
        owner_key = "owner" if "owner" in body and "owner_id" not in body else "owner_id"
        raise BadInput({**{api_name(name, owner_key): messages[0]
                           for name, messages in form.errors.items() if messages}, **errors})
    return conversion.plan_from(form.data)


def api_name(form_name: str, owner_key: str = "owner_id") -> str:
    """`company_website` -> `company.website`: where the client put the value."""
    if form_name in API_NAMES:
        return API_NAMES[form_name]
    if form_name == "owner_id":
        return owner_key
    for record in RECORD_FIELDS:
        if form_name.startswith(f"{record}_"):
            return f"{record}.{form_name.removeprefix(f'{record}_')}"
    return form_name


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _defaults(lead: Lead) -> dict[str, str]:
    proposal = conversion.default_plan(lead)
    values = {"company_choice": str(proposal.company_id) if proposal.company_id else NEW,
              "contact_choice": str(proposal.contact_id) if proposal.contact_id else NEW,
              "opportunity_name": proposal.opportunity_name or "",
              "amount": _text(proposal.amount), "owner_id": _text(proposal.owner_id),
              "expected_close": proposal.expected_close.isoformat()
              if proposal.expected_close else ""}
    for record, fields in (("company", proposal.company), ("contact", proposal.contact)):
        values.update({f"{record}_{name}": _text(value) for name, value in fields.items()})
    return values


def _record(record: str, body: dict[str, Any], values: dict[str, str],
            errors: dict[str, str]) -> None:
    """`company`/`contact`: an object of a new record's fields (creates it), or `<record>_id`
    to link an existing one."""
    given = body.get(record)
    if isinstance(given, dict):
        values[f"{record}_choice"] = NEW
        for name, value in given.items():
            if name not in RECORD_FIELDS[record]:
                errors[f"{record}.{name}"] = f"{name} is not a field of a new {record} " \
                    f"({', '.join(RECORD_FIELDS[record])})."
            elif value is not None and (isinstance(value, bool)
                                        or not isinstance(value, str | int)):
                errors[f"{record}.{name}"] = f"{record}.{name} must be a string."
            else:
                values[f"{record}_{name}"] = _text(value)
    elif given is not None:
        errors[record] = f"{record} must be an object with the new {record}'s fields."
    raw_id = body.get(f"{record}_id")
    if raw_id is not None:
        if isinstance(raw_id, bool) or not isinstance(raw_id, int) or not 1 <= raw_id <= MAX_ID:
            errors[f"{record}_id"] = f"{record}_id must be the id of an existing {record}."
        else:
            values[f"{record}_choice"] = str(raw_id)


def _scalars(body: dict[str, Any], values: dict[str, str], actor: User,
             errors: dict[str, str]) -> None:
    for key in ("opportunity_name", "amount", "expected_close"):
        if key not in body:
            continue
        value = body[key]
        number_ok = key == "amount" and isinstance(value, int | float)
        if value is not None and not isinstance(value, str) and not number_ok \
                or isinstance(value, bool):
            kind = "a number or a string" if key == "amount" else "a string"
            errors[key] = f"{key} must be {kind}."
        else:
            values[key] = _text(value)
    owner_key = "owner_id" if "owner_id" in body else "owner"
    if owner_key in body:
        values["owner_id"] = _resolve(owner_key, body[owner_key], actor, errors)
