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
