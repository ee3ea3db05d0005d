"""Writing timeline rows: every change to a lead goes through `record`."""

from __future__ import annotations

from typing import Any

from ..auth.models import User
from ..extensions import db
from .models import Activity, ActivityKind, Lead


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "name") and not isinstance(value, str):
        return str(value.name)
    return str(value)


def record(lead: Lead, kind: ActivityKind, actor: User | None = None, *, field: str = "",
           old: Any = None, new: Any = None, data: dict[str, Any] | None = None) -> Activity:
    """Add an activity row to the session; the calling service commits it with its change."""
    activity = Activity(lead=lead, kind=kind, actor=actor, field=field, old_value=_text(old),
                        new_value=_text(new), data=data)
    db.session.add(activity)
    return activity
