"""The sender: claims due deliveries, POSTs them signed, and schedules retries.

Any number of workers may run (a thread in each gunicorn worker, `flask webhooks worker`
processes): a delivery is claimed by one atomic UPDATE that only succeeds while the row is still
due (PostgreSQL also skips rows another worker has locked), and the claim is a lease, so a worker
that dies mid-send leaves a row that becomes due again when the lease runs out. Each claim carries
a random token: the lease is renewed under it before every attempt (rows wait their turn in a
batch) and the result is written only while the token still holds, so a row that another worker
re-claimed is neither sent nor recorded twice by the first one."""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, delete, or_, select, update

from ..db_types import utcnow
from ..extensions import db
from ..leads.models import Lead
from ..settings import services as app_settings
from . import addresses, payloads, sender, signing
from .models import DeliveryStatus, WebhookDelivery
from .outbox import state

log = logging.getLogger(__name__)

MAX_DELAY = 6 * 3600  # no retry waits longer than six hours
USER_AGENT = "leadapp-webhooks/1"


def backoff_seconds(attempts: int, base: float, rng: Callable[[], float] = random.random) -> float:
    """Delay after the `attempts`-th failure: base·2^(n-1), capped, ±25 % jitter so endpoints
    that failed together do not get retried in lockstep."""
    delay = min(MAX_DELAY, base * 2 ** max(0, attempts - 1))
    return delay * (0.75 + 0.5 * rng())


def _due(now):  # noqa: ANN001, ANN202 - a SQL expression
    return or_(and_(WebhookDelivery.status == DeliveryStatus.pending,
                    WebhookDelivery.next_attempt_at <= now),
               and_(WebhookDelivery.status == DeliveryStatus.sending,
                    WebhookDelivery.lease_until < now))


def claim(limit: int, token: str) -> list[int]:
    """Take up to `limit` due deliveries for this worker under `token`; commits the claim."""
    now = utcnow()
    candidates = (select(WebhookDelivery.id).where(_due(now))
                  .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(candidates))
    if not ids:
        db.session.rollback()
        return []
    # The WHERE repeats the due test: on SQLite another worker may have claimed a row between
    # our SELECT and this UPDATE, and then it simply does not come back.
    claimed = list(db.session.scalars(
        update(WebhookDelivery).where(WebhookDelivery.id.in_(ids), _due(now))
        .values(status=DeliveryStatus.sending, lease_until=_lease_end(now), lease_token=token)
        .returning(WebhookDelivery.id).execution_options(synchronize_session=False)))
    db.session.commit()
    return sorted(claimed)


def new_token() -> str:
    return uuid.uuid4().hex


def _lease_end(now: datetime) -> datetime:
    return now + timedelta(seconds=current_app.config["WEBHOOKS_LEASE_SECONDS"])


def _held(delivery_id: int, token: str):  # noqa: ANN202 - a SQL expression
    """The row is still claimed by this sender: nobody re-claimed it after our lease ran out."""
    return and_(WebhookDelivery.id == delivery_id, WebhookDelivery.lease_token == token,
                WebhookDelivery.status == DeliveryStatus.sending)


def renew(delivery_id: int, token: str) -> bool:
    """A full lease from now for the attempt about to start; False when the row has been
    re-claimed (rows wait their turn in a batch, and the lease may run out meanwhile)."""
    renewed = db.session.execute(
        update(WebhookDelivery).where(_held(delivery_id, token))
        .values(lease_until=_lease_end(utcnow()))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(renewed)


def attempt(delivery_id: int, token: str) -> WebhookDelivery | None:
    """One attempt at a delivery this sender holds under `token`; the result is committed.
    None, without sending, when another sender holds the row now."""
    if not renew(delivery_id, token):
        log.info("Webhook delivery %s was claimed by another sender; skipped", delivery_id)
        return None
    config = current_app.config
    delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    complete_body(delivery)
    endpoint = delivery.endpoint
    url, secret, body, event, uid = (endpoint.url, endpoint.secret, delivery.body,
                                     delivery.event, delivery.uid)
    active, allow_private = endpoint.active, app_settings.private_webhooks_allowed()
    db.session.commit()  # no transaction stays open while we wait on the network
    if not active:
        outcome = sender.Outcome(False, None, 0,
                                 "The endpoint is inactive; activate it, then resend.")
    else:
        outcome = _send(url, secret, body, event, uid, config, allow_private)
    return _record(delivery, token, outcome, final=not active)


def complete_body(delivery: WebhookDelivery) -> None:
    """Put a bulk event's lead into the body (once; retries then send the same body)."""
    if delivery.pending_lead_id is None:
        return
    lead = db.session.get(Lead, delivery.pending_lead_id, populate_existing=True)
    delivery.body = payloads.with_lead(delivery.body, lead, delivery.pending_lead_id)
    delivery.pending_lead_id = None


def _send(url: str, secret: str, body: str, event: str, uid: str, config: dict,
          allow_private: bool) -> sender.Outcome:
    try:
        target = addresses.resolve(url, allow_private)
    except addresses.UnsafeUrl as error:
        return sender.Outcome(False, None, 0, str(error))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-Leadapp-Event": event, "X-Leadapp-Delivery": uid,
               "X-Leadapp-Signature": signing.header(secret, body)}
    return sender.post(target, body.encode(), headers, float(config["WEBHOOKS_TIMEOUT"]))


