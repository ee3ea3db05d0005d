"""Assignment emails: sent after commit to a local SMTP server, never without MAIL_SERVER, and
an SMTP failure never fails the request."""

from __future__ import annotations

import queue
import smtplib
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from flask import Flask

from leadapp.extensions import db
from leadapp.leads.services import update_field
from leadapp.models import Lead, Notification
from tests.factories import LeadFactory, UserFactory


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greet, accept one envelope, hand the message over."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 fake.test ESMTP")
        envelope: dict[str, object] = {"to": []}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake.test")
            elif verb == "MAIL":
                envelope["from"] = command
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(command)  # type: ignore[union-attr]
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                envelope["message"] = message_from_bytes(body)
                self.server.received.put(envelope)  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, queue.Queue]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.received = queue.Queue()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], server.received  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def _assign(app: Flask, **lead_fields) -> tuple[int, int]:
    with app.app_context():
        boss = UserFactory(role="manager", name="Boss")
        ann = UserFactory(email="ann@example.com")
        lead = LeadFactory(title="Acme deal", **lead_fields)
        update_field(lead, "owner_id", ann.id, lead.version, boss)
        return lead.id, ann.id


def test_email_is_sent_after_commit_with_the_lead_link(app, smtp_server):
    port, received = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, APP_BASE_URL="https://crm.example",
                      MAIL_DEFAULT_SENDER="crm@example.com")
    lead_id, _ = _assign(app)
    envelope = received.get(timeout=10)
    message = envelope["message"]
    assert [line.lower() for line in envelope["to"]] == ["rcpt to:<ann@example.com>"]
    assert message["Subject"] == "Lead assigned to you: Acme deal"
    assert message["From"] == "crm@example.com"
    text = message.get_payload(decode=True).decode()
    assert "Acme deal was assigned to you by Boss." in text
    assert f"https://crm.example/admin/leads/{lead_id}" in text


def test_link_uses_the_request_host_without_app_base_url(app, smtp_server, client, login):
    port, received = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    login("admin")
    with app.app_context():
        ann = UserFactory(email="ann@example.com").id
        from leadapp.assignment import services
        from leadapp.assignment.services import RuleSettings

        services.create_rule(RuleSettings(name="All", user_id=ann))
    from tests.assignment.test_entry_points import _form_data

    response = client.post("/admin/leads/new", data=_form_data(app, owner_id=""))
    assert response.status_code == 303
    new_id = int(response.location.rstrip("/").split("/")[-1])
    text = received.get(timeout=10)["message"].get_payload(decode=True).decode()
    assert "assignment rule “All”" in text
    assert f"http://localhost/admin/leads/{new_id}" in text


def test_without_mail_server_no_smtp_connection_is_made(app, monkeypatch):
    attempts = []
    monkeypatch.setattr(smtplib, "SMTP", lambda *args, **kwargs: attempts.append(args))
    assert not app.config["MAIL_SERVER"]
    lead_id, ann_id = _assign(app)
    with app.app_context():
        assert db.session.query(Notification).filter_by(user_id=ann_id).count() == 1
        assert db.session.get(Lead, lead_id).owner_id == ann_id
    assert attempts == []


def test_smtp_failure_is_logged_and_the_change_is_kept(app, monkeypatch, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens on port 1
    done = threading.Event()
    from leadapp.notifications import mail

    real = mail.deliver

    def deliver_and_signal(messages):
        real(messages)
        done.set()

    monkeypatch.setattr(mail, "deliver", deliver_and_signal)
    lead_id, ann_id = _assign(app)
    assert done.wait(10)
    with app.app_context():
        assert db.session.get(Lead, lead_id).owner_id == ann_id
    assert "Sending the assignment email to ann@example.com failed" in caplog.text


def test_rolled_back_assignment_sends_nothing(app, monkeypatch):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)
    started = []
    from leadapp.notifications import mail

    monkeypatch.setattr(mail, "deliver", lambda messages: started.append(messages))
    with app.app_context():
        boss, ann = UserFactory(role="manager"), UserFactory()
        lead = LeadFactory()
        from leadapp.events import lead_assigned

        lead.owner_id = ann.id
        lead_assigned.send(lead, actor=boss, old_owner_id=None, new_owner_id=ann.id, via="form")
        db.session.flush()
        db.session.rollback()
        assert db.session.query(Notification).count() == 0
        db.session.commit()
    assert started == []


def test_bulk_summary_email_links_to_my_leads(app, smtp_server):
    port, received = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, APP_BASE_URL="https://crm.example")
    with app.app_context():
        from leadapp.leads import bulk

        boss, ann = UserFactory(role="manager", name="Boss"), UserFactory()
        bulk.assign_owner([LeadFactory().id, LeadFactory().id], ann, boss)
    message = received.get(timeout=10)["message"]
    assert message["Subject"] == "2 leads assigned to you by Boss."
    assert "https://crm.example/admin/leads?owner=me" in message.get_payload(decode=True).decode()
