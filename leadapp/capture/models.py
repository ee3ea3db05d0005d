"""Embeddable capture forms and the submissions they receive (kept as received, append-only)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import created_at_column, enum_column, updated_at_column
from ..extensions import db


class CaptureForm(db.Model):
    __tablename__ = "capture_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    public_key: Mapped[str] = mapped_column(String(40), unique=True)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # [{"name": "email", "label": "Email", "required": true}, ...] in display order.
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    consent_text: Mapped[str] = mapped_column(Text, default="")
    source_id: Mapped[int] = mapped_column(ForeignKey("lead_sources.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    last_assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    thank_you_text: Mapped[str] = mapped_column(Text, default="Thank you! We will be in touch.")
    redirect_url: Mapped[str] = mapped_column(String(500), default="")
    allowed_origins: Mapped[str] = mapped_column(Text, default="")
    spam_threshold: Mapped[int] = mapped_column(Integer, default=50)
    min_fill_seconds: Mapped[int] = mapped_column(Integer, default=3)
    # Email domains this form refuses (one per line), on top of the built-in disposable list.
    blocked_email_domains: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    source = relationship("LeadSource")
    campaign = relationship("Campaign")
    owner = relationship("User", foreign_keys=[owner_id])
    team = relationship("Team")


class SubmissionStatus(StrEnum):
    received = "received"
    processed = "processed"
    quarantined = "quarantined"
    failed = "failed"
    duplicate = "duplicate"


class Submission(db.Model):
    __tablename__ = "submissions"
    __table_args__ = (
        db.UniqueConstraint("form_id", "client_key"),
        Index("ix_submissions_form_received", "form_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("capture_forms.id"))
    # A random id rendered into the form, so a double click or a resent POST is a no-op.
    client_key: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = created_at_column()
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(500), default="")
    referrer: Mapped[str] = mapped_column(String(1000), default="")
    host_page: Mapped[str] = mapped_column(String(1000), default="")
    consent_given: Mapped[bool | None] = mapped_column(Boolean)
    consent_text_hash: Mapped[str] = mapped_column(String(64), default="")
    spam_score: Mapped[int] = mapped_column(Integer, default=0)
    spam_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[SubmissionStatus] = enum_column(SubmissionStatus, "submission_status",
                                                   default=SubmissionStatus.received)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"),
                                                index=True)
    duplicate_note: Mapped[str] = mapped_column(String(255), default="")
    error: Mapped[str] = mapped_column(Text, default="")

    # "form" for the public page, "api" for create-from-site.
    via: Mapped[str] = mapped_column(String(10), default="form")
    # An existing open lead with the same email or phone, for a human to merge or keep apart.
    matched_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"))

    form: Mapped[CaptureForm] = relationship()
    lead = relationship("Lead", foreign_keys=[lead_id])
    matched_lead = relationship("Lead", foreign_keys=[matched_lead_id])


class FormView(db.Model):
    """How often a form was rendered, per day and host page: the top of the funnel, no tracker."""

    __tablename__ = "capture_form_views"
    __table_args__ = (db.UniqueConstraint("form_id", "day", "host_page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("capture_forms.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    host_page: Mapped[str] = mapped_column(String(500), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)
