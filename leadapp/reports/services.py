"""The source performance report: leads, outcomes, won revenue and spend per source or campaign.

Every figure is aggregated by the database (one GROUP BY per table); Python only merges the
handful of grouped rows and divides. Money is summed as integer cents in SQL, so SQLite (which
keeps NUMERIC as REAL) and PostgreSQL both give exact Decimals, and only in one currency at a
time (amounts are never converted). Days, weeks and months are those of APP_TIMEZONE: the range,
and each week of the chart, becomes two UTC instants for the SQL (so an index on created_at
still serves it). In the source model the range is read source by source from
ix_leads_live_source_report (reports/models.py), in group order, so its sums need no sort.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy import values as values_table

from ..auth.models import User
from ..companies.models import Opportunity
from ..config import default_currency
from ..extensions import db
from ..leads.models import Lead
from ..leads.scope import scoped
from ..pipeline.models import Pipeline, Stage, StageHistory, StageKind
from ..sources.models import Campaign, LeadSource, Spend
from . import models as _report_index  # noqa: F401  (ix_leads_live_source_report)

NO_TOUCH = "(no touch data)"
NO_CAMPAIGN = "(no campaign)"
NO_MEDIUM = "(no medium)"
# Spend is recorded per source and campaign, never per utm_medium.
ANY_MEDIUM = "(any medium)"
UTC_ZONE = ZoneInfo("UTC")
CENT = Decimal("0.01")


class Attribution(StrEnum):
    source = "source"
    first_touch = "first_touch"
    last_touch = "last_touch"


ATTRIBUTION_LABELS = {
    Attribution.source: "the lead's source and campaign",
    Attribution.first_touch: "first touch (utm_source, medium and campaign of the first visit)",
    Attribution.last_touch: "last touch (utm_source, medium and campaign of the last visit)",
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
# Narrow table headings (the full names above are their titles and the CSV's headings).
SHORT: dict[str, str] = {**COLUMNS, "conversion": "Conv.", "avg_days": "Days to won",
                         "cpl": "Cost / lead", "cpa": "CPA", "ros": "ROS",
                         "median_response": "1st response"}


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
    zone: ZoneInfo = UTC_ZONE
    currency: str = "USD"  # of won revenue
    spend_currency: str = "USD"  # DEFAULT_CURRENCY: spend carries no currency of its own


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
    won_elsewhere: int = 0  # won leads whose revenue is in another currency (not in `revenue`)
    spend_comparable: bool = True  # revenue and spend are in the same currency
    median_response: float | None = None  # hours
    response_seconds: list[int] = field(default_factory=list, repr=False)
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
        if not self.spend_comparable:
            return None  # revenue in one currency over spend in another means nothing
        return _ratio(self.revenue, self.spend, CENT)

    def add(self, other: Row) -> None:
        for name in ("leads", "qualified", "won", "lost", "revenue", "spend", "days_sum",
                     "days_count", "won_elsewhere"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.response_seconds = self.response_seconds + other.response_seconds


@dataclass
class Report:
    filters: Filters
    rows: list[Row]
    total: Row
    weekly: list[tuple[str, list[tuple[date, int]]]]
    qualify_stage: Stage | None
    attribution_label: str
    other_currencies: list[tuple[str, int]] = field(default_factory=list)  # (code, won leads)


def _ratio(numerator: Decimal, denominator: Any, quantum: Decimal) -> Decimal | None:
    """numerator / denominator rounded half-up, or None ("—") when the denominator is zero."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(quantum)


def app_zone() -> ZoneInfo:
    """APP_TIMEZONE (checked at start-up by config.check_report_settings)."""
    return ZoneInfo(current_app.config.get("APP_TIMEZONE") or "UTC")


def local_today(zone: ZoneInfo) -> date:
    """Today's date where the business is, not in UTC: "this month" turns at local midnight."""
    return datetime.now(zone).date()


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The inclusive date range of a preset, relative to `today` (a local date)."""
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


def _text(value: str) -> Any:
    """A constant rendered into the SQL, so the SELECT and GROUP BY copies of an expression
    are the same text (PostgreSQL rejects a grouped column whose bind parameters differ)."""
    return literal(value, literal_execute=True)


def _offset(zone: ZoneInfo, second: int) -> int:
    offset = datetime.fromtimestamp(second, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def _change(zone: ZoneInfo, before: int, after: int) -> int:
    """The first second at or before `after` (and after `before`) with `after`'s offset."""
    old = _offset(zone, before)
    while after - before > 1:
        middle = (before + after) // 2
        before, after = (middle, after) if _offset(zone, middle) == old else (before, middle)
    return after


