"""Assignment emails, sent only after the change they announce has committed.

A receiver queues a message on the session (`queue`). Once the flush has given the lead its id the
message gets its link (`after_flush_postexec`); after COMMIT it goes to a background thread
(`after_commit`); a rollback drops it. Sending never blocks or fails the request: SMTP errors are
logged. Without MAIL_SERVER nothing is queued at all.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from flask import current_app, has_request_context, request, url_for
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..leads.models import Lead

log = logging.getLogger(__name__)
PENDING, READY = "leadapp_mail_pending", "leadapp_mail_ready"


@dataclass
class Outgoing:
    to: str
    subject: str
    text: str
    lead: Lead | None
    base_url: str
    smtp: dict[str, Any] = field(default_factory=dict)
    link: str = ""


def enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def _smtp_settings() -> dict[str, Any]:
    config = current_app.config
    return {name: config.get(name) for name in (
        "MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_USE_TLS",
        "MAIL_USE_SSL", "MAIL_DEFAULT_SENDER", "MAIL_TIMEOUT")}


def _base_url() -> str:
    """Where links in emails point: APP_BASE_URL, else the host of the current request."""
    configured = (current_app.config.get("APP_BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    return request.host_url.rstrip("/") if has_request_context() else ""


def queue(session: Session, to: str, subject: str, text: str, lead: Lead | None) -> None:
    """Send this email once the session commits (no-op without MAIL_SERVER or an address).
    Without a lead (a summary of several) the link goes to the recipient's own leads."""
    if not enabled() or not to:
        return
    message = Outgoing(to, subject, text, lead, _base_url(), _smtp_settings())
    if lead is None:
        message.link = message.base_url + _path("leads.index", "/admin/leads?owner=me",
                                                    owner="me")
    session.info.setdefault(PENDING, []).append(message)


def _resolve(session: Session, _context: Any) -> None:
    """After a flush the lead has its id: build the link while the session can still read it."""
    pending = session.info.get(PENDING)
    if not pending:
        return
    waiting = []
    for message in pending:
        if message.lead is not None and message.lead.id is None:
            waiting.append(message)
            continue
        if message.lead is not None:
            message.link = message.base_url + _lead_path(message.lead.id)
        message.lead = None  # do not hold ORM objects beyond the transaction
        session.info.setdefault(READY, []).append(message)
    session.info[PENDING] = waiting


def _lead_path(lead_id: int) -> str:
    return _path("leads.detail", f"/admin/leads/{lead_id}", lead_id=lead_id)


def _path(endpoint: str, fallback: str, **values: Any) -> str:
    try:
        return url_for(endpoint, **values)
    except RuntimeError:  # no request and no SERVER_NAME (an import worker thread)
        return fallback


def _send_after_commit(session: Session) -> None:
    ready = session.info.pop(READY, None)
    session.info.pop(PENDING, None)
    if not ready:
        return
    try:
        threading.Thread(target=deliver, args=(ready,), name="leadapp-mail", daemon=True).start()
    except Exception:  # noqa: BLE001  (a mail problem must never fail the user's request)
        log.exception("Could not start the mail thread; %d email(s) dropped", len(ready))


def _drop(session: Session, *_args: Any) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(READY, None)


def deliver(messages: list[Outgoing]) -> None:
    """Send over one SMTP connection per settings; each failure is logged, never raised."""
    for message in messages:
        try:
            _send(message)
        except Exception:  # noqa: BLE001
            log.exception("Sending the assignment email to %s failed", message.to)


def _send(message: Outgoing) -> None:
    smtp = message.smtp
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = smtp.get("MAIL_DEFAULT_SENDER") or "leadapp@localhost"
    email["To"] = message.to
    email.set_content(message.text + (f"\n\nOpen the lead: {message.link}\n" if message.link
                                      else "\n"))
    host, port = smtp["MAIL_SERVER"], int(smtp.get("MAIL_PORT") or 25)
    timeout = float(smtp.get("MAIL_TIMEOUT") or 10)
    client_class = smtplib.SMTP_SSL if smtp.get("MAIL_USE_SSL") else smtplib.SMTP
    with client_class(host, port, timeout=timeout) as client:
        if smtp.get("MAIL_USE_TLS") and not smtp.get("MAIL_USE_SSL"):
            client.starttls()
        if smtp.get("MAIL_USERNAME"):
            client.login(smtp["MAIL_USERNAME"], smtp.get("MAIL_PASSWORD") or "")
        client.send_message(email)


def install() -> None:
    """Hook the queue to every session's transaction events (once per process)."""
    hooks = (("after_flush_postexec", _resolve), ("after_commit", _send_after_commit),
             ("after_rollback", _drop))
    for name, hook in hooks:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)
