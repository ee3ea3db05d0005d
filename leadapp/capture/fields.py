"""The lead fields a capture form can show: names, default labels, input types and limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the form/API name
    label: str  # default label
    lead_attr: str  # the Lead column it fills ("" for consent)
    kind: str  # text | email | tel | url | textarea | checkbox
    max_length: int
    autocomplete: str = ""


FIELD_SPECS: tuple[FieldSpec, ...] = (
    FieldSpec("first_name", "First name", "first_name", "text", 100, "given-name"),
    FieldSpec("last_name", "Last name", "last_name", "text", 100, "family-name"),
    FieldSpec("email", "Email", "email", "email", 254, "email"),
    FieldSpec("phone", "Phone", "phone", "tel", 40, "tel"),
    FieldSpec("company", "Company", "company_name", "text", 200, "organization"),
    FieldSpec("title", "Subject", "title", "text", 255, "off"),
    FieldSpec("website", "Website", "website", "url", 255, "url"),
    FieldSpec("city", "City", "city", "text", 120, "address-level2"),
    FieldSpec("message", "Message", "description", "textarea", 5000, "off"),
    FieldSpec("consent", "I agree that you may contact me about my request.", "", "checkbox", 0),
)
SPECS = {spec.name: spec for spec in FIELD_SPECS}
NAME_FIELDS = ("first_name", "last_name", "company")
CONTACT_FIELDS = ("email", "phone")

# create-from-site accepts the seed CRM's names too.
API_ALIASES = {"account_name": "company", "description": "message"}

DEFAULT_FIELDS: list[dict[str, Any]] = [
    {"name": "first_name", "label": "First name", "required": True},
    {"name": "last_name", "label": "Last name", "required": False},
    {"name": "email", "label": "Email", "required": True},
    {"name": "phone", "label": "Phone", "required": False},
    {"name": "company", "label": "Company", "required": False},
    {"name": "message", "label": "How can we help?", "required": False},
]


def custom_specs() -> dict[str, FieldSpec]:
    """The admin-defined lead fields a form may show, by `cf_<key>` (see custom_fields)."""
    from ..custom_fields.capture import specs  # late: custom_fields imports this module

    return specs()


def shown_fields(config: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The form's field rows in display order, each with its spec; unknown names are skipped."""
    rows = []
    for row in config or []:
        spec = SPECS.get(str(row.get("name"))) or custom_specs().get(str(row.get("name")))
        if spec is not None:
            rows.append({"name": spec.name, "label": row.get("label") or spec.label,
                         "required": bool(row.get("required")), "spec": spec})
    return rows
