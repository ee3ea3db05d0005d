"""Submissions: stored exactly as received first, then turned into (or added to) a lead.

A submission is never lost: spam goes to the quarantine, a processing error is kept as `failed`
with its message, and both can be processed again from the form page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..custom_fields import capture as custom_capture
from ..db_types import utcnow
from ..errors import RuleViolation
from ..extensions import db
from ..leads.activity import record
from ..leads.duplicates import _digits_sql, phone_digits
from ..leads.intake import place_new_lead
from ..leads.models import ActivityKind, Lead
from ..pipeline.models import Stage, StageKind
from ..sources.models import LeadSource
from . import spam
from .assignment import next_owner_id
from .fields import SPECS, shown_fields
from .models import CaptureForm, Submission, SubmissionStatus
from .services import REPEAT_WINDOW, TOUCH_KEYS, consent_hash
from .validation import clean

TOUCH_VALUE_MAX = 500


@dataclass(frozen=True)
class Received:
    """The request around the fields, as the route saw it."""

    ip: str = ""
    user_agent: str = ""
    referrer: str = ""
    host_page: str = ""
    first_touch: dict[str, str] | None = None
    last_touch: dict[str, str] | None = None
    client_key: str | None = None
    via: str = "form"


@dataclass
class Outcome:
    submission: Submission
    replayed: bool = False  # the same client key was seen before: nothing new happened

    @property
    def spam(self) -> bool:
        return self.submission.status == SubmissionStatus.quarantined


def host_page(url: str) -> str:
    """The embedding page without query or fragment (UTM tags would split the funnel rows)."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", "", ""))[:500]


