"""Stored Idempotency-Key responses, shared by every app server through the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import created_at_column
from ..extensions import db


class IdempotencyKey(db.Model):
    """The first response to a POST with an Idempotency-Key, per token, kept for 24 hours.

    `status_code` is empty while the first request is still being processed.
    """

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("token_hash", "key", name="uq_api_idempotency_keys_token"),
                      Index("ix_api_idempotency_keys_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
