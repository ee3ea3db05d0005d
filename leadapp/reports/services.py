"""The source performance report: leads, outcomes, won revenue and spend per source or campaign.

Every figure is aggregated by the database (one GROUP BY per table); Python only merges the
handful of grouped rows and divides. Money is summed as integer cents in SQL, so SQLite (which
keeps NUMERIC as REAL) and PostgreSQL both give exact Decimals.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from ..auth.models import User
from ..companies.models import Opportunity
from ..extensions import db
from ..leads.models import Activity, ActivityKind, Lead
from ..leads.scope import scoped
from ..pipeline.models import Pipeline, Stage, StageHistory, StageKind
from ..sources.models import Campaign, LeadSource, Spend

NO_TOUCH = "(no touch data)"
NO_CAMPAIGN = "(no campaign)"
CENT = Decimal("0.01")
RESPONSE_KINDS = (ActivityKind.commented, ActivityKind.stage_moved, ActivityKind.field_changed)


class Attribution(StrEnum):
    source = "source"
    first_touch = "first_touch"
    last_touch = "last_touch"


ATTRIBUTION_LABELS = {
    Attribution.source: "the lead's source and campaign",
    Attribution.first_touch: "first touch (utm_source / utm_campaign of the first visit)",
    Attribution.last_touch: "last touch (utm_source / utm_campaign of the last visit)",
}

PRESETS = {"this_month": "This month", "last_month": "Last month",
           "this_quarter": "This quarter", "last_12_months": "Last 12 months",
           "custom": "Custom"}

# Sortable columns: key -> (heading, attribute of Row).
COLUMNS: dict[str, str] = {
    "label": "Source", "leads": "Leads", "qualified": "Qualified", "won": "Won", "lost": "Lost",
    "open": "Open", "conversion": "Conversion", "revenue": "Won revenue",
    "avg_days": "Avg days to won", "spend": "Spend", "cpl": "Cost per lead", "cpa": "CPA",
    "ros": "Return on spend", "median_response": "Median first response",
}


@dataclass
class Filters:
    start: date
    end: date  # inclusive
    preset: str = "this_month"
    pipeline_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    qualify_stage_id: int | None = None
    attribution: Attribution = Attribution.source
    sort: str = "revenue"
    desc: bool = True
    expand: tuple[str, ...] = ()


@dataclass
class Row:
    key: str
    label: str
    source_id: int | None = None
    campaign_id: int | None = None
    leads: int = 0
    qualified: int = 0
    won: int = 0
    lost: int = 0
    revenue: Decimal = Decimal("0.00")
    spend: Decimal = Decimal("0.00")
    days_sum: int = 0
    days_count: int = 0
    median_response: float | None = None  # hours
    campaigns: list[Row] = field(default_factory=list)

    @property
    def open(self) -> int:
        return self.leads - self.won - self.lost

    @property
    def conversion(self) -> Decimal | None:
        return _ratio(Decimal(self.won) * 100, self.leads, Decimal("0.1"))

    @property
    def avg_days(self) -> Decimal | None:
        return _ratio(Decimal(self.days_sum), self.days_count, Decimal("0.1"))

    @property
    def cpl(self) -> Decimal | None:
        return _ratio(self.spend, self.leads, CENT)

    @property
    def cpa(self) -> Decimal | None:
        return _ratio(self.spend, self.won, CENT)

    @property
    def ros(self) -> Decimal | None:
        return _ratio(self.revenue, self.spend, CENT)

    def add(self, other: Row) -> None:
        for name in ("leads", "qualified", "won", "lost", "revenue", "spend", "days_sum",
                     "days_count"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Report:
    filters: Filters
    rows: list[Row]
    total: Row
    weekly: list[tuple[str, list[tuple[date, int]]]]
    qualify_stage: Stage | None
    attribution_label: str


def _ratio(numerator: Decimal, denominator: Any, quantum: Decimal) -> Decimal | None:
    """numerator / denominator rounded half-up, or None ("—") when the denominator is zero."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(quantum)


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The inclusive date range of a preset, relative to `today` (UTC)."""
    month_start = today.replace(day=1)
    if preset == "last_month":
        end = month_start - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "this_quarter":
        return month_start.replace(month=3 * ((today.month - 1) // 3) + 1), today
    if preset == "last_12_months":
        year, month = (today.year - 1, today.month + 1) if today.month < 12 else (today.year, 1)
        return date(year, month, 1), today
    return month_start, today


def _cents(value: Any) -> Any:
    """A money column as integer cents, so SUM is exact on every database."""
    return cast(func.round(value * 100), BigInteger)


def _from_cents(value: Any) -> Decimal:
    return (Decimal(int(value or 0)) / 100).quantize(CENT)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _days_between(later: Any, earlier_ts: Any) -> Any:
    """Whole days from the date of a timestamp to a date."""
    if _dialect() == "postgresql":
        return later - func.date(earlier_ts)
    return cast(func.julianday(later) - func.julianday(func.date(earlier_ts)), BigInteger)


def _seconds_between(later: Any, earlier: Any) -> Any:
    if _dialect() == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400


def _week_start(ts: Any) -> Any:
    """The Monday of a timestamp's week, as ISO date text."""
    if _dialect() == "postgresql":
        return func.to_char(func.date_trunc("week", ts), "YYYY-MM-DD")
    return func.date(ts, "weekday 0", "-6 days")


