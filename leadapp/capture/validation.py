"""One rule set for what a visitor may send, shared by the public form and create-from-site."""

from __future__ import annotations

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email

from ..custom_fields import capture as custom_capture
from .fields import API_ALIASES, SPECS, custom_specs, shown_fields

PHONE_CHARS = re.compile(r"^[\d\s()+\-./]+$")
HOST = re.compile(r"^(?:https?://)?[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:[/?#]\S*)?$", re.IGNORECASE)
TRUE_WORDS = {"1", "true", "yes", "on", "y"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, int | float):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def clean(config: list[dict[str, Any]], raw: dict[str, Any], *, every_field: bool = False
          ) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values and one message per bad field. The form's rows say what is required;
    `every_field` (the API) also accepts the lead fields the form does not show."""
    rows = {row["name"]: row for row in shown_fields(config)}
    names = [*SPECS, *custom_specs()] if every_field else list(rows)
    raw = {API_ALIASES.get(key, key): value for key, value in raw.items()}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in names:
        if name.startswith("cf_"):  # a custom lead field: its kind's own parser
            required = bool(rows.get(name) and rows[name]["required"])
            values[name], message = custom_capture.clean(name, raw.get(name), required)
            if message:
                errors[name] = message
            continue
        spec, row = SPECS[name], rows.get(name)
        label = (row["label"] if row else spec.label)
        if name in raw and not isinstance(raw[name], str | int | float | bool | None):
            errors[name] = f"{spec.label} must be text."
            continue
        if spec.kind == "checkbox":
            values[name] = _text(raw.get(name)).lower() in TRUE_WORDS
            if row and row["required"] and not values[name]:
                errors[name] = "Please tick this box to continue."
            continue
        value = _text(raw.get(name))
        message = _check(spec.kind, value, spec.max_length)
        if message:
            errors[name] = message
        elif not value and row and row["required"]:
            errors[name] = f"Please enter your {label.lower().rstrip(':*? ')}."
        values[name] = value.lower() if spec.kind == "email" else value
    _need_contact(names, values, errors)
    return values, errors


def _check(kind: str, value: str, max_length: int) -> str:
    if not value:
        return ""
    if len(value) > max_length:
        return f"Keep this under {max_length} characters."
    if kind == "email":
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            return "Enter a valid email address, like name@example.com."
    if kind == "tel":
        digits = re.sub(r"\D", "", value)
        if not PHONE_CHARS.match(value) or not 6 <= len(digits) <= 20:
            return "Enter a phone number with 6 to 20 digits, like +1 555 010 2030."
    if kind == "url" and not HOST.match(value):
        return "Enter a web address like example.com."
    return ""


def _need_contact(names: list[str], values: dict[str, Any], errors: dict[str, str]) -> None:
    """A lead nobody can reach is not a lead: ask for an email or a phone number."""
    contact = [name for name in ("email", "phone") if name in names]
    if not contact or any(values.get(name) for name in contact):
        return
    if any(name in errors for name in contact):
        return
    errors[contact[0]] = ("Enter an email or a phone number so we can reach you."
                          if len(contact) == 2 else errors.get(contact[0])
                          or f"Please enter your {contact[0]}.")
