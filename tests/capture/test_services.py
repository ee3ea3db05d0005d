"""Capture services: round-robin, repeats and duplicates, tokens, spam scoring, failure handling."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select

from leadapp.capture import spam, submissions, tokens
from leadapp.capture.models import CaptureForm, Submission, SubmissionStatus
from leadapp.capture.submissions import Received
from leadapp.extensions import db
from leadapp.leads.models import Activity, ActivityKind, Lead
from leadapp.reference import ensure_reference_data
from tests.conftest import SQLITE, TEST_DB, make_app
from tests.factories import LeadFactory, TeamFactory, UserFactory

from .conftest import settings


def _submit(form: CaptureForm, fields: dict[str, Any], **meta: Any) -> Submission:
    verdict = spam.score(fields, spam.Signals())
    return submissions.receive(form, fields, Received(**meta), verdict).submission


def _team(size: int, inactive: int = 0) -> tuple[int, list[int]]:
    team = TeamFactory()
    members = [UserFactory() for _ in range(size)]
    members += [UserFactory(active=False) for _ in range(inactive)]
    team.members = members
    db.session.commit()
    return team.id, sorted(user.id for user in members if user.active)


def _form(**overrides: Any) -> CaptureForm:
    from leadapp.capture import services

    return services.create_form(settings(**overrides))[0]


def test_assign_round_robin_gives_each_active_member_a_turn_in_order(app_ctx: Flask) -> None:
    team_id, members = _team(3, inactive=1)
    form = _form(team_id=team_id)
    owners = [_submit(form, {"email": f"p{n}@corp.example"}).lead.owner_id for n in range(7)]
    assert owners == [*members, *members, members[0]]


def test_assign_fixed_owner_gets_every_lead(app_ctx: Flask) -> None:
    owner = UserFactory()
    form = _form(owner_id=owner.id)
    leads = [_submit(form, {"email": f"p{n}@corp.example"}).lead for n in range(3)]
    assert {lead.owner_id for lead in leads} == {owner.id}


@pytest.fixture
def file_app(tmp_path: Any) -> Any:
    """A database that several threads can write at once (in-memory SQLite cannot)."""
    url = f"sqlite:///{tmp_path / 'rr.sqlite3'}" if SQLITE else TEST_DB
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if SQLITE:
            db.create_all()
        ensure_reference_data()
    yield app
    with app.app_context():
        db.session.remove()
        if not SQLITE:
            from tests.conftest import _empty_all_tables

            _empty_all_tables()
        db.engine.dispose()


def test_assign_round_robin_concurrent_submissions_stays_fair(file_app: Flask) -> None:
    with file_app.app_context():
        team_id, members = _team(3)
        form_id = _form(team_id=team_id).id
    errors: list[BaseException] = []

    def submit(n: int) -> None:
        try:
            with file_app.app_context():
                _submit(db.session.get(CaptureForm, form_id), {"email": f"c{n}@corp.example"})
                db.session.remove()
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with file_app.app_context():
        counts = dict(db.session.execute(select(Lead.owner_id, func.count()).group_by(
            Lead.owner_id)).all())
        statuses = set(db.session.scalars(select(Submission.status)))
    assert statuses == {SubmissionStatus.processed}
    assert counts == dict.fromkeys(members, 4)


def test_receive_same_email_within_ten_minutes_adds_to_first_lead(app_ctx: Flask) -> None:
    form = _form()
    first = _submit(form, {"email": "Ann@Corp.example", "first_name": "Ann"})
    second = _submit(form, {"email": "ann@corp.example", "message": "Also: pricing?"})
    assert second.status == SubmissionStatus.duplicate
    assert second.lead_id == first.lead_id
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 1
    captured = db.session.scalars(select(Activity).where(
        Activity.lead_id == first.lead_id, Activity.kind == ActivityKind.captured)).all()
    assert len(captured) == 2
    assert captured[1].data["repeat"] is True
    assert captured[1].data["fields"]["message"] == "Also: pricing?"


def test_receive_same_email_after_ten_minutes_flags_possible_duplicate(app_ctx: Flask) -> None:
    form = _form()
    first = _submit(form, {"email": "ann@corp.example"})
    first.received_at = first.received_at - timedelta(minutes=11)
    db.session.commit()
    second = _submit(form, {"email": "ann@corp.example"})
    assert second.status == SubmissionStatus.processed
    assert second.lead_id != first.lead_id
    assert second.matched_lead_id == first.lead_id
    assert second.duplicate_note == "possible duplicate — matched on email"


def test_receive_phone_matching_open_lead_links_and_flags(app_ctx: Flask) -> None:
    existing = LeadFactory(email="", phone="+1 (555) 010-2030")
    form = _form(fields=[{"name": "phone", "label": "Phone", "required": True}])
    row = _submit(form, {"phone": "555 010 2030"})
    assert row.lead_id is not None and row.lead_id != existing.id
    assert row.matched_lead_id == existing.id
    assert row.duplicate_note == "possible duplicate — matched on phone"
    activity = db.session.scalar(select(Activity).where(Activity.lead_id == row.lead_id))
    assert activity.data["possible_duplicate_of"] == existing.id


def test_receive_email_of_lost_lead_is_not_flagged(app_ctx: Flask) -> None:
    lost = LeadFactory(email="ann@corp.example")
    lost.stage = next(stage for stage in lost.pipeline.stages if stage.kind.value == "lost")
    db.session.commit()
    row = _submit(_form(), {"email": "ann@corp.example"})
    assert row.matched_lead_id is None and row.duplicate_note == ""


def test_receive_valid_sets_source_campaign_ref_touches_and_host(app_ctx: Flask) -> None:
    from tests.factories import CampaignFactory

    campaign = CampaignFactory()
    form = _form(campaign_id=campaign.id, source_id=campaign.source_id)
    touch = {"utm_source": "newsletter", "landing_page": "https://corp.example/?utm_source=n"}
    row = _submit(form, {"email": "bo@corp.example", "first_name": "Bo", "company": "Corp"},
                  host_page="https://corp.example/contact", first_touch=touch,
                  last_touch={"utm_source": "ads"})
    lead = row.lead
    assert (lead.source_id, lead.campaign_id) == (campaign.source_id, campaign.id)
    assert (lead.ref, lead.ref_id) == (f"form:{form.id}", str(row.id))
    assert lead.title == "Contact us: Bo" and lead.company_name == "Corp"
    assert lead.first_touch == touch
    assert lead.last_touch == {"utm_source": "ads", "host_page": "https://corp.example/contact"}
    assert lead.stage.position == 0
    kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)).all()
    assert kinds == [ActivityKind.captured]


def test_receive_same_client_key_twice_is_a_no_op(app_ctx: Flask) -> None:
    form = _form()
    first = submissions.receive(form, {"email": "a@corp.example"}, Received(client_key="k1"),
                                spam.Verdict())
    again = submissions.receive(form, {"email": "a@corp.example"}, Received(client_key="k1"),
                                spam.Verdict())
    assert again.replayed and again.submission.id == first.submission.id
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1


def test_receive_spam_is_quarantined_without_lead_then_released(app_ctx: Flask) -> None:
    admin = UserFactory(role="admin")
    form = _form()
    verdict = spam.score({"email": "a@corp.example"}, spam.Signals(honeypot="http://x"))
    row = submissions.receive(form, {"email": "a@corp.example"}, Received(), verdict).submission
    assert row.status == SubmissionStatus.quarantined and row.lead_id is None
    assert row.spam_reasons == ["honeypot field was filled"]
    released = submissions.release(row, admin)
    assert released.status == SubmissionStatus.processed and released.lead is not None


def test_process_failure_is_kept_and_can_be_processed_again(app_ctx: Flask, monkeypatch:
                                                            pytest.MonkeyPatch) -> None:
    form = _form()

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("pipeline missing")

    monkeypatch.setattr(submissions, "place_new_lead", broken)
    row = _submit(form, {"email": "a@corp.example"})
    assert row.status == SubmissionStatus.failed and "pipeline missing" in row.error
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0
    monkeypatch.undo()
    again = submissions.release(row, UserFactory(role="admin"))
    assert again.status == SubmissionStatus.processed and again.lead_id is not None


def test_receive_consent_stores_tick_text_and_version(app_ctx: Flask) -> None:
    fields = [{"name": "email", "label": "Email", "required": True},
              {"name": "consent", "label": "", "required": True}]
    form = _form(fields=fields, consent_text="You may email me about my request.")
    row = _submit(form, {"email": "a@corp.example", "consent": "yes"}, ip="203.0.113.9")
    assert row.consent_given is True
    assert row.payload["consent_text"] == "You may email me about my request."
    assert len(row.consent_text_hash) == 64 and row.ip == "203.0.113.9"


def test_token_fresh_gives_client_key_and_time(app_ctx: Flask) -> None:
    check = tokens.check(tokens.issue("abc", "key-1"), "abc")
    assert check.ok and check.client_key == "key-1" and check.issued_at is not None


def test_token_expired_keeps_client_key_and_says_expired(app_ctx: Flask, monkeypatch:
                                                        pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: int(time.time()) - tokens.max_age() - 60)
    token = tokens.issue("abc", "key-1")
    monkeypatch.undo()
    check = tokens.check(token, "abc")
    assert (check.problem, check.client_key) == ("expired", "key-1")


def test_token_tampered_or_for_another_form_is_refused(app_ctx: Flask) -> None:
    token = tokens.issue("abc", "key-1")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert tokens.check(flipped, "abc").problem == "tampered"
    assert tokens.check(token, "other-form").problem == "tampered"
    assert tokens.check("", "abc").problem == "missing"


def test_spam_filled_faster_than_minimum_scores_too_fast(app_ctx: Flask) -> None:
    check = tokens.check(tokens.issue("abc"), "abc")
    signals = spam.Signals(token=check, received_at=check.issued_at + timedelta(seconds=1),
                           min_fill_seconds=3)
    verdict = spam.score({"email": "a@corp.example"}, signals)
    assert verdict.score == spam.TOO_FAST
    assert "faster than the 3 s minimum" in verdict.reasons[0]


def test_spam_filled_slowly_scores_zero(app_ctx: Flask) -> None:
    check = tokens.check(tokens.issue("abc"), "abc")
    signals = spam.Signals(token=check, received_at=check.issued_at + timedelta(seconds=8),
                           min_fill_seconds=3)
    assert spam.score({"first_name": "Zoë", "email": "zoe@corp.example"}, signals).score == 0


@pytest.mark.parametrize(("fields", "signals", "reason"), [
    ({"first_name": "Visit https://cheap.example"}, spam.Signals(), "URL or HTML in first name"),
    ({"last_name": "<a href=x>win</a>"}, spam.Signals(), "URL or HTML in last name"),
    ({"email": "x@mailinator.com"}, spam.Signals(), "disposable email domain mailinator.com"),
    ({"email": "x@mail.spam.example"}, spam.Signals(blocked_domains=frozenset({"spam.example"})),
     "blocked email domain mail.spam.example"),
    ({"first_name": "xkcdqwrtzp"}, spam.Signals(), "looks like gibberish"),
    ({}, spam.Signals(rate_limited=True), "rate limit hit: too many submissions from this address"),
])
def test_spam_check_gives_its_reason(fields: dict[str, str], signals: spam.Signals,
                                     reason: str) -> None:
    assert reason in spam.score(fields, signals).reasons


@pytest.mark.parametrize("name", ["Ann", "Schwarzschild", "Nguyễn", "O'Brien", "McDonald"])
def test_spam_real_names_are_not_gibberish(name: str) -> None:
    assert not spam.is_gibberish(name)