def _bounds(filters: Filters) -> tuple[datetime, datetime]:
    """UTC midnight at the start of `start` and just after the end of `end`."""
    return (datetime.combine(filters.start, time.min, UTC),
            datetime.combine(filters.end + timedelta(days=1), time.min, UTC))


def _lead_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    low, high = _bounds(filters)
    conditions = [Lead.created_at >= low, Lead.created_at < high]
    if filters.pipeline_id:
        conditions.append(Lead.pipeline_id == filters.pipeline_id)
    if filters.owner_id:
        conditions.append(Lead.owner_id == filters.owner_id)
    if filters.team_id:
        conditions.append(Lead.team_id == filters.team_id)
    return conditions


def _keys(filters: Filters) -> tuple[Any, Any]:
    """(group key, campaign key) expressions for the attribution model, as text."""
    if filters.attribution == Attribution.source:
        return cast(Lead.source_id, db.String), cast(Lead.campaign_id, db.String)
    touch = Lead.first_touch if filters.attribution == Attribution.first_touch else Lead.last_touch
    source = func.nullif(func.trim(touch["utm_source"].as_string()), "")
    campaign = func.nullif(func.trim(touch["utm_campaign"].as_string()), "")
    return func.coalesce(func.lower(source), literal(NO_TOUCH)), func.lower(campaign)


def _qualified(stage: Stage | None) -> Any:
    """Won/converted, or ever in an open or won stage at or beyond `stage` in the lead's pipeline.

    Lost stages sit last in a pipeline, so they are left out: losing a lead does not qualify it.
    """
    if stage is None:
        return literal(False)
    past = aliased(Stage)
    return exists().where(
        StageHistory.lead_id == Lead.id, past.id == StageHistory.stage_id,
        past.pipeline_id == Lead.pipeline_id, past.position >= stage.position,
        past.kind != StageKind.lost)


def _grouped_leads(user: User, filters: Filters, stage: Stage | None,
                   by_campaign: bool) -> dict[tuple[str, str | None], Row]:
    key, campaign_key = _keys(filters)
    won = or_(Stage.kind == StageKind.won, Lead.converted_at.is_not(None))
    lost = and_(Stage.kind == StageKind.lost, Lead.converted_at.is_(None))
    qualified = or_(won, _qualified(stage))
    money = case((Lead.converted_at.is_not(None) & Opportunity.id.is_not(None),
                  func.coalesce(Opportunity.amount, Lead.budget, 0)),
                 else_=func.coalesce(Lead.budget, 0))
    with_days = and_(won, Lead.closing_date.is_not(None))
    groups = [key, campaign_key] if by_campaign else [key]
    statement = (
        select(*groups, func.count(Lead.id),
               func.sum(case((qualified, 1), else_=0)), func.sum(case((won, 1), else_=0)),
               func.sum(case((lost, 1), else_=0)), func.sum(case((won, _cents(money)), else_=0)),
               func.sum(case((with_days, _days_between(Lead.closing_date, Lead.created_at)),
                             else_=0)),
               func.sum(case((with_days, 1), else_=0)))
        .join(Stage, Stage.id == Lead.stage_id)
        .outerjoin(Opportunity, Opportunity.lead_id == Lead.id)
        .where(*_lead_conditions(filters)).group_by(*groups))
    if by_campaign:
        statement = statement.where(key.in_(filters.expand))
    result: dict[tuple[str, str | None], Row] = {}
    for values in db.session.execute(scoped(statement, user)):
        group = (values[0], values[1] if by_campaign else None)
        n, qual, won_n, lost_n, cents, days, days_n = values[len(groups):]
        result[group] = Row(key=str(group[0]), label="", leads=n, qualified=int(qual or 0),
                            won=int(won_n or 0), lost=int(lost_n or 0),
                            revenue=_from_cents(cents), days_sum=int(days or 0),
                            days_count=int(days_n or 0))
    return result