@lru_cache(maxsize=64)
def offset_spans(zone: ZoneInfo, low: datetime, high: datetime
                 ) -> tuple[tuple[datetime, int], ...]:
    """(UTC instant it starts, seconds east of UTC) for each offset the zone uses in
    [low, high): one for UTC or a year without a clock change, three for a year with two.
    Checked a week apart (clocks never change twice in a week), then bisected to the second."""
    day = int(low.timestamp())
    end = int(high.timestamp())
    spans = [(low, _offset(zone, day))]
    while day < end:
        step = min(day + 7 * 86400, end)
        if _offset(zone, step) != spans[-1][1]:
            start = _change(zone, day, step)
            spans.append((datetime.fromtimestamp(start, UTC), _offset(zone, start)))
        day = step
    return tuple(spans)


def _local_date(ts: Any, filters: Filters) -> Any:
    """The calendar date of a timestamp in the report's zone. PostgreSQL converts with its
    own zone database; SQLite has none, so it adds the zone's UTC offset, with one CASE branch
    per offset in force during the range (clock changes are known in Python)."""
    if _dialect() == "postgresql":
        return func.date(func.timezone(_text(filters.zone.key), ts))
    spans = offset_spans(filters.zone, *_bounds(filters))
    if spans == ((spans[0][0], 0),):
        return func.substr(ts, 1, 10)  # UTC all along: the stored text starts with the date
    dates = [func.date(ts, _text(f"{offset:+d} seconds")) for _, offset in spans]
    if len(dates) == 1:
        return dates[0]
    # created_at is stored as UTC text, and the bound instant is rendered the same way.
    return case(*[(ts < start, local) for (start, _), local in zip(spans[1:], dates, strict=False)],
                else_=dates[-1])


def _days_between(later: Any, earlier_ts: Any, filters: Filters) -> Any:
    """Whole days from the local date of a timestamp to a date."""
    if _dialect() == "postgresql":
        return later - _local_date(earlier_ts, filters)
    return cast(func.julianday(later) - func.julianday(_local_date(earlier_ts, filters)),
                BigInteger)


