"""One row per thing a user should hear about; read_at is set when they have seen it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db_types import created_at_column, enum_column
from ..extensions import db
from ..leads.models import Lead


class NotificationKind(StrEnum):
    assigned = "assigned"  # one lead was assigned to the user
    bulk_assigned = "bulk_assigned"  # several at once: a list action or an import (a summary)


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = enum_column(NotificationKind, "notification_kind")
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(300))
    # Summaries that grow while an import runs are found again by this key ("import:12").
    group_key: Mapped[str] = mapped_column(String(60), default="")
    count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
    lead: Mapped[Lead | None] = relationship()


# The bell polls the unread count every 30 s for every signed-in tab: a partial index keeps that
# an index-only lookup however many read notifications pile up.
Index("ix_notifications_unread", Notification.user_id,
      sqlite_where=Notification.read_at.is_(None),
      postgresql_where=Notification.read_at.is_(None))
Index("ix_notifications_user_created", Notification.user_id, Notification.created_at)
Index("ix_notifications_group", Notification.user_id, Notification.group_key,
      sqlite_where=Notification.group_key != "", postgresql_where=Notification.group_key != "")
# Purging leads cascades here: without this index every deleted lead would scan the table.
Index("ix_notifications_lead_id", Notification.lead_id,
      sqlite_where=Notification.lead_id.is_not(None),
      postgresql_where=Notification.lead_id.is_not(None))
