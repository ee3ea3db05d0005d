"""Several senders at once (gunicorn workers, CLI workers): each delivery goes out once."""

from __future__ import annotations

import threading

from flask import Flask

from leadapp import create_app
from leadapp.extensions import db
from leadapp.webhooks import services
from leadapp.webhooks.models import DeliveryStatus
from leadapp.webhooks.worker import run_once
from tests.conftest import SQLITE

from .conftest import deliveries


def _app(hooks_app: Flask, tmp_path) -> Flask:
    """On SQLite a file database, so that each sender really has its own connection."""
    if not SQLITE:
        return hooks_app
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{tmp_path / 'race.sqlite3'}", "WEBHOOKS_ALLOW_PRIVATE": True})
    with app.app_context():
        db.create_all()
    return app


def test_concurrent_workers_send_every_delivery_exactly_once(hooks_app, tmp_path, receiver):
    app = _app(hooks_app, tmp_path)
    with app.app_context():
        endpoint = services.create_endpoint(receiver.url, "race", ["lead.*"])
        receiver.secret = endpoint.secret
        for _ in range(40):
            services.send_test(endpoint)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with app.app_context():
                while run_once(limit=3):
                    pass
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    rows = deliveries(app)
    if app is not hooks_app:
        with app.app_context():
            db.engine.dispose()
    assert errors == []
    uids = [request.headers["X-Leadapp-Delivery"] for request in receiver.requests]
    assert len(uids) == 40 and sorted(uids) == sorted(row.uid for row in rows)
    assert {row.status for row in rows} == {DeliveryStatus.delivered}
    assert all(row.attempts == 1 for row in rows)
