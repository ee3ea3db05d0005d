"""Reading the board: filters, column headers in one grouped query, card pages, stale flags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from ..auth.models import User
from ..db_types import as_utc
from ..extensions import db
from ..leads.listing import LeadFilters, filter_clauses, parse_filters
from ..leads.models import Lead, Tag, lead_tags
from ..leads.scope import scoped
from ..sources.models import LeadSource
from .models import Pipeline, Stage, StageKind

PAGE_SIZE = 50
# What a card shows or needs (the version travels with every move); the wide rest of a lead row
# (descriptions, addresses, JSON touches) stays in the database.
CARD_COLUMNS = (Lead.id, Lead.title, Lead.company_name, Lead.company_id, Lead.owner_id,
                Lead.budget, Lead.currency, Lead.stage_id, Lead.pipeline_id, Lead.version,
                Lead.board_position, Lead.stage_entered_at, Lead.last_touched_at,
                Lead.created_at, Lead.deadline, Lead.converted_at)


BOARD_KEYS = ("q", "owner", "source", "tag")


@dataclass(frozen=True)
class BoardFilters:
    """The board's filter bar (search, owner incl. me, source, tag), parsed and applied by the
    lead list's query builder so both pages mean the same thing by a filter."""

    lead: LeadFilters = field(default_factory=LeadFilters)

    @classmethod
    def from_args(cls, args: Any) -> BoardFilters:
        return cls(parse_filters({key: args.get(key, "") for key in BOARD_KEYS}))

    def args(self) -> dict[str, Any]:
        """The non-empty filters, for url_for() and hidden inputs."""
        return {key: value for key, value in self.lead.query().items() if key in BOARD_KEYS}

    def value(self, key: str) -> str:
        return self.lead.value(key)

    @property
    def errors(self) -> Mapping[str, str]:
        return self.lead.errors

    @property
    def active(self) -> bool:
        return bool(self.args())


def _board_where(pipeline: Pipeline, user: User, filters: BoardFilters) -> Select[Any]:
    """Leads of the pipeline this user may see; converted leads only count in the won column."""
    won = pipeline.stage_of_kind(StageKind.won)
    stmt = scoped(select(Lead), user).where(Lead.pipeline_id == pipeline.id,
                                            *filter_clauses(filters.lead, user))
    if won is not None:
        stmt = stmt.where(or_(Lead.converted_at.is_(None), Lead.stage_id == won.id))
    return stmt


# --- Pipelines -------------------------------------------------------------------------------


def pipelines() -> list[Pipeline]:
    return list(db.session.scalars(select(Pipeline).order_by(Pipeline.is_default.desc(),
                                                             Pipeline.name)))


def pick_pipeline(pipeline_id: int | None) -> Pipeline | None:
    """The asked-for pipeline, else the default one, else the first."""
    options = select(Pipeline).options(selectinload(Pipeline.stages))
    if pipeline_id is not None:
        found = db.session.scalar(options.where(Pipeline.id == pipeline_id))
        if found is not None:
            return found
    return db.session.scalar(options.order_by(Pipeline.is_default.desc(), Pipeline.id).limit(1))


# --- Column headers --------------------------------------------------------------------------


@dataclass
class ColumnHeader:
    stage: Stage
    count: int = 0
    total: Decimal = Decimal(0)

    @property
    def weighted(self) -> Decimal:
        return (self.total * self.stage.probability / 100).quantize(Decimal("1"))


def column_headers(pipeline: Pipeline, user: User, filters: BoardFilters,
                   only: list[int] | None = None) -> dict[int, ColumnHeader]:
    """Count and budget sums for every column, in one grouped query."""
    headers = {stage.id: ColumnHeader(stage) for stage in pipeline.stages
               if only is None or stage.id in only}
    stmt = _board_where(pipeline, user, filters).with_only_columns(
        Lead.stage_id, func.count(), func.coalesce(func.sum(Lead.budget), 0)
    ).group_by(Lead.stage_id)
    if only is not None:
        stmt = stmt.where(Lead.stage_id.in_(only))
    for stage_id, count, total in db.session.execute(stmt):
        if stage_id in headers:
            headers[stage_id].count = count
            headers[stage_id].total = Decimal(total)
    return headers