def _seconds_between(later: Any, earlier: Any) -> Any:
    if _dialect() == "postgresql":
        return cast(func.extract("epoch", later - earlier), BigInteger)
    return cast(func.round((func.julianday(later) - func.julianday(earlier)) * 86400), BigInteger)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight at the start of a day, as a UTC instant: SQLite stores UTC text without
    an offset and renders a bound datetime as its wall time, so an aware local value would
    compare wrongly there."""
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def _bounds(filters: Filters) -> tuple[datetime, datetime]:
    """Local midnight at the start of `start` and after `end`, as UTC instants."""
    return (_midnight(filters.start, filters.zone),
            _midnight(filters.end + timedelta(days=1), filters.zone))


def _lead_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    low, high = _bounds(filters)
    return [Lead.created_at >= low, Lead.created_at < high, *_lead_filters(filters)]


def _lead_filters(filters: Filters) -> list[ColumnElement[bool]]:
    """The pipeline, owner and team filters (the date range apart)."""
    conditions = []
    if filters.pipeline_id:
        # "+ 0" keeps SQLite off ix_leads_pipeline_stage: without statistics it takes a pipeline
        # for selective, but most leads share one, and that index walk reads the table for each.
        conditions.append(Lead.pipeline_id + 0 == filters.pipeline_id)
    if filters.owner_id:
        conditions.append(Lead.owner_id == filters.owner_id)
    if filters.team_id:
        conditions.append(Lead.team_id == filters.team_id)
    return conditions


def _utm(touch: Any, name: str) -> Any:
    """A utm value, trimmed and lowercased (people type "Google" and "google "), else NULL."""
    return func.lower(func.nullif(func.trim(touch[name].as_string()), ""))


def _pair(medium: Any, campaign: Any) -> Any:
    """The drill-down key of a touch model: "medium / campaign", as analytics tools show it."""
    return (func.coalesce(medium, _text(NO_MEDIUM)) + _text(" / ")
            + func.coalesce(campaign, _text(NO_CAMPAIGN)))


def _keys(filters: Filters) -> tuple[Any, Any]:
    """(group key, drill-down key) expressions for the attribution model: source and campaign
    ids (integers, which ix_leads_live_source_report is ordered by; Python makes them text), or
    utm_source and "utm_medium / utm_campaign"."""
    if filters.attribution == Attribution.source:
        return Lead.source_id, Lead.campaign_id
    touch = Lead.first_touch if filters.attribution == Attribution.first_touch else Lead.last_touch
    return (func.coalesce(_utm(touch, "utm_source"), _text(NO_TOUCH)),
            _pair(_utm(touch, "utm_medium"), _utm(touch, "utm_campaign")))


def _expanded(filters: Filters, key: Any) -> ColumnElement[bool]:
    """The drill-down's groups. Source ids arrive as text and are compared as integers
    (PostgreSQL has no integer = varchar); a value that is no id matches no source."""
    if filters.attribution != Attribution.source:
        return key.in_(filters.expand)
    return key.in_([int(value) for value in filters.expand
                    if value.isascii() and value.isdecimal() and len(value) < 10])


def _qualified(stage: Stage | None) -> Any:
    """Ever (by stage history) in an open or won stage of the chosen stage's pipeline at or
    beyond its position. Lost stages sit last in a pipeline, so they are left out: losing a
    lead does not qualify it. (Won or converted leads are added by the caller.)"""
    if stage is None:
        return literal(False)
    stage_ids = list(db.session.scalars(select(Stage.id).where(
        Stage.pipeline_id == stage.pipeline_id, Stage.position >= stage.position,
        Stage.kind != StageKind.lost)))
    # The current stage settles most leads; only the rest look up their history (one seek each
    # on ix_stage_history_lead_entered), as CASE stops at the first true branch.
    # It selects an indexed column, not `*`, so SQLite reads only ix_stage_history_lead_entered
    # and does not also open the table for each lead.
    reached = (select(StageHistory.lead_id)
               .where(StageHistory.lead_id == Lead.id, StageHistory.stage_id.in_(stage_ids))
               .exists())
    return case((Lead.stage_id.in_(stage_ids), True), (reached, True), else_=False)


def _stage_ids(kind: StageKind) -> list[int]:
    return list(db.session.scalars(select(Stage.id).where(Stage.kind == kind)))


def _outcomes() -> tuple[Any, Any]:
    """(won, lost) conditions on a lead row. Stage ids are looked up once, so the grouped
    queries compare a column with a short list instead of joining stages for every lead."""
    converted = Lead.converted_at.is_not(None)
    won = or_(Lead.stage_id.in_(_stage_ids(StageKind.won)), converted)
    lost = and_(Lead.stage_id.in_(_stage_ids(StageKind.lost)), Lead.converted_at.is_(None))
    return won, lost


def _won_money() -> Any:
    """Won revenue of a lead: its opportunity's amount when converted, else its budget (NULL
    counts as 0). The opportunity is read only for converted leads (one seek each)."""
    amount = (select(Opportunity.amount).where(Opportunity.lead_id == Lead.id)
              .correlate(Lead).scalar_subquery())
    return case((Lead.converted_at.is_not(None), func.coalesce(amount, Lead.budget, 0)),
                else_=func.coalesce(Lead.budget, 0))


def _money_currency() -> Any:
    """The currency of a lead's won revenue: the opportunity's when its amount is the one that
    counts (_won_money), else the lead's own."""
    currency = (select(Opportunity.currency)
                .where(Opportunity.lead_id == Lead.id, Opportunity.amount.is_not(None))
                .correlate(Lead).scalar_subquery())
    return case((Lead.converted_at.is_not(None), func.coalesce(currency, Lead.currency)),
                else_=Lead.currency)


def _joined_seconds(seconds: Any) -> Any:
    """The non-NULL values of a group as one comma-separated text (SQLite has no median, and
    47k numbers arrive as a few hundred strings rather than 47k rows)."""
    if _dialect() == "postgresql":
        return func.string_agg(cast(seconds, db.Text), ",")
    return func.group_concat(seconds, ",")


