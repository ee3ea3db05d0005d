"""Writing timeline rows: every change to a lead goes through `record` (or, for set-based bulk
writes, `mark_first_response`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.models import User
from ..db_types import utcnow
from ..extensions import db
from .models import Activity, ActivityKind, Lead

# What counts as a person responding to a lead (the report's "time to first response").
RESPONSE_KINDS = frozenset({ActivityKind.commented, ActivityKind.stage_moved,
                            ActivityKind.field_changed})


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "name") and not isinstance(value, str):
        return str(value.name)
    return str(value)


def record(lead: Lead, kind: ActivityKind, actor: User | None = None, *, field: str = "",
           old: Any = None, new: Any = None, data: dict[str, Any] | None = None,
           at: datetime | None = None) -> Activity:
    """Add an activity row to the session; the calling service commits it with its change.
    `at` backdates it (demo data and tests); changes happen now."""
    now = at or utcnow()
    activity = Activity(lead=lead, kind=kind, actor=actor, field=field, old_value=_text(old),
                        new_value=_text(new), data=data, created_at=now)
    db.session.add(activity)
    if actor is not None and kind in RESPONSE_KINDS and lead.first_response_at is None:
        _note_first_response(lead, now)
    return activity


def _note_first_response(lead: Lead, at: datetime) -> None:
    """Stamp the lead's first response without bumping its version: a first comment must not
    make everyone else's open copy of the lead stale."""
    if lead.id is None:
        lead.first_response_at = at
        return
    mark_first_response([Lead.id == lead.id], at)
    set_committed_value(lead, "first_response_at", at)


def mark_first_response(conditions: list[ColumnElement[bool]], at: datetime | None = None) -> int:
    """Set first_response_at on the matching leads that have none yet (bulk moves, edits and
    imports by a person). updated_at is written back unchanged: this is bookkeeping, not an edit."""
    statement = (update(Lead).where(*conditions, Lead.first_response_at.is_(None))
                 .values(first_response_at=at or utcnow(), updated_at=Lead.updated_at)
                 .execution_options(synchronize_session=False))
    return db.session.execute(statement).rowcount
