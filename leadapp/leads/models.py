"""Leads and what hangs off them: tags, contacts, comments, attachments, activity, saved views."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Column,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    event,
    func,
    literal,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..config import default_currency
from ..db_types import created_at_column, enum_column, updated_at_column
from ..extensions import db

if TYPE_CHECKING:
    from ..auth.models import Team, User
    from ..companies.models import Company, Contact, Opportunity
    from ..pipeline.models import LossReason, Pipeline, Stage
    from ..sources.models import Campaign, LeadSource


lead_tags = Table(
    "lead_tags",
    db.metadata,
    Column("lead_id", ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # A tag's leads read from the index alone (the tag filters, a tag's delete), not the table.
    Index("ix_lead_tags_tag_lead", "tag_id", "lead_id"),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))


Index("uq_tags_name_ci", func.lower(Tag.name), unique=True)


PHONE_SEPARATORS = (" ", "-", "(", ")", "+", ".", "/")


def digits_only(column: Any) -> Any:
    """SQL: the column without the separators people type in phone numbers. The characters are
    rendered as literals, not bound parameters, so a query's expression is the index's."""
    for char in PHONE_SEPARATORS:
        column = func.replace(column, literal(char, literal_execute=True),
                              literal("", literal_execute=True))
    return column


class Lead(db.Model):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    source_id: Mapped[int] = mapped_column(ForeignKey("lead_sources.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    channel: Mapped[str] = mapped_column(String(120), default="")
    selling_direction: Mapped[str] = mapped_column(String(120), default="")
    product: Mapped[str] = mapped_column(String(200), default="")
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default=default_currency)

    # The prospect's own words, as typed on a form or imported.
    company_name: Mapped[str] = mapped_column(String(200), default="")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    middle_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    # Indexed as lower(email) (ix_leads_email_lower), what the duplicate checks match.
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="", index=True)
    mobile: Mapped[str] = mapped_column(String(40), default="")
    position: Mapped[str] = mapped_column(String(120), default="")
    website: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    street: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(120), default="", index=True)
    state: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(120), default="")

    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"))
    # No index of its own: ix_leads_board starts with it (one index fewer per insert).
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    # Order inside the stage column; fractional so a drop between two cards writes one row.
    board_position: Mapped[float] = mapped_column(Float, default=0.0)
    stage_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_touched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When a person first commented on, moved or edited the lead (activity.RESPONSE_KINDS): kept
    # on the row so the report's median response time is one range scan, not an activity scan.
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    start_date: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    closing_date: Mapped[date | None] = mapped_column(Date)
    closing_comment: Mapped[str] = mapped_column(Text, default="")
    loss_reason_id: Mapped[int | None] = mapped_column(ForeignKey("loss_reasons.id"))

    converted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    converted_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    converted_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))

    first_touch: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_touch: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ref: Mapped[str] = mapped_column(String(60), default="")
    ref_id: Mapped[str] = mapped_column(String(60), default="")

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The lead list's search scans this one lowercase column (and its narrow index) instead of
    # six: computed by the database, so every writer (forms, imports, bulk seeds) keeps it right.
    search_text: Mapped[str | None] = mapped_column(
        Text, Computed("lower(title || ' ' || first_name || ' ' || last_name || ' ' || email || ' '"
                       " || phone || ' ' || company_name)", persisted=True))

    # The ORM adds "AND version = :old" to every UPDATE, so a concurrent write raises
    # StaleDataError instead of silently overwriting; services turn that into a 409.
    __mapper_args__ = {"version_id_col": version}

    source: Mapped[LeadSource] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    company: Mapped[Company | None] = relationship(foreign_keys=[company_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    team: Mapped[Team | None] = relationship()
    pipeline: Mapped[Pipeline] = relationship()
    stage: Mapped[Stage] = relationship()
    loss_reason: Mapped[LossReason | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    converted_company: Mapped[Company | None] = relationship(foreign_keys=[converted_company_id])
    converted_contact: Mapped[Contact | None] = relationship(foreign_keys=[converted_contact_id])
    opportunity: Mapped[Opportunity | None] = relationship(back_populates="lead")
    tags: Mapped[list[Tag]] = relationship(secondary=lead_tags, order_by="Tag.name")
    contact_links: Mapped[list[LeadContact]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", order_by="LeadContact.id"
    )

    @property
    def contact_name(self) -> str:
        parts = (self.first_name, self.middle_name, self.last_name)
        return " ".join(part for part in parts if part)

    @property
    def active(self) -> int:
        """1 in progress, 2 lost, 3 won: derived from the stage kind, never stored."""
        return self.stage.active_flag

    @property
    def primary_contact(self) -> Contact | None:
        return next((link.contact for link in self.contact_links if link.is_primary), None)


Index("ix_leads_created_at", Lead.created_at)
# Origin filters ("form:3", "import:12") and import undo look leads up by ref.
Index("ix_leads_ref", Lead.ref, sqlite_where=Lead.ref != "", postgresql_where=Lead.ref != "")
# Partial: nearly every lead is live, and a plain index made SQLite's planner walk it for the
# `deleted_at IS NULL` of every scoped query instead of the selective index (25 ms at 100k leads).
Index("ix_leads_deleted_at", Lead.deleted_at, sqlite_where=Lead.deleted_at.is_not(None),
      postgresql_where=Lead.deleted_at.is_not(None))
Index("ix_leads_board", Lead.stage_id, Lead.board_position)
Index("ix_leads_pipeline_stage", Lead.pipeline_id, Lead.stage_id)
# The lead list (leads/listing.py): live-lead partial indexes, one per sortable column, so a
# sorted page walks an index and stops after one page; a covering one for the grouped counts;
# and the search column's, scanned instead of the wide table.
_LIVE = {"sqlite_where": Lead.deleted_at.is_(None), "postgresql_where": Lead.deleted_at.is_(None)}
# Trailing columns make these covering: a page of ids and the grouped counts never read the
# wide table, and a filter on source, team or owner walks its index newest first. The created
# index also carries every column the source report groups and sums (reports/services.py), so
# a year of leads is aggregated from the index alone.
Index("ix_leads_live_created", Lead.created_at, Lead.id, Lead.stage_id, Lead.converted_at,
      Lead.deleted_at, Lead.source_id, Lead.campaign_id, Lead.budget, Lead.closing_date,
      Lead.first_response_at, Lead.pipeline_id, Lead.owner_id, Lead.team_id, Lead.currency,
      **_LIVE)
# The id ends each sort index because it breaks ties in the list's ORDER BY: SQLite keeps it in
# every index anyway (the rowid), PostgreSQL otherwise re-sorts each run of equal values (sort
# by budget at 1M leads: the ~150k leads without a budget, 180 ms).
# Title and contact also carry what a count reads: the API's title and name filters match a
# substring no index can seek, and are counted in one pass over these narrow indexes.
_COUNTED = (Lead.stage_id, Lead.converted_at, Lead.deleted_at)
Index("ix_leads_live_title", Lead.title, Lead.id, *_COUNTED, **_LIVE)
Index("ix_leads_live_contact", Lead.last_name, Lead.first_name, Lead.id, *_COUNTED, **_LIVE)
Index("ix_leads_live_company", Lead.company_name, Lead.id, **_LIVE)
Index("ix_leads_live_budget", Lead.budget, Lead.id, **_LIVE)
# Sync clients ask the JSON API for the leads changed since their last run (updated_after).
Index("ix_leads_live_updated", Lead.updated_at, **_LIVE)
Index("ix_leads_live_counts", Lead.stage_id, Lead.created_at, Lead.converted_at, Lead.deleted_at,
      **_LIVE)
# A source filter walks ix_leads_live_source_report (reports/models.py), which starts with
# (source_id, created_at) and covers more: one wide index less for every insert to maintain.
for _column in (Lead.team_id, Lead.owner_id):
    Index(f"ix_leads_live_{_column.key}_created", _column, Lead.created_at, Lead.stage_id,
          Lead.converted_at, Lead.deleted_at, **_LIVE)
Index("ix_leads_live_search", Lead.search_text, Lead.stage_id, Lead.converted_at,
      Lead.created_at, Lead.deleted_at, **_LIVE)
# The duplicate checks (leads/duplicates.py, capture/submissions.py) match lower(email) and
# the phone's digits: without these each lead form check and capture scanned every lead
# (a capture at 100k leads on SQLite 150 ms, at 1M on PostgreSQL 1.1 s). Not partial: the
# PostgreSQL planner ignores a partial index's expression statistics, misjudged the match as
# common and walked the primary key instead.
Index("ix_leads_email_lower", func.lower(Lead.email))
Index("ix_leads_phone_digits", digits_only(Lead.phone))
# PostgreSQL: trigram indexes answer the search box's and the city filter's substring matches
# (LIKE/ILIKE '%word%') without reading every row. They need `CREATE EXTENSION pg_trgm`,
# which the migration runs; SQLite has no such index and skips them.
# db.create_all() (tests, bench/dataset.py) creates the extension itself; pg_trgm is a trusted
# extension, so the database owner may.
event.listen(Lead.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
for _name, _column in (("search", Lead.search_text), ("city", Lead.city)):
    Index(f"ix_leads_live_{_name}_trgm", _column, postgresql_using="gin",
          postgresql_ops={_column.key: "gin_trgm_ops"},
          postgresql_where=Lead.deleted_at.is_(None)).ddl_if(dialect="postgresql")


class LeadContact(db.Model):
    """A contact of a lead; exactly one of a lead's contacts may be primary."""

    __tablename__ = "lead_contacts"
    __table_args__ = (db.UniqueConstraint("lead_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                            index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    lead: Mapped[Lead] = relationship(back_populates="contact_links")
    contact: Mapped[Contact] = relationship()


Index("uq_lead_contacts_one_primary", LeadContact.lead_id, unique=True,
      sqlite_where=LeadContact.is_primary.is_(True),
      postgresql_where=LeadContact.is_primary.is_(True))


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    author: Mapped[User | None] = relationship()
    lead: Mapped[Lead] = relationship()


class Attachment(db.Model):
    """A file kept under UPLOAD_DIR by a random name; the original name is only metadata."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()

    uploaded_by: Mapped[User | None] = relationship()


class ActivityKind(StrEnum):
    created = "created"
    field_changed = "field_changed"
    stage_moved = "stage_moved"
    commented = "commented"
    attached = "attached"
    converted = "converted"
    imported = "imported"
    captured = "captured"
    merged = "merged"
    deleted = "deleted"
    restored = "restored"
    assigned = "assigned"


class Activity(db.Model):
    """One row per change to a lead; the lead page shows them as a timeline."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_lead_created", "lead_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[ActivityKind] = enum_column(ActivityKind, "activity_kind")
    field: Mapped[str] = mapped_column(String(60), default="")
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at_column()

    actor: Mapped[User | None] = relationship()
    lead: Mapped[Lead] = relationship()


class SavedView(db.Model):
    """A user's named lead-list filter (the list URL's query string)."""

    __tablename__ = "saved_views"
    __table_args__ = (db.UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()
