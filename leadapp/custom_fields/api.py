"""Custom fields in the JSON API: the `custom_fields` object (key -> value) of a lead, how
POST/PUT/PATCH read it, GET /api/leads/fields entries and the OpenAPI schema.

Values go out typed (whole numbers as integers, money as exact decimal strings, dates as ISO
strings, yes/no as booleans, several choices as arrays) and come in the same way; the kinds'
parsers also accept the text forms ("1250.50", "yes", "a|b").
"""

from __future__ import annotations

from typing import Any

from flask import has_app_context

from ..auth.models import User
from ..errors import RuleViolation
from ..leads.models import Lead
from . import types
from .models import CustomField, FieldKind
from .services import apply_values, by_param, list_fields, parse_values, values_for, values_of

JSON_TYPES = {FieldKind.text: "string", FieldKind.long_text: "string",
              FieldKind.number: "integer", FieldKind.decimal: "decimal", FieldKind.date: "date",
              FieldKind.yes_no: "boolean", FieldKind.choice: "enum",
              FieldKind.multi_choice: "array of enum", FieldKind.url: "url",
              FieldKind.email: "email", FieldKind.phone: "phone"}


def as_json(lead: Lead) -> dict[str, Any]:
    """Every field's key with this lead's value (null when empty)."""
    values = values_of(lead)
    return {item.key: types.as_json(item, values.get(item.id)) for item in list_fields()}


def as_json_many(leads: list[Lead]) -> dict[int, dict[str, Any]]:
    """as_json for a page of leads in one query."""
    fields = list_fields()
    values = values_for([lead.id for lead in leads], fields)
    return {lead.id: {item.key: types.as_json(item, values.get(lead.id, {}).get(item.id))
                      for item in fields} for lead in leads}


def _checked(raw: Any, partial: bool) -> dict[CustomField, Any]:
    if not isinstance(raw, dict):
        raise RuleViolation("custom_fields must be an object of field key -> value "
                            "(see GET /api/leads/fields).", "custom_fields")
    fields = by_param()
    try:
        return parse_values(raw, fields, partial=partial)
    except RuleViolation as error:
        name = error.field or "custom_fields"
        key = name[3:] if name.startswith("cf_") else name
        raise RuleViolation(error.message, f"custom_fields.{key}" if key != "custom_fields"
                            else key) from None


def form_keys(raw: Any, lead: Lead | None) -> dict[str, Any]:
    """The lead form's `cf_` values for POST (missing keys are empty) or PUT (missing keys
    keep the lead's values; no `custom_fields` at all leaves them alone). Checked here, so
    errors name `custom_fields.<key>`; required fields are enforced."""
    if raw is None and lead is not None:
        return {}
    given = _checked(raw if raw is not None else {}, partial=True)
    current = values_of(lead) if lead is not None else {}
    merged = {item.param: given[item] if item in given else current.get(item.id)
              for item in list_fields()}
    _checked(merged, partial=False)
    return merged


def stage_patch(lead: Lead, raw: Any, actor: User) -> dict[str, tuple[Any, Any]]:
    """PATCH: apply the given keys only, in the caller's transaction (it commits)."""
    return apply_values(lead, _checked(raw, partial=True), actor)


def describe() -> list[dict[str, Any]]:
    """GET /api/leads/fields entries, named `custom_fields.<key>`."""
    return [{"name": f"custom_fields.{item.key}", "label": item.label,
             "type": JSON_TYPES[item.kind], "required": item.required,
             "max_length": types.TEXT_MAX if item.kind in (
                 FieldKind.text, FieldKind.url, FieldKind.email, FieldKind.phone) else None,
             "choices": [{"id": option, "name": option} for option in item.options]
             if item.kind.has_options else None, "help": item.help_text,
             "writable": ["POST", "PUT", "PATCH"]} for item in list_fields()]


def openapi_schema() -> dict[str, Any]:
    """The `custom_fields` object: one property per field, typed; built when the document is
    served, so it follows the admins' fields."""
    properties: dict[str, Any] = {}
    # Outside an app (a document built by a script) the fields are unknown: a bare object.
    for item in list_fields() if has_app_context() else []:
        schema = _property(item)
        schema["description"] = item.label + (f" — {item.help_text}" if item.help_text else "")
        properties[item.key] = schema
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "description": "Custom lead fields by key (admins define them under "
                           "/admin/settings/fields; GET /api/leads/fields lists them). "
                           "Empty values are null."}


def _property(item: CustomField) -> dict[str, Any]:
    if item.kind == FieldKind.number:
        return {"type": ["integer", "null"]}
    if item.kind == FieldKind.decimal:
        return {"type": ["string", "null"], "format": "decimal", "example": "1250.50"}
    if item.kind == FieldKind.date:
        return {"type": ["string", "null"], "format": "date"}
    if item.kind == FieldKind.yes_no:
        return {"type": ["boolean", "null"]}
    if item.kind == FieldKind.choice:
        return {"type": ["string", "null"], "enum": [*item.options, None]}
    if item.kind == FieldKind.multi_choice:
        return {"type": ["array", "null"], "items": {"type": "string", "enum": item.options}}
    formats = {FieldKind.url: "uri", FieldKind.email: "email"}
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if item.kind in formats:
        schema["format"] = formats[item.kind]
    return schema