def _record(delivery: WebhookDelivery, token: str, outcome: sender.Outcome, final: bool
            ) -> WebhookDelivery | None:
    """Write the attempt's result, only while this sender still holds the row: a sender whose
    attempt outlived its lease must not overwrite the newer claim's status or attempt count."""
    values = _result(delivery.attempts + 1, outcome, final)
    written = db.session.execute(
        update(WebhookDelivery).where(_held(delivery.id, token)).values(**values)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not written:
        log.warning("Webhook delivery %s: lease lost during the attempt; result not recorded",
                    delivery.id)
        return None
    return db.session.get(WebhookDelivery, delivery.id, populate_existing=True)


def _result(attempts: int, outcome: sender.Outcome, final: bool) -> dict[str, Any]:
    """The columns an attempt's outcome sets: delivered, failed for good, or a retry later."""
    config = current_app.config
    now = utcnow()
    values: dict[str, Any] = {
        "attempts": attempts, "last_attempt_at": now, "response_code": outcome.status,
        "duration_ms": outcome.duration_ms, "last_error": outcome.error[:500],
        "lease_until": None, "lease_token": None}
    if outcome.ok:
        status, delivered_at, next_at = DeliveryStatus.delivered, now, None
    elif final or attempts >= config["WEBHOOKS_MAX_ATTEMPTS"]:
        status, delivered_at, next_at = DeliveryStatus.failed, None, None
    else:
        delay = backoff_seconds(attempts, float(config["WEBHOOKS_BACKOFF_SECONDS"]))
        status, delivered_at, next_at = (DeliveryStatus.pending, None,
                                         now + timedelta(seconds=delay))
    return {**values, "status": status, "delivered_at": delivered_at, "next_attempt_at": next_at}


def run_once(limit: int = 20) -> int:
    """Send what is due now (at most `limit`); returns how many rows were claimed."""
    token = new_token()
    ids = claim(limit, token)
    for delivery_id in ids:
        try:
            attempt(delivery_id, token)
        except Exception:  # one broken row must not stop the others; its lease expires
            db.session.rollback()
            log.exception("Webhook delivery %s failed unexpectedly", delivery_id)
    return len(ids)


def prune(days: int) -> int:
    """Forget delivered rows older than `days` (failed ones stay for a resend); commits."""
    cutoff = utcnow() - timedelta(days=days)
    removed = db.session.execute(delete(WebhookDelivery).where(
        WebhookDelivery.status == DeliveryStatus.delivered,
        WebhookDelivery.delivered_at < cutoff)).rowcount
    db.session.commit()
    return int(removed or 0)


PRUNE_EVERY = 3600.0


def run_forever(app: Flask, stop: threading.Event) -> None:
    """Poll until `stop` is set; a commit that wrote deliveries wakes the loop early."""
    poll = float(app.config["WEBHOOKS_POLL_SECONDS"])
    pruned_at = 0.0
    while not stop.is_set():
        with app.app_context():
            wake = state().wake
            try:
                if time.monotonic() - pruned_at > PRUNE_EVERY:
                    prune(app.config["WEBHOOKS_KEEP_DAYS"])
                    pruned_at = time.monotonic()
                busy = run_once()
            except Exception:  # the database may be down for a moment; try again later
                log.exception("Webhook worker pass failed")
                busy = 0
            finally:
                db.session.remove()
        if not busy:
            wake.wait(poll)
            wake.clear()


class ThreadWorker:
    """The in-process sender (WEBHOOKS_WORKER=thread): one daemon thread per process, started by
    the first request, so CLI commands such as `db upgrade` never start one."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stop = threading.Event()
        self._pid: int | None = None
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # after a fork the child starts its own thread
            threading.Thread(target=run_forever, args=(self.app, self.stop),
                             name="webhooks-worker", daemon=True).start()