def touch(raw: Any) -> dict[str, str] | None:
    """A first- or last-touch record from the host page, reduced to the keys we keep."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else None
        except ValueError:
            return None
    if not isinstance(raw, dict):
        return None
    kept = {key: str(raw[key])[:TOUCH_VALUE_MAX] for key in TOUCH_KEYS
            if isinstance(raw.get(key), str | int | float) and str(raw[key]).strip()}
    return kept or None


def existing(form: CaptureForm, client_key: str | None) -> Submission | None:
    if not client_key:
        return None
    return db.session.scalar(select(Submission).where(Submission.form_id == form.id,
                                                      Submission.client_key == client_key))


def receive(form: CaptureForm, fields: dict[str, Any], meta: Received,
            verdict: spam.Verdict) -> Outcome:
    """Store the submission as received (quarantined when spam), then derive the lead."""
    seen = existing(form, meta.client_key)
    if seen is not None:
        return Outcome(seen, replayed=True)
    submission = _stored(form, fields, meta, verdict)
    db.session.add(submission)
    try:
        db.session.commit()
    except IntegrityError:  # the same client key raced in from a double click
        db.session.rollback()
        return Outcome(existing(form, meta.client_key), replayed=True)  # type: ignore[arg-type]
    if submission.status == SubmissionStatus.received:
        process(submission)
    return Outcome(submission)


def _stored(form: CaptureForm, fields: dict[str, Any], meta: Received,
            verdict: spam.Verdict) -> Submission:
    consent_text = (form.consent_text or SPECS["consent"].label).strip()
    shows_consent = any(row["name"] == "consent" for row in shown_fields(form.fields))
    quarantined = verdict.score >= form.spam_threshold
    payload = {"fields": fields, "first_touch": meta.first_touch, "last_touch": meta.last_touch,
               "consent_text": consent_text if shows_consent else None}
    return Submission(
        form=form, client_key=meta.client_key, payload=payload, ip=meta.ip[:45],
        user_agent=meta.user_agent[:500], referrer=meta.referrer[:1000],
        host_page=meta.host_page[:1000], via=meta.via,
        consent_given=(_ticked(fields.get("consent")) if shows_consent else None),
        consent_text_hash=consent_hash(consent_text) if shows_consent else "",
        spam_score=verdict.score, spam_reasons=verdict.reasons,
        status=SubmissionStatus.quarantined if quarantined else SubmissionStatus.received)


def _ticked(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on", "y"} or value is True


def process(submission: Submission, actor: User | None = None) -> Submission:
    """Derive the lead; a failure is rolled back and kept on the submission as `failed`."""
    submission_id = submission.id
    try:
        _derive(submission, actor)
        db.session.commit()
    except Exception as error:  # noqa: BLE001  (kept and shown on the form page, never lost)
        db.session.rollback()
        submission = db.session.get(Submission, submission_id)
        submission.status = SubmissionStatus.failed
        submission.error = f"{type(error).__name__}: {error}"[:2000]
        db.session.commit()
    return submission


def release(submission: Submission, actor: User) -> Submission:
    """"Not spam" (or "process again" after a failure): derive the lead now."""
    if submission.status not in (SubmissionStatus.quarantined, SubmissionStatus.failed):
        raise RuleViolation("This submission was already processed.")
    submission.error = ""
    return process(submission, actor)


def _derive(submission: Submission, actor: User | None) -> None:
    form = submission.form
    values, _errors = clean(form.fields, submission.payload.get("fields") or {},
                            every_field=submission.via == "api")
    first = _repeat_of(submission, values.get("email", ""))
    if first is not None:
        record(first, ActivityKind.captured, actor, new=f"{form.name}: repeat submission",
               data=_activity_data(submission, repeat=True))
        submission.lead_id = first.id
        submission.status = SubmissionStatus.duplicate
        submission.duplicate_note = f"Repeat within 10 minutes: added to lead #{first.id}."
        return
    lead = _new_lead(submission, values)
    match = _open_match(values.get("email", ""), values.get("phone", ""))
    if match is not None:
        matched, on = match
        submission.matched_lead_id = matched.id
        submission.duplicate_note = f"possible duplicate — matched on {on}"
    place_new_lead(lead, actor, ActivityKind.captured, data=_activity_data(submission))
    custom_capture.apply(lead, values)
    submission.lead = lead
    submission.status = SubmissionStatus.processed


def _new_lead(submission: Submission, values: dict[str, Any]) -> Lead:
    form = submission.form
    lead = Lead(title=_title(form, values), source_id=_source_id(form, values),
                campaign_id=form.campaign_id, team_id=form.team_id,
                ref=f"form:{form.id}", ref_id=str(submission.id))
    for name, spec in SPECS.items():
        if spec.lead_attr and spec.lead_attr != "title" and values.get(name):
            setattr(lead, spec.lead_attr, values[name])
    first = submission.payload.get("first_touch") or None
    last = dict(submission.payload.get("last_touch") or first or {})
    if submission.host_page:
        last["host_page"] = submission.host_page
    lead.first_touch = first or (last or None)
    lead.last_touch = last or None
    lead.owner_id = next_owner_id(form)
    return lead


def _title(form: CaptureForm, values: dict[str, Any]) -> str:
    if values.get("title"):
        return values["title"][:255]
    who = " ".join(part for part in (values.get("first_name"), values.get("last_name")) if part)
    who = who or values.get("company") or values.get("email") or values.get("phone") or "visitor"
    return f"{form.name}: {who}"[:255]


def _source_id(form: CaptureForm, values: dict[str, Any]) -> int:
    """create-from-site may name an existing source (the seed's `source`); else the form's."""
    name = str(values.get("source") or "").strip()
    if name:
        found = db.session.scalar(select(LeadSource.id).where(
            func.lower(LeadSource.name) == name.lower(), LeadSource.active.is_(True)))
        if found:
            return found
    return form.source_id


def _repeat_of(submission: Submission, email: str) -> Lead | None:
    """The lead of an earlier submission with this email on this form in the last ten minutes."""
    if not email:
        return None
    since = (submission.received_at or utcnow()) - REPEAT_WINDOW
    earlier = db.session.scalars(
        select(Submission).where(
            Submission.form_id == submission.form_id, Submission.id != submission.id,
            Submission.lead_id.is_not(None), Submission.received_at >= since,
            Submission.status.in_([SubmissionStatus.processed, SubmissionStatus.duplicate]))
        .order_by(Submission.id))
    for row in earlier:
        sent = str((row.payload.get("fields") or {}).get("email") or "").strip().lower()
        if sent == email and row.lead is not None and row.lead.deleted_at is None:
            return row.lead
    return None


def _open_match(email: str, phone: str) -> tuple[Lead, str] | None:
    """An existing open lead (not in the trash) with the same email or phone."""
    open_stage = select(Stage.id).where(Stage.kind == StageKind.open)
    base = select(Lead).where(Lead.deleted_at.is_(None), Lead.stage_id.in_(open_stage))
    if email:
        lead = db.session.scalar(base.where(func.lower(Lead.email) == email)
                                 .order_by(Lead.id).limit(1))
        if lead is not None:
            return lead, "email"
    digits = phone_digits(phone, "US") if phone else set()
    if digits:
        lead = db.session.scalar(base.where(_digits_sql(Lead.phone).in_(digits))
                                 .order_by(Lead.id).limit(1))
        if lead is not None:
            return lead, "phone"
    return None


def _activity_data(submission: Submission, repeat: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"form_id": submission.form_id, "form": submission.form.name,
                            "submission_id": submission.id, "via": submission.via,
                            "host_page": submission.host_page}
    if repeat:
        data["repeat"] = True
        data["fields"] = submission.payload.get("fields")
    if submission.matched_lead_id:
        data["possible_duplicate_of"] = submission.matched_lead_id
        data["note"] = submission.duplicate_note
    return data
