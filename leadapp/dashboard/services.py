"""Figures for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from ..auth.models import User
from ..db_types import utcnow
from ..extensions import db
from ..leads.models import Lead
from ..leads.scope import scoped
from ..pipeline.models import Stage, StageKind
from ..sources.models import LeadSource


@dataclass(frozen=True)
class Summary:
    open_leads: int
    my_open_leads: int
    new_this_week: int
    won_this_month: int
    week_by_source: list[tuple[str, int]]
    my_recent: list[Lead]


def summary(user: User) -> Summary:
    now = utcnow()
    week_ago = now - timedelta(days=7)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    open_q = scoped(select(func.count(Lead.id)).join(Stage, Lead.stage_id == Stage.id)
                    .where(Stage.kind == StageKind.open), user)
    won_q = scoped(select(func.count(Lead.id)).join(Stage, Lead.stage_id == Stage.id)
                   .where(Stage.kind == StageKind.won, Lead.closing_date >= month_start.date()),
                   user)
    week_q = scoped(select(func.count(Lead.id)).where(Lead.created_at >= week_ago), user)
    return Summary(
        open_leads=db.session.scalar(open_q) or 0,
        my_open_leads=db.session.scalar(open_q.where(Lead.owner_id == user.id)) or 0,
        new_this_week=db.session.scalar(week_q) or 0,
        won_this_month=db.session.scalar(won_q) or 0,
        week_by_source=_week_by_source(user, week_ago),
        my_recent=_my_recent(user),
    )


def _week_by_source(user: User, since: object) -> list[tuple[str, int]]:
    statement = scoped(
        select(LeadSource.name, func.count(Lead.id))
        .join(Lead, Lead.source_id == LeadSource.id)
        .where(Lead.created_at >= since)
        .group_by(LeadSource.name)
        .order_by(func.count(Lead.id).desc(), LeadSource.name),
        user,
    )
    return [(name, count) for name, count in db.session.execute(statement)]


def _my_recent(user: User, limit: int = 8) -> list[Lead]:
    statement = scoped(select(Lead).where(Lead.owner_id == user.id), user)
    return list(db.session.scalars(statement.order_by(Lead.updated_at.desc()).limit(limit)))
