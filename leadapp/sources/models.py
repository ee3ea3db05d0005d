"""Lead sources, campaigns and marketing spend."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import created_at_column, updated_at_column
from ..extensions import db

MONEY = Numeric(14, 2)


class LeadSource(db.Model):
    __tablename__ = "lead_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    campaigns: Mapped[list[Campaign]] = relationship(back_populates="source",
                                                     order_by="Campaign.name")


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("lead_sources.id"), index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    budget: Mapped[Decimal | None] = mapped_column(MONEY)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    source: Mapped[LeadSource | None] = relationship(back_populates="campaigns")


class Spend(db.Model):
    """Money spent on a source (optionally a campaign) on a day; feeds cost per lead."""

    __tablename__ = "spend"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("lead_sources.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    spent_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()

    source: Mapped[LeadSource] = relationship()
    campaign: Mapped[Campaign | None] = relationship()


# Names are unique ignoring case; services also strip surrounding spaces before saving.
Index("uq_lead_sources_name_ci", func.lower(LeadSource.name), unique=True)
Index("uq_campaigns_name_ci", func.lower(Campaign.name), unique=True)
