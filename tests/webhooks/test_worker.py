"""The sender against a real receiver: signatures, retries, backoff, SSRF at send time, CLI."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from leadapp.db_types import utcnow
from leadapp.extensions import db
from leadapp.leads.intake import place_new_lead
from leadapp.leads.models import Lead
from leadapp.webhooks import worker
from leadapp.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from leadapp.webhooks.services import resend, send_test
from tests.factories import LeadFactory, LeadSourceFactory

from .conftest import deliveries


def _run(app) -> int:
    with app.app_context():
        return worker.run_once()


def test_delivery_is_signed_and_carries_id_and_event_headers(hooks_app, receiver,
                                                             make_endpoint):
    make_endpoint(receiver.url, ["lead.created"], receiver=receiver)
    with hooks_app.app_context():
        lead_id = LeadFactory().id  # the factory does not pass place_new_lead: no event
        place_new_lead(Lead(title="Hooked", source=LeadSourceFactory()), None, via="api")
        db.session.commit()
    assert _run(hooks_app) == 1
    [request] = receiver.requests
    [row] = deliveries(hooks_app)
    assert receiver.signature_ok == [True]
    assert request.path == "/hooks?src=leadapp"
    assert request.headers["X-Leadapp-Delivery"] == row.uid == request.json["id"]
    assert request.headers["X-Leadapp-Event"] == "lead.created"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json["data"]["lead"]["title"] == "Hooked" and request.body == row.body
    assert request.json["data"]["lead"]["id"] != lead_id
    assert (row.status, row.attempts, row.response_code) == (DeliveryStatus.delivered, 1, 200)
    assert row.delivered_at is not None and row.duration_ms is not None


def test_failure_is_retried_with_the_same_delivery_id_then_delivered(hooks_app, receiver,
                                                                    make_endpoint):
    endpoint_id = make_endpoint(receiver.url, ["lead.*"], receiver=receiver)
    receiver.statuses = [500]
    with hooks_app.app_context():
        send_test(db.session.get(WebhookEndpoint, endpoint_id))
    hooks_app.config["WEBHOOKS_BACKOFF_SECONDS"] = 60
    assert _run(hooks_app) == 1
    [row] = deliveries(hooks_app)
    assert (row.status, row.attempts, row.response_code) == (DeliveryStatus.pending, 1, 500)
    assert "HTTP 500" in row.last_error and "nope" in row.last_error
    delay = (row.next_attempt_at - row.last_attempt_at).total_seconds()
    assert 45 <= delay <= 75, "first retry after base ±25 %"
    assert _run(hooks_app) == 0, "not due yet"
    _make_due(hooks_app)
    assert _run(hooks_app) == 1
    [row] = deliveries(hooks_app)
    assert (row.status, row.attempts, row.response_code, row.last_error) == (
        DeliveryStatus.delivered, 2, 200, "")
    ids = [request.headers["X-Leadapp-Delivery"] for request in receiver.requests]
    assert ids == [row.uid, row.uid] and receiver.signature_ok == [True, True]


def _make_due(app) -> None:
    with app.app_context():
        db.session.execute(update(WebhookDelivery).values(
            next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_gives_up_after_max_attempts_and_resend_starts_again(hooks_app, receiver,
                                                            make_endpoint):
    endpoint_id = make_endpoint(receiver.url, receiver=receiver)
    hooks_app.config["WEBHOOKS_MAX_ATTEMPTS"] = 3
    receiver.statuses = [503, 502, 500]
    with hooks_app.app_context():
        send_test(db.session.get(WebhookEndpoint, endpoint_id))
    for _ in range(3):
        assert _run(hooks_app) == 1
    [row] = deliveries(hooks_app)
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.failed, 3, None)
    assert _run(hooks_app) == 0
    with hooks_app.app_context():
        resend(db.session.get(WebhookDelivery, row.id))
    assert _run(hooks_app) == 1
    [row] = deliveries(hooks_app)
    assert (row.status, row.attempts) == (DeliveryStatus.delivered, 1)
    assert len(receiver.requests) == 4


def test_redirect_is_not_followed(hooks_app, receiver, make_endpoint):
    endpoint_id = make_endpoint(receiver.url, receiver=receiver)
    receiver.statuses = [302]
    with hooks_app.app_context():
        send_test(db.session.get(WebhookEndpoint, endpoint_id))
    _run(hooks_app)
    [row] = deliveries(hooks_app)
    assert row.status == DeliveryStatus.pending and row.response_code == 302
    assert "redirects are not followed" in row.last_error
    assert len(receiver.requests) == 1


def test_private_address_is_refused_again_at_send_time(hooks_app, receiver, make_endpoint):
    endpoint_id = make_endpoint(receiver.url, receiver=receiver)  # saved while allowed
    with hooks_app.app_context():
        send_test(db.session.get(WebhookEndpoint, endpoint_id))
    hooks_app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    _run(hooks_app)
    [row] = deliveries(hooks_app)
    assert row.status == DeliveryStatus.pending and row.attempts == 1
    assert "private, loopback or reserved" in row.last_error
    assert receiver.requests == []


def test_unreachable_endpoint_records_the_connection_error(hooks_app, make_endpoint):
    endpoint_id = make_endpoint("http://127.0.0.1:9/closed")
    with hooks_app.app_context():
        send_test(db.session.get(WebhookEndpoint, endpoint_id))
    _run(hooks_app)
    [row] = deliveries(hooks_app)
    assert row.response_code is None and "ConnectionRefused" in row.last_error


def test_claim_is_exclusive_and_an_expired_lease_is_claimed_again(hooks_app, make_endpoint):
    endpoint_id = make_endpoint("http://127.0.0.1:9/x")
    with hooks_app.app_context():
        send_test(db.session.get(WebhookEndpoint, endpoint_id))
        first = worker.claim(10, "a")
        assert len(first) == 1 and worker.claim(10, "b") == []
        db.session.execute(update(WebhookDelivery).values(
            lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert worker.claim(10, "c") == first


@pytest.mark.parametrize("attempts, expected", [(1, 30), (2, 60), (3, 120), (5, 480)])
def test_backoff_doubles_per_attempt(attempts, expected):
    assert worker.backoff_seconds(attempts, 30, rng=lambda: 0.5) == expected


def test_backoff_jitter_bounds_and_cap():
    assert worker.backoff_seconds(2, 30, rng=lambda: 0.0) == 45
    assert worker.backoff_seconds(2, 30, rng=lambda: 1.0) == 75
    assert worker.backoff_seconds(30, 30, rng=lambda: 0.5) == worker.MAX_DELAY


def test_cli_worker_once_sends_the_queue(hooks_app, receiver, make_endpoint):
    endpoint_id = make_endpoint(receiver.url, receiver=receiver)
    with hooks_app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        send_test(endpoint)
        send_test(endpoint)
    result = hooks_app.test_cli_runner().invoke(args=["webhooks", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Made 2 delivery attempts." in result.output
    assert len(receiver.requests) == 2 and all(receiver.signature_ok)
    assert {row.status for row in deliveries(hooks_app)} == {DeliveryStatus.delivered}


def test_prune_forgets_old_delivered_rows_only(hooks_app, make_endpoint):
    endpoint_id = make_endpoint("http://127.0.0.1:9/x")
    with hooks_app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        old, recent, failed = (send_test(endpoint) for _ in range(3))
        long_ago = utcnow() - timedelta(days=31)
        old.status, old.delivered_at = DeliveryStatus.delivered, long_ago
        recent.status, recent.delivered_at = DeliveryStatus.delivered, utcnow()
        failed.status, failed.created_at = DeliveryStatus.failed, long_ago
        kept = sorted([recent.id, failed.id])
        db.session.commit()
        assert worker.prune(30) == 1
    assert sorted(row.id for row in deliveries(hooks_app)) == kept


def test_bulk_event_rows_get_their_lead_from_the_sender(hooks_app, receiver, make_endpoint):
    make_endpoint(receiver.url, ["lead.deleted"], receiver=receiver)
    with hooks_app.app_context():
        from leadapp.leads import bulk
        from tests.factories import UserFactory

        lead = LeadFactory(title="Bulk one")
        lead_id = lead.id
        bulk.trash([lead_id], UserFactory(role="admin"))
    [row] = deliveries(hooks_app, complete=False)
    assert row.pending_lead_id == lead_id and "data" in row.body
    assert json.loads(row.body)["data"] == {}
    assert _run(hooks_app) == 1
    [request] = receiver.requests
    assert request.json["data"]["lead"]["id"] == lead_id
    assert request.json["data"]["lead"]["deleted"] is True
    [row] = deliveries(hooks_app, complete=False)
    assert row.pending_lead_id is None and row.body == request.body
    assert receiver.signature_ok == [True]
