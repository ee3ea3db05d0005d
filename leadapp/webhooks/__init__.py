"""webhooks feature: signed deliveries of lead and source events through an outbox."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Subscribe to the domain events, add the CLI, and start the sender the config asks for."""
    from . import outbox
    from .cli import webhooks_cli
    from .worker import ThreadWorker

    outbox.connect()
    app.extensions["webhooks"] = outbox.State(app)
    app.cli.add_command(webhooks_cli)
    mode = app.config.get("WEBHOOKS_WORKER") or ("off" if app.testing else "thread")
    if mode not in ("thread", "off"):
        raise RuntimeError(f"WEBHOOKS_WORKER must be 'thread' or 'off', not {mode!r}.")
    if mode == "thread":
        thread_worker = ThreadWorker(app)
        app.extensions["webhooks_thread"] = thread_worker
        app.before_request(thread_worker.ensure_started)
