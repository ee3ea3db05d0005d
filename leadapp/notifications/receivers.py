"""Turning domain events into notifications. They run inside the sender's transaction, so a
rolled-back assignment leaves no notification and sends no email."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from ..auth.models import User
from ..events import lead_assigned, leads_changed_in_bulk
from ..extensions import db
from ..leads.models import Lead
from . import services


def on_lead_assigned(lead: Lead, *, actor: User | None = None, new_owner_id: int | None = None,
                     via: str = "form", rule_name: str = "", **_: Any) -> None:
    owner = db.session.get(User, new_owner_id) if new_owner_id else None
    if owner is None or not owner.active:
        return
    services.notify_assigned(lead, owner, actor, via, rule_name)


def on_bulk(_sender: Any, *, event: str = "", actor: User | None = None, via: str = "",
            owner_counts: dict[int, int] | None = None, group_key: str = "", label: str = "",
            **_: Any) -> None:
    """Bulk assignments (list action, import) carry how many leads each owner got."""
    if event != "lead.assigned" or not owner_counts:
        return
    counts = Counter(owner_counts)
    # One query for the batch's owners (imports call this per batch, with expired objects).
    owners = db.session.scalars(select(User).where(User.id.in_(list(counts)),
                                                   User.active.is_(True)))
    for owner in owners:
        services.notify_many(owner, counts[owner.id], actor, via, group_key, label)


def connect() -> None:
    lead_assigned.connect(on_lead_assigned)
    leads_changed_in_bulk.connect(on_bulk)
