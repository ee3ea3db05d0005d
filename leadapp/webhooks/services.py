"""Endpoint rules: validated URLs (SSRF), secrets, the delivery log, resend and test events."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..auth.models import User
from ..db_types import utcnow
from ..errors import RuleViolation
from ..extensions import db
from ..settings import services as app_settings
from . import addresses, payloads, signing
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .outbox import CHOICES, state

log = logging.getLogger(__name__)

LOG_PAGE = 50
TEST_EVENT = "webhook.test"


def list_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def status_counts(endpoint_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{endpoint id: {status name: count}} in one grouped query, for the endpoints table."""
    ids = list(endpoint_ids)
    counts: dict[int, dict[str, int]] = {endpoint_id: {} for endpoint_id in ids}
    if not ids:
        return counts
    rows = db.session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.endpoint_id.in_(ids))
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status))
    for endpoint_id, status, count in rows:
        counts[endpoint_id][status.name] = count
    return counts


def check_url(url: str) -> str:
    url = (url or "").strip()
    try:
        addresses.resolve(url, app_settings.private_webhooks_allowed())
    except addresses.UnsafeUrl as error:
        raise RuleViolation(str(error), field="url") from None
    return url


def _clean_events(names: Iterable[str]) -> list[str]:
    chosen = [name for name in CHOICES if name in set(names or ())]
    if not chosen:
        raise RuleViolation("Choose at least one event to send.", field="events")
    if "lead.*" in chosen:  # the wildcard already covers every lead event
        chosen = ["lead.*", *(name for name in chosen if not name.startswith("lead."))]
    return chosen


def create_endpoint(url: str, description: str, events: Iterable[str],
                    active: bool = True) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(url=check_url(url), description=(description or "").strip(),
                               events=_clean_events(events), active=active,
                               secret=signing.new_secret())
    db.session.add(endpoint)
    _commit()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, url: str, description: str,
                    events: Iterable[str], active: bool) -> WebhookEndpoint:
    endpoint.url = check_url(url)
    endpoint.description = (description or "").strip()
    endpoint.events = _clean_events(events)
    endpoint.active = active
    _commit()
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret signs every attempt from now on, queued retries included."""
    endpoint.secret = signing.new_secret()
    _commit()
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    db.session.delete(endpoint)
    _commit()


def _commit() -> None:
    db.session.commit()
    state().invalidate()  # this process sees the change at once; others within the cache TTL


@dataclass(frozen=True)
class LogPage:
    rows: list[WebhookDelivery]
    older: int | None  # the `before` of the next, older page; None on the oldest page


def deliveries(endpoint: WebhookEndpoint, status: str = "", before: int | None = None,
               limit: int = LOG_PAGE) -> LogPage:
    """One page of the endpoint's log, newest first, starting below the id `before`. Paged by
    id rather than offset: new deliveries arriving while someone pages do not shift the rows."""
    query = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
             .order_by(WebhookDelivery.id.desc()).limit(limit + 1))
    if status in DeliveryStatus.__members__:
        query = query.where(WebhookDelivery.status == DeliveryStatus[status])
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    rows = list(db.session.scalars(query))
    return LogPage(rows[:limit], rows[limit - 1].id if len(rows) > limit else None)


def resend(delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue the same delivery (same id and body, so receivers can still deduplicate) again,
    with a fresh set of attempts."""
    if delivery.status == DeliveryStatus.sending:
        raise RuleViolation("This delivery is being sent right now; wait for the result.")
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.lease_until = delivery.lease_token = None
    db.session.commit()
    state().wake.set()
    return delivery


def send_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` delivery to this endpoint only, whatever events it subscribes to."""
    now = utcnow()
    data = {"endpoint": {"id": endpoint.id, "url": endpoint.url},
            "message": "A test delivery from leadapp; verify its signature with your secret."}
    uid, body = payloads.envelope(TEST_EVENT, now, data, {}, None)
    delivery = WebhookDelivery(uid=uid, endpoint=endpoint, event=TEST_EVENT, body=body,
                               status=DeliveryStatus.pending, attempts=0, next_attempt_at=now)
    db.session.add(delivery)
    db.session.commit()
    state().wake.set()
    return delivery


def set_allow_private(allowed: bool, actor: User) -> None:
    """The admin setting for private and loopback endpoint addresses; commits. Logged, since it
    opens the server's own network to whoever can edit endpoints."""
    app_settings.set_private_webhooks(allowed)
    log.warning("Webhooks to private addresses %s by user %s",
                "allowed" if allowed else "refused", actor.id)


def form_values(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"url": endpoint.url, "description": endpoint.description,
            "events": list(endpoint.events or ()), "active": endpoint.active}