# --- Cards -----------------------------------------------------------------------------------


@dataclass
class Card:
    lead: Lead
    stage: Stage
    in_stage: str
    stale: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class ColumnPage:
    cards: list[Card]
    offset: int
    more: bool

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.cards)


def column_page(pipeline: Pipeline, stage: Stage, user: User, filters: BoardFilters,
                offset: int = 0, limit: int = PAGE_SIZE) -> ColumnPage:
    """One page of a column's cards in board order (board_position, then id)."""
    stmt = (_board_where(pipeline, user, filters).where(Lead.stage_id == stage.id)
            .options(load_only(*CARD_COLUMNS), joinedload(Lead.owner), joinedload(Lead.company))
            .order_by(Lead.board_position, Lead.id).offset(offset).limit(limit + 1))
    leads = list(db.session.scalars(stmt))[:limit + 1]
    tags = tag_names([lead.id for lead in leads[:limit]])
    now = datetime.now(UTC)
    cards = [card_for(lead, stage, now, tags.get(lead.id, [])) for lead in leads[:limit]]
    return ColumnPage(cards, offset, more=len(leads) > limit)


def tag_names(lead_ids: list[int]) -> dict[int, list[str]]:
    """Tag names per lead in one plain query (cheaper than loading Tag objects per card)."""
    names: dict[int, list[str]] = {}
    if not lead_ids:
        return names
    rows = db.session.execute(select(lead_tags.c.lead_id, Tag.name)
                              .join(Tag, Tag.id == lead_tags.c.tag_id)
                              .where(lead_tags.c.lead_id.in_(lead_ids)).order_by(Tag.name))
    for lead_id, name in rows:
        names.setdefault(lead_id, []).append(name)
    return names


def card_for(lead: Lead, stage: Stage, now: datetime | None = None,
             tags: list[str] | None = None) -> Card:
    now = now or datetime.now(UTC)
    entered = as_utc(lead.stage_entered_at or lead.created_at) or now
    return Card(lead=lead, stage=stage, in_stage=age_label(now - entered),
                stale=stale_reason(lead, stage, now),
                tags=tags if tags is not None else [tag.name for tag in lead.tags])



def age_label(age: timedelta) -> str:
    if age.days >= 1:
        return f"{age.days}d"
    hours = age.seconds // 3600
    return f"{hours}h" if hours else "<1h"


def stale_reason(lead: Lead, stage: Stage, now: datetime) -> str | None:
    """Why a card is stale, or None: no real touch for N days in this stage and nothing ahead."""
    days = stage.stale_after_days
    if stage.kind != StageKind.open or not days:
        return None
    if lead.deadline is not None and lead.deadline >= now.date():
        return None
    # Entering the stage is a touch too; a lead never moved entered it when it was created.
    touches = [as_utc(lead.stage_entered_at or lead.created_at), as_utc(lead.last_touched_at)]
    last = max((moment for moment in touches if moment is not None), default=None)
    if last is None or now - last < timedelta(days=days):
        return None
    idle = (now - last).days
    return (f"No comment, stage move or edit for {idle} days (this stage flags leads after "
            f"{days}) and no upcoming deadline.")


# --- Filter choices --------------------------------------------------------------------------


def owner_choices() -> list[tuple[int, str]]:
    users = db.session.scalars(select(User).where(User.active.is_(True))
                               .order_by(User.name, User.email))
    return [(user.id, user.display_name) for user in users]


def source_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(LeadSource.id, LeadSource.name).order_by(LeadSource.name))
    return [(row.id, row.name) for row in rows]


def tag_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Tag.id, Tag.name).order_by(Tag.name))
    return [(row.id, row.name) for row in rows]


def visible_lead(lead_id: int, user: User) -> Lead | None:
    """A live lead this user may see, or None."""
    return db.session.scalar(scoped(select(Lead), user).where(Lead.id == lead_id))
