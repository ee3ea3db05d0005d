"""The sender outside the test thread: the loop the web process runs, and the CLI process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from leadapp import create_app
from leadapp.extensions import db
from leadapp.webhooks import services
from leadapp.webhooks.worker import run_forever

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_worker_loop_wakes_on_commit_and_stops_when_asked(hooks_app, receiver, make_endpoint):
    endpoint_id = make_endpoint(receiver.url, receiver=receiver)
    hooks_app.config["WEBHOOKS_POLL_SECONDS"] = 30  # only the commit's wake-up can be quick
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(hooks_app, stop), daemon=True)
    thread.start()
    time.sleep(0.2)  # the loop is idle, waiting
    with hooks_app.app_context():
        from leadapp.webhooks.models import WebhookEndpoint

        services.send_test(db.session.get(WebhookEndpoint, endpoint_id))
    assert _wait_for(lambda: len(receiver.requests) == 1, timeout=5)
    stop.set()
    hooks_app.extensions["webhooks"].wake.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and receiver.signature_ok == [True]


def test_cli_worker_process_sends_and_stops_cleanly_on_ctrl_c(tmp_path, receiver):
    url = f"sqlite:///{tmp_path / 'hooks.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "WEBHOOKS_ALLOW_PRIVATE": True})
    with app.app_context():
        db.create_all()
        endpoint = services.create_endpoint(receiver.url, "cli", ["lead.*"])
        receiver.secret = endpoint.secret
        services.send_test(endpoint)
        db.session.remove()
        db.engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "x" * 32,
           "WEBHOOKS_ALLOW_PRIVATE": "1", "WEBHOOKS_POLL_SECONDS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "webhooks",
                                "worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        if not _wait_for(lambda: len(receiver.requests) == 1, timeout=20):
            process.kill()
            pytest.fail(f"the worker sent nothing in 20 s; it said: {process.communicate()[1]}")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Webhook worker stopped." in err
    assert receiver.signature_ok == [True]


def test_web_process_starts_its_sender_thread_on_the_first_request(tmp_path, receiver):
    app = create_app({"TESTING": True, "WEBHOOKS_WORKER": "thread",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'web.sqlite3'}",
                      "WEBHOOKS_ALLOW_PRIVATE": True, "WEBHOOKS_POLL_SECONDS": 30})
    with app.app_context():
        db.create_all()
        endpoint = services.create_endpoint(receiver.url, "web", ["lead.*"])
        receiver.secret = endpoint.secret
        services.send_test(endpoint)
    sender = app.extensions["webhooks_thread"]
    try:
        time.sleep(0.3)
        assert receiver.requests == [], "no request yet, so no sender thread yet"
        assert app.test_client().get("/login").status_code == 200
        assert _wait_for(lambda: len(receiver.requests) == 1, timeout=10)
        assert receiver.signature_ok == [True]
    finally:
        sender.stop.set()
        app.extensions["webhooks"].wake.set()
        time.sleep(0.2)
        with app.app_context():
            db.engine.dispose()


def test_unknown_worker_mode_is_refused():
    with pytest.raises(RuntimeError, match="WEBHOOKS_WORKER must be 'thread' or 'off'"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "WEBHOOKS_WORKER": "celery"})
