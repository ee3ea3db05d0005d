"""The outbox: domain events become delivery rows in the same transaction as the change.

Receivers only note the event on the session (cheap, and nothing at all when no active endpoint
wants it: the subscribed event names are cached per app). Just before the commit the noted events
are turned into rows: the lead is serialized then, complete (a new lead has its id, company and
owner by that point), and the rows commit or roll back with the change itself. Bulk events
(imports, list actions) store only the lead's id; the sender serializes it before the first
attempt, so a 100k-row import is not slowed by 100k serializations."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .. import events
from ..db_types import utcnow
from ..leads.models import Lead
from ..sources.models import LeadSource
from . import payloads
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, event_matches

PENDING = "webhook_events"
WROTE = "webhook_rows_written"
CHUNK = 500

# Every event an endpoint can subscribe to (the wildcard expands against these).
LEAD_EVENTS = ("lead.created", "lead.updated", "lead.stage_changed", "lead.converted",
               "lead.deleted", "lead.restored")
SOURCE_EVENTS = ("lead_source.created", "lead_source.updated", "lead_source.deleted")
ALL_EVENTS = LEAD_EVENTS + SOURCE_EVENTS
CHOICES = ("lead.*", *ALL_EVENTS)


@dataclass
class Noted:
    event: str
    occurred_at: datetime
    actor_id: int | None
    lead: Lead | None = None
    lead_ids: list[int] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    changes_by_lead: dict[int, dict[str, Any]] = field(default_factory=dict)
    source: LeadSource | None = None
    snapshot: dict[str, Any] | None = None  # a deleted source, taken before the DELETE


class State:
    """Per app: which events have an active subscriber (cached), and the worker's wake-up."""

    def __init__(self, app: Flask) -> None:
        self.ttl = float(app.config.get("WEBHOOKS_CACHE_SECONDS", 5))
        self._wanted: frozenset[str] | None = None
        self._expires = 0.0
        self._lock = threading.Lock()
        self.wake = threading.Event()

    def wanted(self, event: str) -> bool:
        if self._wanted is None or time.monotonic() >= self._expires:
            self._refresh()
        return event in (self._wanted or ())

    def _refresh(self) -> None:
        from ..extensions import db

        with self._lock:
            # No autoflush: a receiver may run while the caller's new lead is half built.
            with db.session.no_autoflush:
                rows = db.session.execute(select(WebhookEndpoint.events)
                                          .where(WebhookEndpoint.active.is_(True))).all()
            patterns = {pattern for (names,) in rows for pattern in names or ()}
            self._wanted = frozenset(name for name in ALL_EVENTS
                                     if any(event_matches(p, name) for p in patterns))
            self._expires = time.monotonic() + self.ttl

    def invalidate(self) -> None:
        self._wanted = None


def state() -> State:
    return current_app.extensions["webhooks"]


def _note(session: Session, noted: Noted) -> None:
    session.info.setdefault(PENDING, []).append(noted)


def _wanted(event: str) -> bool:
    return has_app_context() and "webhooks" in current_app.extensions and state().wanted(event)


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None)


# ---- receivers (run inside the sender's transaction; no I/O, no commit) -----------------------

def _lead_receiver(name: str):
    def receive(lead: Lead, *, actor: Any = None, changes: dict | None = None,
                old_stage: Any = None, new_stage: Any = None, **_: Any) -> None:
        if not _wanted(name):
            return
        from ..extensions import db

        if name == "lead.stage_changed" and old_stage is not None and new_stage is not None:
            changes = {"stage_id": (old_stage.id, new_stage.id),
                       "stage": (old_stage.name, new_stage.name)}
        _note(db.session(), Noted(name, utcnow(), _actor_id(actor), lead=lead,
                                  changes=dict(changes or {})))
    receive.__name__ = f"on_{name.replace('.', '_')}"
    return receive


def _source_receiver(name: str):
    def receive(source: LeadSource, *, actor: Any = None, changes: dict | None = None,
                **_: Any) -> None:
        if not _wanted(name):
            return
        from ..extensions import db

        snapshot = payloads.source_to_dict(source) if name == "lead_source.deleted" else None
        _note(db.session(), Noted(name, utcnow(), _actor_id(actor), source=source,
                                  snapshot=snapshot, changes=dict(changes or {})))
    receive.__name__ = f"on_{name.replace('.', '_')}"
    return receive


