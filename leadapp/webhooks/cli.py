"""`flask --app wsgi webhooks worker`: the sender as its own process."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from .worker import prune, run_forever, run_once

webhooks_cli = AppGroup("webhooks", help="Webhook deliveries.")


@webhooks_cli.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def worker(once: bool) -> None:
    """Send queued webhook deliveries until Ctrl-C (or SIGTERM)."""
    if once:
        prune(current_app.config["WEBHOOKS_KEEP_DAYS"])
        sent = 0
        while batch := run_once():  # keep going while a pass found work
            sent += batch
        db.session.remove()
        click.echo(f"Made {sent} delivery attempt{'' if sent == 1 else 's'}.")
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        # Finish the delivery in flight, then leave: its result is recorded, nothing is lost.
        click.echo("Stopping after the current delivery…", err=True)
        stop.set()
        current_app.extensions["webhooks"].wake.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    click.echo("Webhook worker running; Ctrl-C stops it.", err=True)
    run_forever(current_app._get_current_object(), stop)  # type: ignore[attr-defined]
    click.echo("Webhook worker stopped.", err=True)
