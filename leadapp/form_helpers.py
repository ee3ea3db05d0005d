"""Small pieces every feature's WTForms share."""

from __future__ import annotations

from typing import Any


def optional_int(value: Any) -> int | None:
    """SelectField coerce: an id, or None for the empty "Choose…" option (and for junk, which the
    field's own validators then report)."""
    if value in (None, "", "None"):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def show_domain_error(form: Any, error: Any) -> None:
    """Put a service's DomainError on the field it names (or on the whole form), so the form
    re-renders with the user's values and the message where it belongs."""
    field = getattr(form, error.field, None) if error.field else None
    (field.errors if field is not None else form.form_errors).append(error.message)