def _grouped_spend(filters: Filters, by_campaign: bool) -> dict[tuple[str, str | None], Decimal]:
    """Spend per source (name, lowercased, for touch models) and optionally per campaign."""
    touch = filters.attribution != Attribution.source
    key = func.lower(LeadSource.name) if touch else cast(Spend.source_id, db.String)
    campaign = func.lower(Campaign.name) if touch else cast(Spend.campaign_id, db.String)
    groups = [key, campaign] if by_campaign else [key]
    statement = (select(*groups, func.sum(_cents(Spend.amount)))
                 .join(LeadSource, LeadSource.id == Spend.source_id)
                 .outerjoin(Campaign, Campaign.id == Spend.campaign_id)
                 .where(Spend.spent_on >= filters.start, Spend.spent_on <= filters.end)
                 .group_by(*groups))
    return {(values[0], values[1] if by_campaign else None): _from_cents(values[-1])
            for values in db.session.execute(statement)}


def _median_response(user: User, filters: Filters) -> dict[str, float]:
    """Median hours from creation to the first comment, stage move or edit by a person.

    The first response per lead is found in SQL; the median is taken in Python over that one
    column per source (one number per lead in the range that has been answered).
    """
    key, _ = _keys(filters)
    first = (select(Activity.lead_id, func.min(Activity.created_at).label("at"))
             .where(Activity.actor_id.is_not(None), Activity.kind.in_(RESPONSE_KINDS))
             .group_by(Activity.lead_id).subquery())
    statement = (select(key, _seconds_between(first.c.at, Lead.created_at))
                 .join(first, first.c.lead_id == Lead.id).where(*_lead_conditions(filters)))
    samples: dict[str, list[float]] = defaultdict(list)
    for group, seconds in db.session.execute(scoped(statement, user)):
        samples[group].append(max(float(seconds or 0), 0.0))
    return {group: statistics.median(values) / 3600 for group, values in samples.items()}


def _labels(filters: Filters, keys: set[str]) -> dict[str, tuple[str, int | None]]:
    if filters.attribution != Attribution.source:
        return {key: (key, None) for key in keys}
    ids = [int(key) for key in keys if key and key.isdigit()]
    names = db.session.execute(select(LeadSource.id, LeadSource.name).where(LeadSource.id.in_(ids)))
    return {str(source_id): (name, source_id) for source_id, name in names}


def _campaign_labels(filters: Filters, keys: set[str | None]) -> dict[str | None, str]:
    labels: dict[str | None, str] = {None: NO_CAMPAIGN}
    if filters.attribution != Attribution.source:
        labels.update({key: key for key in keys if key})
        return labels
    ids = [int(key) for key in keys if key and key.isdigit()]
    for campaign_id, name in db.session.execute(
            select(Campaign.id, Campaign.name).where(Campaign.id.in_(ids))):
        labels[str(campaign_id)] = name
    return labels


def _merge(lead_rows: dict[tuple[str, str | None], Row],
           spend: dict[tuple[str, str | None], Decimal]) -> dict[tuple[str, str | None], Row]:
    """Sources with spend but no leads still get a row; leads without spend keep 0 spend."""
    merged = dict(lead_rows)
    for group, amount in spend.items():
        row = merged.setdefault(group, Row(key=str(group[0]), label=""))
        row.spend = amount
    return merged


def _sort_key(column: str) -> Any:
    def key(row: Row) -> tuple[int, Any]:
        value = getattr(row, column)
        if column == "label":
            return (0, value.lower())
        return (0, value) if value is not None else (1, 0)
    return key


def sort_rows(rows: list[Row], column: str, desc: bool) -> list[Row]:
    """Sort by a column; rows whose figure is "—" always go last."""
    present = [row for row in rows if column == "label" or getattr(row, column) is not None]
    missing = [row for row in rows if row not in present]
    return sorted(present, key=_sort_key(column), reverse=desc) + missing