def on_bulk(_sender: Any, *, lead_ids: list[int] | None = None, event: str = "",
            actor: Any = None, changes: dict | None = None,
            changes_by_lead: dict[int, dict] | None = None, **_: Any) -> None:
    if event not in LEAD_EVENTS or not lead_ids or not _wanted(event):
        return
    from ..extensions import db

    _note(db.session(), Noted(event, utcnow(), _actor_id(actor), lead_ids=list(lead_ids),
                              changes=dict(changes or {}),
                              changes_by_lead=dict(changes_by_lead or {})))


_RECEIVERS: list[tuple[Any, Any]] = []


def connect() -> None:
    """Subscribe once per process (blinker keeps strong references we hold here)."""
    if _RECEIVERS:
        return
    lead_signals = (events.lead_created, events.lead_updated, events.lead_stage_changed,
                    events.lead_converted, events.lead_deleted, events.lead_restored)
    for signal in lead_signals:
        _RECEIVERS.append((signal, _lead_receiver(signal.name)))
    for signal in (events.source_created, events.source_updated, events.source_deleted):
        _RECEIVERS.append((signal, _source_receiver(signal.name)))
    _RECEIVERS.append((events.leads_changed_in_bulk, on_bulk))
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, weak=False)
    hooks = (("before_commit", _write_rows), ("after_commit", _after_commit),
             ("after_rollback", _drop))
    for name, hook in hooks:
        if not sa_event.contains(Session, name, hook):
            sa_event.listen(Session, name, hook)


# ---- turning noted events into rows, just before the commit ---------------------------------

def _write_rows(session: Session) -> None:
    noted: list[Noted] = session.info.pop(PENDING, [])
    if not noted or not has_app_context():
        return
    endpoints = list(session.scalars(select(WebhookEndpoint)
                                     .where(WebhookEndpoint.active.is_(True))))
    if not endpoints:
        return
    session.flush()  # new leads and sources get their ids
    rows: list[dict[str, Any]] = []
    for item in noted:
        targets = [endpoint for endpoint in endpoints if endpoint.wants(item.event)]
        if not targets:
            continue
        for data, changes, lead_id in _subjects(item):
            rows += [_row(endpoint, item, data, changes, lead_id) for endpoint in targets]
            if len(rows) >= CHUNK:
                session.execute(insert(WebhookDelivery.__table__), rows)
                session.info[WROTE] = True
                rows = []
    if rows:
        session.execute(insert(WebhookDelivery.__table__), rows)
        session.info[WROTE] = True


def _subjects(item: Noted) -> Iterator[tuple[dict[str, Any], dict[str, Any], int | None]]:
    """(data, changes, lead id still to serialize) for each lead or source of the event."""
    changes = payloads.changes_to_dict(item.changes)
    if item.snapshot is not None:
        yield {"lead_source": item.snapshot}, changes, None
    elif item.source is not None:
        yield {"lead_source": payloads.source_to_dict(item.source)}, changes, None
    elif item.lead is not None:
        yield {"lead": payloads.lead_to_dict(item.lead)}, changes, None
    else:  # bulk: the sender serializes each lead before its first attempt
        for lead_id in item.lead_ids:
            own = item.changes_by_lead.get(lead_id)
            yield {}, payloads.changes_to_dict(own) if own is not None else changes, lead_id


def _row(endpoint: WebhookEndpoint, item: Noted, data: dict[str, Any],
         changes: dict[str, Any], lead_id: int | None) -> dict[str, Any]:
    uid, body = payloads.envelope(item.event, item.occurred_at, data, changes, item.actor_id)
    return {"uid": uid, "endpoint_id": endpoint.id, "event": item.event, "body": body,
            "pending_lead_id": lead_id,
            "status": DeliveryStatus.pending, "attempts": 0, "next_attempt_at": item.occurred_at,
            "last_error": "", "created_at": item.occurred_at}


def _after_commit(session: Session) -> None:
    wrote = session.info.pop(WROTE, False)
    if wrote and has_app_context() and "webhooks" in current_app.extensions:
        state().wake.set()  # an in-process worker sends at once instead of at its next poll


def _drop(session: Session, *_: Any) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(WROTE, None)