@dataclass
class _Grouped:
    """What one scan of the leads gives: rows and, when grouped by day, leads per week."""
    rows: dict[tuple[str, str | None], Row]
    weekly: dict[str, dict[date, int]]


def _count_if(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _figures(filters: Filters, stage: Stage | None) -> list[Any]:
    """Per group: leads, qualified, won, lost, won revenue in the report's currency (cents),
    wins in other currencies, days to won (sum and count), seconds to first response (joined).
    Wins in other currencies are counted, not grouped apart, so the groups stay in the order of
    ix_leads_live_source_report (only a converted lead's currency costs a lookup)."""
    won, lost = _outcomes()
    with_days = and_(won, Lead.closing_date.is_not(None))
    currency = _text(filters.currency)
    in_currency = func.coalesce(_money_currency(), currency) == currency
    days = _days_between(Lead.closing_date, Lead.created_at, filters)
    return [func.count(Lead.id), _count_if(case((won, True), else_=_qualified(stage))),
            _count_if(won), _count_if(lost),
            func.sum(case((and_(won, in_currency), _cents(_won_money())), else_=0)),
            _count_if(and_(won, ~in_currency)),
            func.sum(case((with_days, days), else_=0)), _count_if(with_days),
            _joined_seconds(_seconds_between(Lead.first_response_at, Lead.created_at))]


def _lead_statement(filters: Filters, stage: Stage | None, second: Any | None) -> Any:
    """The figures grouped by the model's key, or by the key and `second` (a local day or the
    drill-down key)."""
    key = _keys(filters)[0]
    groups = [key] if second is None else [key, second]
    statement = (select(*groups, *_figures(filters, stage)).where(*_lead_conditions(filters))
                 .group_by(*groups))
    if filters.attribution == Attribution.source and second is None:
        # Always true (a lead's source is a required foreign key), but it makes SQLite seek
        # the range source by source on ix_leads_live_source_report, so the rows arrive in
        # group order, instead of sorting the year's leads by source (~30 ms of ~120 at 58k leads).
        statement = statement.where(Lead.source_id.in_(select(LeadSource.id)))
    return statement


def _grouped_leads(user: User, filters: Filters, stage: Stage | None, *,
                   by_day: bool = False, by_campaign: bool = False) -> _Grouped:
    """Rows per group (source, or source and campaign) and, by_day, leads per local week.

    Each lead's seconds to first response come back per group, and Python takes the medians."""
    key, campaign_key = _keys(filters)
    second = (campaign_key if by_campaign
              else _local_date(Lead.created_at, filters) if by_day else None)
    statement = _lead_statement(filters, stage, second)
    if by_campaign:
        statement = statement.where(_expanded(filters, key))
    sums: dict[tuple[str, str | None], list[int]] = {}
    responses: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    weekly: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for values in db.session.execute(scoped(statement, user)):
        group = (str(values[0]), str(values[1]) if by_campaign and values[1] is not None
                 else None)
        figures = values[1:] if second is None else values[2:]
        _add(sums, group, figures)
        if figures[-1]:
            # json parses the joined numbers ~2.5x faster than int() on each piece.
            responses[group].extend(json.loads(f"[{figures[-1]}]"))
        if by_day:
            weekly[group[0]][_monday(str(values[1])[:10])] += figures[0]
    return _Grouped(rows={group: _row(group[0], totals, responses.get(group, []))
                          for group, totals in sums.items()}, weekly=weekly)


def _add(sums: dict[tuple[str, str | None], list[int]], group: tuple[str, str | None],
         figures: Any) -> None:
    """Add one result row's figures to its group's (a group spans many days when by day)."""
    n, qualified, won, lost, cents, elsewhere, days, days_n = (int(value or 0)
                                                               for value in figures[:8])
    totals = (n, qualified, won, lost, cents, days, days_n, elsewhere)
    previous = sums.get(group)
    sums[group] = ([a + b for a, b in zip(previous, totals, strict=True)] if previous
                   else list(totals))


def _other_currencies(user: User, filters: Filters) -> list[tuple[str, int]]:
    """Won leads per currency of their revenue, for the currencies other than the report's
    (asked only when the table left some wins out)."""
    won, _ = _outcomes()
    currency = _money_currency().label("won_currency")
    statement = (select(currency, func.count(Lead.id)).where(won, *_lead_conditions(filters))
                 .group_by(literal_column(currency.name)))
    return sorted((code, n) for code, n in db.session.execute(scoped(statement, user))
                  if code is not None and code != filters.currency)


@lru_cache(maxsize=4096)
def _monday(day: str) -> date:
    """The Monday of an ISO day's week (memoised: each day recurs once per source)."""
    value = date.fromisoformat(day)
    return value - timedelta(days=value.weekday())


def _row(key: str, totals: list[int], seconds: list[int]) -> Row:
    n, qualified, won, lost, cents, days, days_count, elsewhere = totals
    # Sorted once here: the total's median then sorts a few sorted runs, which is a merge.
    seconds.sort()
    return Row(key=key, label="", leads=n, qualified=qualified, won=won, lost=lost,
               revenue=_from_cents(cents), days_sum=days, days_count=days_count,
               won_elsewhere=elsewhere, median_response=_median_hours(seconds),
               response_seconds=seconds)


def _median_hours(seconds: list[int] | None) -> float | None:
    """The median of response times in hours (a clock skew's negative time counts as 0)."""
    if not seconds:
        return None
    return max(statistics.median(seconds), 0.0) / 3600


def _week_spans(filters: Filters) -> list[tuple[date, datetime, datetime]]:
    """Each chart week (weeks start on Monday) as its Monday and the UTC instants it starts
    and ends, cut to the range: the same local midnights as the range's own bounds."""
    low, high = _bounds(filters)
    first = filters.start - timedelta(days=filters.start.weekday())
    mondays = [first + timedelta(weeks=index)
               for index in range((filters.end - first).days // 7 + 1)]
    return [(monday, max(low, _midnight(monday, filters.zone)),
             min(high, _midnight(monday + timedelta(weeks=1), filters.zone)))
            for monday in mondays]


def _source_weeks(user: User, filters: Filters, keys: list[str],
                  spans: list[tuple[date, datetime, datetime]]) -> dict[str, dict[date, int]]:
    """Leads per week of the given sources: one count per source and week, each a short range
    of ix_leads_live_source_report, where grouping the year by source and local day would
    sort every lead in it."""
    columns = (column("week", Integer), column("low", DateTime(timezone=True)),
               column("high", DateTime(timezone=True)))
    weeks = values_table(*columns, name="weeks").data(
        [(index, low, high) for index, (_, low, high) in enumerate(spans)]).cte()
    count = scoped(select(func.count(Lead.id)).where(
        Lead.source_id == LeadSource.id, Lead.created_at >= weeks.c.low,
        Lead.created_at < weeks.c.high, *_lead_filters(filters)), user).scalar_subquery()
    statement = (select(LeadSource.id, weeks.c.week, count).join(weeks, true())
                 .where(LeadSource.id.in_([int(key) for key in keys])))
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for source_id, week, n in db.session.execute(statement):
        counts[str(source_id)][spans[week][0]] = n
    return counts


def _grouped_spend(filters: Filters, by_campaign: bool) -> dict[tuple[str, str | None], Decimal]:
    """Spend per source (name, lowercased, for touch models) and optionally per campaign.
    Spend has no medium, so a touch model's drill-down puts it under "(any medium) / …"."""
    touch = filters.attribution != Attribution.source
    key = func.lower(LeadSource.name) if touch else cast(Spend.source_id, db.String)
    campaign = (_pair(_text(ANY_MEDIUM), func.lower(Campaign.name)) if touch
                else cast(Spend.campaign_id, db.String))
    groups = [key, campaign] if by_campaign else [key]
    statement = (select(*groups, func.sum(_cents(Spend.amount)))
                 .join(LeadSource, LeadSource.id == Spend.source_id)
                 .outerjoin(Campaign, Campaign.id == Spend.campaign_id)
                 .where(Spend.spent_on >= filters.start, Spend.spent_on <= filters.end)
                 .group_by(*groups))
    return {(values[0], values[1] if by_campaign else None): _from_cents(values[-1])
            for values in db.session.execute(statement)}


def _labels(filters: Filters, keys: set[str]) -> dict[str, tuple[str, int | None]]:
    if filters.attribution != Attribution.source:
        return {key: (key, None) for key in keys}
    ids = [int(key) for key in keys if key and key.isdecimal()]
    names = db.session.execute(select(LeadSource.id, LeadSource.name).where(LeadSource.id.in_(ids)))
    return {str(source_id): (name, source_id) for source_id, name in names}


def _campaign_labels(filters: Filters, keys: set[str | None]) -> dict[str | None, str]:
    labels: dict[str | None, str] = {None: NO_CAMPAIGN}
    if filters.attribution != Attribution.source:
        labels.update({key: key for key in keys if key})
        return labels
    ids = [int(key) for key in keys if key and key.isdecimal()]
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
    # Touch models read each lead's JSON from the table anyway, so they group by day in the
    # same pass; sources count their weeks on the index instead (_source_weeks).
    by_day = with_charts and filters.attribution != Attribution.source
    grouped = _grouped_leads(user, filters, stage, by_day=by_day)
    rows_by_key = _merge(grouped.rows, _grouped_spend(filters, False))
    labels = _labels(filters, {group[0] for group in rows_by_key})
    # Spend no lead names keeps its row (zero leads), so total spend is the same in every model.
    rows = [replace(row, label=labels.get(key, (key, None))[0],
                    source_id=labels.get(key, (key, None))[1])
            for (key, _), row in rows_by_key.items()]
    total = Row(key="total", label="Total")
    for row in rows:
        total.add(row)
    total.median_response = _median_hours(total.response_seconds)
    if filters.expand:
        _attach_campaigns(user, filters, stage, rows)
    _mark_spend_currency(filters, [total, *rows, *(item for row in rows for item in row.campaigns)])
    weekly = (_weekly(user, filters, rows, grouped.weekly if by_day else None)
              if with_charts else [])
    return Report(filters=filters, rows=sort_rows(rows, filters.sort, filters.desc),
                  total=total, weekly=weekly, qualify_stage=stage,
                  attribution_label=ATTRIBUTION_LABELS[filters.attribution],
                  other_currencies=_other_currencies(user, filters) if total.won_elsewhere
                  else [])


def _mark_spend_currency(filters: Filters, rows: list[Row]) -> None:
    if filters.currency != filters.spend_currency:
        for row in rows:
            row.spend_comparable = False


def _attach_campaigns(user: User, filters: Filters, stage: Stage | None,
                      rows: list[Row]) -> None:
    grouped = _merge(_grouped_leads(user, filters, stage, by_campaign=True).rows,
                     _grouped_spend(filters, True))
    labels = _campaign_labels(filters, {group[1] for group in grouped})
    for row in rows:
        if row.key not in filters.expand:
            continue
        row.campaigns = sort_rows(
            [replace(item, key=f"{row.key}:{group[1]}", label=labels.get(group[1], group[1]),
                     campaign_id=int(group[1]) if group[1] and group[1].isdecimal() else None)
             for group, item in grouped.items() if group[0] == row.key],
            filters.sort, filters.desc)


def _weekly(user: User, filters: Filters, rows: list[Row],
            counts: dict[str, dict[date, int]] | None,
            top: int = 5) -> list[tuple[str, list[tuple[date, int]]]]:
    """Leads per week (weeks start on Monday) for the top sources by lead count; `counts`
    None means count them now (the source model)."""
    leaders = sorted((row for row in rows if row.leads), key=lambda row: -row.leads)[:top]
    spans = _week_spans(filters)
    if counts is None:
        counts = _source_weeks(user, filters, [row.key for row in leaders], spans)
    return [(row.label, [(monday, counts.get(row.key, {}).get(monday, 0))
                         for monday, _, _ in spans])
            for row in leaders]


def month_figures(user: User, today: date) -> Row:
    """This month's totals for the dashboard cards (`today` is local; revenue in the default
    currency)."""
    start, end = preset_range("this_month", today)
    currency = default_currency()
    filters = Filters(start=start, end=end, zone=app_zone(), currency=currency,
                      spend_currency=currency)
    return source_report(user, filters, with_charts=False).total


def won_revenue_by_source(user: User) -> dict[int, Decimal]:
    """All-time won revenue per source id in the default currency, for the sources list."""
    won, _ = _outcomes()
    statement = (select(Lead.source_id, func.sum(_cents(_won_money())))
                 .where(won, _money_currency() == default_currency())
                 .group_by(Lead.source_id))
    return {source_id: _from_cents(cents)
            for source_id, cents in db.session.execute(scoped(statement, user))}