def qualify_stage(filters: Filters) -> Stage | None:
    """The chosen qualifying stage, else the second stage of the filtered or default pipeline."""
    if filters.qualify_stage_id:
        stage = db.session.get(Stage, filters.qualify_stage_id)
        if stage is not None:
            return stage
    pipeline = (db.session.get(Pipeline, filters.pipeline_id) if filters.pipeline_id else
                db.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True))))
    if pipeline is None or not pipeline.stages:
        return None
    return pipeline.stages[min(1, len(pipeline.stages) - 1)]


def source_report(user: User, filters: Filters, with_charts: bool = True) -> Report:
    """The report rows (with expanded campaigns), the total row and the weekly series."""
    stage = qualify_stage(filters)
    rows_by_key = _merge(_grouped_leads(user, filters, stage, False),
                         _grouped_spend(filters, False))
    labels = _labels(filters, {group[0] for group in rows_by_key})
    medians = _median_response(user, filters)
    rows: list[Row] = []
    for (key, _), row in rows_by_key.items():
        if filters.attribution != Attribution.source and key != NO_TOUCH and row.leads == 0:
            continue  # spend of a source no lead's utm_source names
        label, source_id = labels.get(key, (key, None))
        rows.append(replace(row, label=label, source_id=source_id,
                            median_response=medians.get(key)))
    total = Row(key="total", label="Total")
    for row in rows:
        total.add(row)
    if filters.expand:
        _attach_campaigns(user, filters, stage, rows)
    weekly = _weekly(user, filters, rows) if with_charts else []
    return Report(filters=filters, rows=sort_rows(rows, filters.sort, filters.desc),
                  total=total, weekly=weekly, qualify_stage=stage,
                  attribution_label=ATTRIBUTION_LABELS[filters.attribution])


def _attach_campaigns(user: User, filters: Filters, stage: Stage | None,
                      rows: list[Row]) -> None:
    grouped = _merge(_grouped_leads(user, filters, stage, True), _grouped_spend(filters, True))
    labels = _campaign_labels(filters, {group[1] for group in grouped})
    for row in rows:
        if row.key not in filters.expand:
            continue
        row.campaigns = sort_rows(
            [replace(item, key=f"{row.key}:{group[1]}", label=labels.get(group[1], group[1]),
                     campaign_id=int(group[1]) if group[1] and group[1].isdigit() else None)
             for group, item in grouped.items() if group[0] == row.key],
            filters.sort, filters.desc)


def _weekly(user: User, filters: Filters, rows: list[Row],
            top: int = 5) -> list[tuple[str, list[tuple[date, int]]]]:
    """Leads per week for the top sources by lead count (weeks start on Monday)."""
    leaders = sorted((row for row in rows if row.leads), key=lambda row: -row.leads)[:top]
    if not leaders:
        return []
    key, _ = _keys(filters)
    week = _week_start(Lead.created_at)
    statement = (select(key, week, func.count(Lead.id)).where(*_lead_conditions(filters))
                 .where(key.in_([row.key for row in leaders])).group_by(key, week))
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for group, week_text, n in db.session.execute(scoped(statement, user)):
        counts[group][date.fromisoformat(str(week_text)[:10])] = n
    first = filters.start - timedelta(days=filters.start.weekday())
    weeks = [first + timedelta(weeks=index)
             for index in range((filters.end - first).days // 7 + 1)]
    return [(row.label, [(monday, counts[row.key].get(monday, 0)) for monday in weeks])
            for row in leaders]


def month_figures(user: User, today: date) -> Row:
    """This month's totals for the dashboard cards."""
    start, end = preset_range("this_month", today)
    filters = Filters(start=start, end=end)
    return source_report(user, filters, with_charts=False).total


def won_revenue_by_source(user: User) -> dict[int, Decimal]:
    """All-time won revenue per source id, for the sources list."""
    won = or_(Stage.kind == StageKind.won, Lead.converted_at.is_not(None))
    money = case((Lead.converted_at.is_not(None) & Opportunity.id.is_not(None),
                  func.coalesce(Opportunity.amount, Lead.budget, 0)),
                 else_=func.coalesce(Lead.budget, 0))
    statement = (select(Lead.source_id, func.sum(_cents(money)))
                 .join(Stage, Stage.id == Lead.stage_id)
                 .outerjoin(Opportunity, Opportunity.lead_id == Lead.id)
                 .where(won).group_by(Lead.source_id))
    return {source_id: _from_cents(cents)
            for source_id, cents in db.session.execute(scoped(statement, user))}
