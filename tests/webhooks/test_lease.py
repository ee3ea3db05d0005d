"""A sender whose lease ran out neither sends nor records a delivery another sender re-claimed,
so a long batch (slow endpoints) cannot send a row twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from leadapp.db_types import utcnow
from leadapp.extensions import db
from leadapp.webhooks import sender, worker
from leadapp.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from leadapp.webhooks.services import send_test

from .conftest import deliveries


def _queue(app, endpoint_id: int, count: int) -> None:
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        for _ in range(count):
            send_test(endpoint)


def _expire_leases(*, but_uid: str = "") -> None:
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.uid != but_uid)
                       .values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_attempt_after_the_row_was_claimed_again_sends_nothing(hooks_app, receiver,
                                                               make_endpoint):
    _queue(hooks_app, make_endpoint(receiver.url, receiver=receiver), 1)
    with hooks_app.app_context():
        [delivery_id] = worker.claim(10, "first")
        _expire_leases()
        assert worker.claim(10, "second") == [delivery_id]
        assert worker.attempt(delivery_id, "first") is None
    assert receiver.requests == []
    [row] = deliveries(hooks_app)
    assert (row.status, row.lease_token, row.attempts) == (DeliveryStatus.sending, "second", 0)


def test_result_of_an_attempt_that_outlived_its_lease_is_not_recorded(hooks_app, receiver,
                                                                      make_endpoint,
                                                                      monkeypatch):
    _queue(hooks_app, make_endpoint(receiver.url, receiver=receiver), 1)

    def slow_send(*_args):  # another sender re-claims the row while we wait on the network
        _expire_leases()
        worker.claim(10, "second")
        return sender.Outcome(False, 500, 9000, "HTTP 500")

    monkeypatch.setattr(worker, "_send", slow_send)
    with hooks_app.app_context():
        [delivery_id] = worker.claim(10, "first")
        assert worker.attempt(delivery_id, "first") is None
    [row] = deliveries(hooks_app)
    assert (row.status, row.lease_token, row.attempts, row.last_error) == (
        DeliveryStatus.sending, "second", 0, "")


def test_rows_whose_lease_ran_out_in_a_slow_batch_are_sent_once(hooks_app, receiver,
                                                                make_endpoint, monkeypatch):
    """The first send is slow: meanwhile the batch's other rows expire and a second sender
    takes them. The first sender must skip them, not send them again."""
    _queue(hooks_app, make_endpoint(receiver.url, receiver=receiver), 4)
    real_send, taken = worker._send, []

    def slow_first_send(*args):
        outcome = real_send(*args)
        if not taken:  # args[4]: the uid of the row being sent, whose lease was renewed
            _expire_leases(but_uid=args[4])
            taken.extend(worker.claim(10, "second"))
        return outcome

    monkeypatch.setattr(worker, "_send", slow_first_send)
    with hooks_app.app_context():
        assert worker.run_once(limit=10) == 4
        assert len(taken) == 3
        monkeypatch.setattr(worker, "_send", real_send)
        for delivery_id in taken:
            worker.attempt(delivery_id, "second")
    uids = [request.headers["X-Leadapp-Delivery"] for request in receiver.requests]
    rows = deliveries(hooks_app)
    assert sorted(uids) == sorted(row.uid for row in rows)
    assert [(row.status, row.attempts) for row in rows] == [(DeliveryStatus.delivered, 1)] * 4


def test_attempt_renews_the_lease_for_its_own_send(hooks_app, make_endpoint, monkeypatch):
    """A row that waited in the batch gets a full lease again before its attempt starts."""
    _queue(hooks_app, make_endpoint("http://127.0.0.1:9/x"), 1)
    hooks_app.config["WEBHOOKS_LEASE_SECONDS"] = 600
    leases = []

    def send(*_args):
        row = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
        leases.append(row.lease_until)
        return sender.Outcome(True, 200, 1, "")

    monkeypatch.setattr(worker, "_send", send)
    with hooks_app.app_context():
        [delivery_id] = worker.claim(10, "first")
        db.session.execute(update(WebhookDelivery).values(
            lease_until=utcnow() + timedelta(seconds=1)))
        db.session.commit()
        delivery = worker.attempt(delivery_id, "first")
        assert delivery.status == DeliveryStatus.delivered and delivery.lease_token is None
    lease = leases[0].replace(tzinfo=None)
    assert lease > (utcnow() + timedelta(seconds=500)).replace(tzinfo=None)
