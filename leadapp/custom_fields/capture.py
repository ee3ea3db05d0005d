"""Custom fields on capture forms. Each form chooses which custom fields it shows (by `cf_<key>`
in its field list, like the built-in fields), their visitor-facing label and whether they are
required there; the visitor's values are checked by the field kind's own parser."""

from __future__ import annotations

from typing import Any

from ..capture.fields import FieldSpec
from ..leads.models import Lead
from . import types
from .models import CustomField, FieldKind
from .services import apply_values, list_fields

# Field kind -> the public form's input (capture templates render these kinds).
HTML_KINDS = {FieldKind.text: "text", FieldKind.long_text: "textarea",
              FieldKind.number: "number", FieldKind.decimal: "number", FieldKind.date: "date",
              FieldKind.yes_no: "select", FieldKind.choice: "select",
              FieldKind.multi_choice: "checkboxes", FieldKind.url: "url",
              FieldKind.email: "email", FieldKind.phone: "tel"}
MAX_LENGTHS = {FieldKind.long_text: types.LONG_MAX, FieldKind.email: 254,
               FieldKind.phone: 40, FieldKind.url: 255}


def specs() -> dict[str, FieldSpec]:
    """A capture FieldSpec per custom field, by `cf_<key>` (lead_attr empty: stored apart)."""
    return {item.param: FieldSpec(item.param, item.label, "", HTML_KINDS[item.kind],
                                  MAX_LENGTHS.get(item.kind, types.TEXT_MAX))
            for item in list_fields()}


def choices(name: str) -> list[tuple[str, str]]:
    """The options a select or checkbox group offers."""
    item = _field(name)
    if item is None:
        return []
    if item.kind == FieldKind.yes_no:
        return [("yes", "Yes"), ("no", "No")]
    return [(option, option) for option in item.options]


def _field(name: str) -> CustomField | None:
    return next((item for item in list_fields() if item.param == name), None)


def clean(name: str, raw: Any, required: bool) -> tuple[Any, str]:
    """(typed value, "") or (None, message) for one visitor value; `required` is the form's."""
    item = _field(name)
    if item is None:
        return None, ""
    probe = CustomField(key=item.key, label=item.label, kind=item.kind, options=item.options,
                        required=required)
    try:
        return types.parse(probe, raw), ""
    except ValueError as error:
        return None, str(error)


def apply(lead: Lead, values: dict[str, Any]) -> None:
    """Store the captured custom values on the new lead (in the capture's transaction)."""
    fields = {item.param: item for item in list_fields()}
    chosen = {fields[name]: value for name, value in values.items()
              if name in fields and value is not None}
    apply_values(lead, chosen, None, log=False)
