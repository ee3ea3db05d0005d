"""A real HTTP receiver on 127.0.0.1 that records what leadapp posts, and webhook helpers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from leadapp.extensions import db
from leadapp.webhooks import services
from leadapp.webhooks.signing import verify
from tests.browser.conftest import (  # noqa: F401  (the Playwright fixtures, for test_browser)
    browser,
    context,
    live_server,
    make_live_user,
    page,
    sign_in,
)
from tests.imports.conftest import run_job, start_import  # noqa: F401  (for test_imports)


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    path: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers with the queued status codes (then 200) and keeps every request."""

    url: str
    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    signature_ok: list[bool] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        received = Received(dict(self.headers.items()), body, self.path)
        self.receiver.requests.append(received)
        self.receiver.signature_ok.append(
            verify(self.receiver.secret, self.headers.get("X-Leadapp-Signature", ""), body))
        status = self.receiver.statuses.pop(0) if self.receiver.statuses else 200
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        payload = b"nope" if status >= 400 else b"ok"
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks?src=leadapp")
    handler.receiver = state
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def hooks_app(app: Flask) -> Flask:
    """The test app allowing loopback receivers, retrying at once (no backoff wait)."""
    app.config.update(WEBHOOKS_ALLOW_PRIVATE=True, WEBHOOKS_BACKOFF_SECONDS=0,
                      WEBHOOKS_TIMEOUT=3)
    return app


@pytest.fixture
def make_endpoint(hooks_app: Flask) -> Callable[..., int]:
    def make(url: str, events: list[str] | None = None, active: bool = True,
             receiver: Receiver | None = None) -> int:
        with hooks_app.app_context():
            endpoint = services.create_endpoint(url, "test", events or ["lead.*"], active)
            if receiver is not None:
                receiver.secret = endpoint.secret
            return endpoint.id

    return make


def deliveries(app: Flask, complete: bool = True) -> list[Any]:
    """Every delivery row, oldest first; `complete` fills in bulk events' leads as the sender
    does before a first attempt."""
    from sqlalchemy import select

    from leadapp.webhooks.models import WebhookDelivery
    from leadapp.webhooks.worker import complete_body

    with app.app_context():
        query = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if complete:
            for row in db.session.scalars(query):
                complete_body(row)
            db.session.commit()
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(rows)
