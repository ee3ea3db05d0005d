"""Webhook endpoints and their outbox: one delivery row per (event, endpoint), written in the same
transaction as the change it announces and sent later by the worker."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import created_at_column, enum_column, updated_at_column
from ..extensions import db


class DeliveryStatus(StrEnum):
    pending = "Pending"        # waiting for its next attempt (first or retry)
    sending = "Sending"        # claimed by a worker until lease_until
    delivered = "Delivered"    # the endpoint answered 2xx
    failed = "Failed"          # gave up after the last attempt


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Kept in clear text: signing needs it, and admins can read it on the endpoint's page.
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True)

    def wants(self, event: str) -> bool:
        return any(event_matches(pattern, event) for pattern in self.events or ())


def event_matches(pattern: str, event: str) -> bool:
    """`lead.*` covers every `lead.` event (not `lead_source.*`); other patterns match exactly."""
    if pattern.endswith(".*"):
        return event.startswith(pattern[:-1])
    return pattern == event


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The worker's claim: due rows by status and time.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        # The delivery log: one endpoint's rows, newest first.
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)  # X-Leadapp-Delivery, payload id
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the exact JSON sent (and signed) on every attempt
    # Bulk events (imports, list actions) leave the lead out of the body at commit time, so that
    # 100k imported leads cost 100k cheap inserts, not 100k serializations inside the import; the
    # sender puts the lead in before the first attempt and clears this (no FK: it may be purged).
    pending_lead_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[DeliveryStatus] = enum_column(DeliveryStatus, "webhook_delivery_status",
                                                 default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A fresh random token per claim: a sender writes its result only while the row still holds
    # its token, so one whose lease ran out (and was re-claimed) cannot overwrite the new claim.
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = created_at_column()

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")

    def summary(self) -> dict[str, Any]:
        return {"uid": self.uid, "event": self.event, "status": self.status.name}
