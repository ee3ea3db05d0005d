"""The lead query builder: filters parsed from a query string, applied as SQL to select(Lead).

Request-free on purpose: the list page, the board, the JSON API and the export all build their
lead queries here, so "which leads match" means the same thing everywhere.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from flask import g, has_request_context
from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.compiler import SQLCompiler

from ..auth.models import User
from ..custom_fields import listing as custom
from ..extensions import db
from ..pipeline.models import Stage, StageKind
from ..sources.models import LeadSource
from . import search_index
from .models import Lead, Tag, lead_tags
from .scope import origin_clause, scoped, visible_leads_clause

PAGE_SIZES = (25, 50, 100)
MAX_ID = 2_147_483_647  # the largest INTEGER (PostgreSQL) and so the largest row id
MIN_SEARCH = 2

# (key, label): every column the list can show, in display order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "Title"), ("contact", "Contact"), ("company", "Company"), ("source", "Source"),
    ("stage", "Stage"), ("owner", "Owner"), ("budget", "Budget"), ("tags", "Tags"),
    ("created", "Created"),
)
COLUMN_KEYS = tuple(key for key, _ in COLUMNS)
# Title links to the lead, so it is always shown.
REQUIRED_COLUMNS = ("title",)

STATUSES = {"open": StageKind.open, "won": StageKind.won, "lost": StageKind.lost}
FILTER_KEYS = ("q", "source", "campaign", "stage", "status", "owner", "team", "tag", "city",
               "email", "ref", "created_from", "created_to", "budget_min", "budget_max",
               "converted")
STATE_KEYS = (*FILTER_KEYS, "sort", "dir", "per_page", "page")


@dataclass(frozen=True)
class LeadFilters:
    """One lead-list state: search, filters, sort and page. Built by `parse_filters`."""

    q: str = ""
    source: int | None = None
    campaign: int | None = None
    stage: int | None = None
    status: str = ""
    owner: str = ""  # "", "me", "unassigned" or a user id
    team: int | None = None
    tag: int | None = None
    city: str = ""
    email: str = ""
    ref: str = ""  # where the lead came from: "form:<id>", "import:<id>"
    created_from: date | None = None
    created_to: date | None = None
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    converted: bool = False
    sort: str = "created"
    direction: str = "desc"
    page: int = 1
    per_page: int = PAGE_SIZES[0]
    # What the user typed, so a bad value is shown back with its message.
    raw: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    # More WHERE conditions from callers with filters the page has no control for (the JSON
    # API's title, name, pipeline, several tags, updated_after); not part of the URL state.
    extra: tuple[ColumnElement[bool], ...] = ()
    # SQLite: a narrow covering index to count `extra` from when no text search picks the
    # search index (the API's title and name filters, which no index can seek).
    count_index: str = ""
    # Custom field filters and sort (`cf_<key>` parameters), parsed by custom_fields.listing.
    custom: custom.CustomState = field(default_factory=custom.CustomState)

    @property
    def search_term(self) -> str:
        return self.q if len(self.q) >= MIN_SEARCH else ""

    @property
    def active_filter_count(self) -> int:
        keys = [key for key in FILTER_KEYS if key not in ("q", "converted")]
        return sum(1 for key in keys if getattr(self, key) not in (None, "")) + len(
            self.custom.filters)

    def query(self, **overrides: Any) -> dict[str, str]:
        """The URL parameters of this state (defaults left out); overrides win, None drops."""
        params = {key: _format(getattr(self, key)) for key in FILTER_KEYS}
        params["converted"] = "1" if self.converted else ""
        params.update(self.custom.raw or {})
        params.update(sort=self.sort, dir=self.direction, per_page=str(self.per_page),
                      page=str(self.page))
        defaults = {"sort": "created", "dir": "desc", "per_page": str(PAGE_SIZES[0]), "page": "1"}
        for key, value in overrides.items():
            params[key] = "" if value is None else _format(value)
        return {key: value for key, value in params.items()
                if value not in ("", None) and defaults.get(key) != value}

    @property
    def state_key(self) -> str:
        """A short tag of this state, so a late answer for another state is recognised."""
        return format(zlib.crc32(urlencode(sorted(self.query().items())).encode()), "08x")

    def value(self, key: str) -> str:
        """The value to show in the filter form: what was typed, else the parsed value."""
        if key in self.raw:
            return self.raw[key]
        if key.startswith("cf_"):
            return (self.custom.raw or {}).get(key, "")
        return _format(getattr(self, key))


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def parse_filters(args: Mapping[str, Any]) -> LeadFilters:
    """Read a list state from query parameters; bad values are dropped with a message each."""
    errors: dict[str, str] = {}
    raw = {key: str(args.get(key, "")).strip() for key in STATE_KEYS if args.get(key)}

    def text(key: str, limit: int = 200) -> str:
        return raw.get(key, "")[:limit]

    def ident(key: str, label: str) -> int | None:
        value = raw.get(key, "")
        if not value:
            return None
        if is_id(value):
            return int(value)
        errors[key] = f"Choose a {label} from the list."
        return None

    def day(key: str) -> date | None:
        value = raw.get(key, "")
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            errors[key] = "Enter a date like 2026-01-31."
            return None

    def money(key: str) -> Decimal | None:
        value = raw.get(key, "").replace(",", "").replace(" ", "")
        try:
            amount = Decimal(value) if value else None
        except InvalidOperation:
            amount = None
            errors[key] = "Enter an amount such as 5000 or 1250.50."
        if amount is not None and (not amount.is_finite() or amount < 0):
            errors[key] = "Enter an amount of zero or more."
            return None
        return amount

    owner = text("owner")
    if owner and owner not in ("me", "unassigned") and not is_id(owner):
        errors["owner"] = "Choose an owner from the list."
        owner = ""
    extra_state = custom.parse(args, raw.get("sort", ""))
    status = text("status")
    if status and status not in STATUSES:
        errors["status"] = "Choose open, won or lost."
        status = ""
    filters = LeadFilters(
        q=text("q", 100), source=ident("source", "source"), campaign=ident("campaign", "campaign"),
        stage=ident("stage", "stage"), status=status, owner=owner, team=ident("team", "team"),
        tag=ident("tag", "tag"), city=text("city", 120), email=text("email", 254),
        ref=text("ref", 60),
        created_from=day("created_from"), created_to=day("created_to"),
        budget_min=money("budget_min"), budget_max=money("budget_max"),
        converted=raw.get("converted", "") in ("1", "on", "true", "yes"),
        sort=raw.get("sort", "") if raw.get("sort", "") in SORTS or extra_state.sort
        else "created",
        direction="asc" if raw.get("dir", "") == "asc" else "desc",
        page=_positive(raw.get("page", "")) or 1,
        per_page=_page_size(raw.get("per_page", "")),
        custom=extra_state,
    )
    errors.update(extra_state.errors or {})
    return _check_ranges(replace(filters, raw=raw, errors=errors))


def _check_ranges(filters: LeadFilters) -> LeadFilters:
    errors = dict(filters.errors)
    if filters.created_from and filters.created_to and filters.created_from > filters.created_to:
        errors["created_to"] = "The end date is before the start date."
    if (filters.budget_min is not None and filters.budget_max is not None
            and filters.budget_min > filters.budget_max):
        errors["budget_max"] = "The maximum is below the minimum."
    if errors == filters.errors:
        return filters
    # An impossible range is shown with its message and not applied.
    drop = {"created_to": None} if "created_to" in errors else {}
    if "budget_max" in errors:
        drop["budget_max"] = None
    return replace(filters, errors=errors, **drop)


def _positive(value: str) -> int | None:
    return int(value) if is_id(value) and int(value) < 10_000_000 else None


def is_id(value: str) -> bool:
    """ASCII digits that can name a row. `"²".isdecimal()` is True but int() refuses it, and
    an id past the INTEGER range makes the database raise: both were 500s from a query string."""
    return value.isascii() and value.isdecimal() and len(value) <= 10 and 0 < int(value) <= MAX_ID


def _page_size(value: str) -> int:
    size = _positive(value)
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


# --- SQL ---------------------------------------------------------------------------------


def _pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _like(column: Any, term: str) -> ColumnElement[bool]:
    """Case-insensitive substring match: SQLite's LIKE already ignores ASCII case (and lower()
    per row would cost a function call on every scanned row); other databases get ILIKE."""
    if db.engine.dialect.name == "sqlite":
        return column.like(_pattern(term.lower()), escape="\\")
    return column.ilike(_pattern(term), escape="\\")


def _search_words(term: str) -> list[str]:
    return term.lower().split()[:5]


def _search_clause(term: str) -> ColumnElement[bool]:
    """Every word must appear in the title, a name, the email, the phone or the company name.

    Lead.search_text is those six columns lowercased into one, computed by the database: one
    LIKE per word over a narrow index instead of six over the wide table."""
    return search_text_holds(_search_words(term))


def search_text_holds(words: list[str]) -> ColumnElement[bool]:
    """Each of the (lowercase) words appears in Lead.search_text; PostgreSQL's pg_trgm index
    of the column answers this."""
    return and_(*(Lead.search_text.like(_pattern(word), escape="\\") for word in words))


def _narrowed(filters: LeadFilters) -> Any:
    """The ids SQLite's trigram index holds for the search box's words and the email filter
    (both looked for in Lead.search_text), when they are few; else None."""
    words = _search_words(filters.search_term)
    if filters.email:
        words.append(filters.email.lower())
    return search_index.candidates(words, search_index.SEARCH_SHARE) if words else None


def _in_kind(kind: StageKind) -> ColumnElement[bool]:
    return Lead.stage_id.in_(select(Stage.id).where(Stage.kind == kind).scalar_subquery())


def converted_clause() -> ColumnElement[bool]:
    """Converted leads: marked converted, or sitting in a won stage (the seed's "converted")."""
    return or_(Lead.converted_at.is_not(None), _in_kind(StageKind.won))


def hides_converted(filters: LeadFilters) -> bool:
    """Converted leads are hidden unless asked for, or unless the filter names a stage/status."""
    return not (filters.converted or filters.stage or filters.status == "won")


def filter_clauses(filters: LeadFilters, user: User) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filters (not visibility, not the converted toggle)."""
    clauses: list[ColumnElement[bool]] = []
    indexed = _narrowed(filters)
    if indexed is not None:  # SQLite's trigram index narrows; the LIKEs below decide
        clauses.append(Lead.id.in_(indexed))
    if filters.search_term:
        clauses.append(_search_clause(filters.search_term))
    for key, column in (("source", Lead.source_id), ("campaign", Lead.campaign_id),
                        ("stage", Lead.stage_id), ("team", Lead.team_id)):
        if getattr(filters, key) is not None:
            clauses.append(column == getattr(filters, key))
    if filters.status:
        clauses.append(_in_kind(STATUSES[filters.status]))
    if filters.owner == "me":
        clauses.append(Lead.owner_id == user.id)
    elif filters.owner == "unassigned":
        clauses.append(Lead.owner_id.is_(None))
    elif filters.owner:
        clauses.append(Lead.owner_id == int(filters.owner))
    if filters.tag is not None:
        tagged = select(lead_tags.c.lead_id).where(lead_tags.c.tag_id == filters.tag)
        clauses.append(Lead.id.in_(tagged))
    if filters.city:
        clauses.append(_city_clause(filters.city))
    if filters.email:
        # search_text holds the email too: its narrow index narrows the rows cheaply first.
        clauses.append(Lead.search_text.like(_pattern(filters.email.lower()), escape="\\"))
        clauses.append(_like(Lead.email, filters.email))
    if filters.ref:
        clauses.append(origin_clause(filters.ref))
    clauses.extend(_range_clauses(filters))
    clauses.extend(custom.clauses(filters.custom.filters))
    clauses.extend(filters.extra)
    return clauses


def _city_clause(city: str) -> ColumnElement[bool]:
    if db.engine.dialect.name != "sqlite":
        # The trigram index ix_leads_live_city_trgm answers the ILIKE itself (at 1M leads the
        # distinct-names subquery below read every row: 900 ms).
        return _like(Lead.city, city)
    # Match the distinct city names first (a narrow index scan), then fetch by name. The names
    # are read once per request: the count and the page would each repeat the 5 ms scan.
    names = _matching_cities(city)
    if names is None:
        return Lead.city.in_(select(Lead.city).where(_like(Lead.city, city)).distinct())
    return Lead.city.in_(names)


CITY_NAMES_LIMIT = 500


def _matching_cities(city: str) -> list[str] | None:
    """The distinct city names a city filter matches, remembered for this request; None when
    there are too many to send as parameters (a one-letter filter)."""
    remembered = g.setdefault("leadapp_city_names", {}) if has_request_context() else {}
    if city not in remembered:
        statement = select(Lead.city).where(_like(Lead.city, city)).distinct()
        names = list(db.session.scalars(statement.limit(CITY_NAMES_LIMIT + 1)))
        remembered[city] = names if len(names) <= CITY_NAMES_LIMIT else None
    return remembered[city]


def _range_clauses(filters: LeadFilters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.created_from:
        clauses.append(Lead.created_at >= _start_of(filters.created_from))
    if filters.created_to:
        clauses.append(Lead.created_at < _start_of(filters.created_to + timedelta(days=1)))
    if filters.budget_min is not None:
        clauses.append(Lead.budget >= filters.budget_min)
    if filters.budget_max is not None:
        clauses.append(Lead.budget <= filters.budget_max)
    return clauses


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


SEARCH_INDEX = "ix_leads_live_search"


def _render_sqlite_hint(_compiler: Any, _table: Any, text: str) -> str:
    return text


# SQLAlchemy's SQLite compiler drops FROM hints; SQLite does have "leads INDEXED BY ix". Only
# statements that carry a sqlite hint (the ones below) are affected.
if SQLiteCompiler.get_from_hint_text is SQLCompiler.get_from_hint_text:
    SQLiteCompiler.get_from_hint_text = _render_sqlite_hint  # type: ignore[method-assign]


def _text_filtered(filters: LeadFilters) -> bool:
    return bool(filters.search_term or filters.email)


def _scans_text(filters: LeadFilters) -> bool:
    """A text search that the trigram index does not narrow (see search_index.candidates)."""
    return _text_filtered(filters) and _narrowed(filters) is None


def _hinted(statement: Any, filters: LeadFilters) -> Any:
    """A text search the trigram index does not narrow scans the narrow search index: SQLite's
    planner would rather walk a sort or stage index and read the wide table row by row (10x
    slower). A narrowed one reads its few candidates by id. Other databases ignore this."""
    if _text_filtered(filters):
        if not _scans_text(filters):
            return statement
        return statement.with_hint(Lead, f"INDEXED BY {SEARCH_INDEX}", "sqlite")
    if filters.count_index:
        return statement.with_hint(Lead, f"INDEXED BY {filters.count_index}", "sqlite")
    return statement


def matching(filters: LeadFilters, user: User, columns: Any = None) -> Any:
    """select(Lead) (or the given columns) over the leads the user may see that match."""
    statement = scoped(select(columns if columns is not None else Lead), user)
    statement = statement.where(*filter_clauses(filters, user))
    if hides_converted(filters):
        statement = statement.where(not_(converted_clause()))
    return _hinted(statement, filters)


def matching_ids(filters: LeadFilters, user: User) -> Any:
    """A subquery of the matching lead ids (for set-based bulk operations)."""
    return matching(filters, user, Lead.id).scalar_subquery()


# --- Sorting -----------------------------------------------------------------------------

def _first_tag() -> Any:
    """Each lead's alphabetically first tag. With few tags, as a rank: a CASE over tag ids
    ranked by name, read from lead_tags' primary key alone, instead of joining tags for every
    lead (sort by tags at 100k leads: 102 -> 42 ms of SQL)."""
    ids = list(db.session.scalars(select(Tag.id).order_by(Tag.name, Tag.id)
                                  .limit(RANK_LIMIT + 1)))
    if not ids or len(ids) > RANK_LIMIT:
        return (select(func.min(Tag.name)).join(lead_tags, lead_tags.c.tag_id == Tag.id)
                .where(lead_tags.c.lead_id == Lead.id).scalar_subquery())
    rank = case({tag_id: rank for rank, tag_id in enumerate(ids)}, value=lead_tags.c.tag_id)
    return select(func.min(rank)).where(lead_tags.c.lead_id == Lead.id).scalar_subquery()


def _rank(column: Any, model: Any, label: Any) -> Any:
    """Sort by a small table's name without a join per row: rank its ids by name in a CASE."""
    ids = list(db.session.scalars(select(model.id).order_by(label, model.id).limit(RANK_LIMIT + 1)))
    if not ids or len(ids) > RANK_LIMIT:
        return select(label).where(model.id == column).scalar_subquery()
    return case({row_id: rank for rank, row_id in enumerate(ids)}, value=column, else_=len(ids))


RANK_LIMIT = 300


SORTS: dict[str, Callable[[], tuple[Any, ...]]] = {
    "title": lambda: (Lead.title,),
    "contact": lambda: (Lead.last_name, Lead.first_name),
    "company": lambda: (Lead.company_name,),
    "source": lambda: (_rank(Lead.source_id, LeadSource, func.lower(LeadSource.name)),),
    "stage": lambda: (_rank(Lead.stage_id, Stage, Stage.position),),
    "owner": lambda: (_rank(Lead.owner_id, User, func.lower(User.name)),),
    "budget": lambda: (Lead.budget,),
    "tags": lambda: (_first_tag(),),
    "created": lambda: (Lead.created_at,),
}


def order_by(filters: LeadFilters) -> list[Any]:
    """ORDER BY for the chosen column and direction; empty values last, id breaks ties."""
    sort = filters.custom.sort
    keys = (custom.sort_key(sort),) if sort else SORTS[filters.sort]()
    descending = filters.direction == "desc"
    order: list[Any] = []
    for key in keys:
        ordered = key.desc() if descending else key.asc()
        if filters.sort == "tags" or sort:
            # Leads without tags go last either way. NULLS LAST rather than a separate
            # "key IS NULL" term, which made the database compute the subquery twice per lead.
            ordered = ordered.nulls_last()
        order.append(ordered)
    order.append(Lead.id.desc() if descending else Lead.id.asc())
    return order


# --- One page of the list ----------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    total: int  # what the list shows (converted hidden or not); a lower bound unless exact
    open: int
    closed: int
    converted: int
    exact: bool = True


@dataclass(frozen=True)
class LeadPage:
    filters: LeadFilters
    items: list[Lead]
    counts: Counts

    @property
    def total(self) -> int:
        if self.counts.exact:
            return self.counts.total
        return max(self.counts.total, self.offset + len(self.items))

    @property
    def page(self) -> int:
        return self.filters.page

    @property
    def per_page(self) -> int:
        return self.filters.per_page

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def total_known(self) -> bool:
        """Exact counts, or a short page that is plainly the last one."""
        return self.counts.exact or 0 < len(self.items) < self.per_page

    @property
    def pages(self) -> int:
        """The page count; while the counts are a lower bound, the pages known to exist."""
        known = max(1, -(-self.total // self.per_page))
        if self.total_known:
            return known
        return max(known, self.page + 1)

    @property
    def first(self) -> int:
        if self.counts.exact:
            return self.offset + 1 if self.total > self.offset else 0
        return self.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        if self.counts.exact:
            return min(self.offset + self.per_page, self.total)
        return self.offset + len(self.items)


PROBE_LIMIT = 2000


def probe_counted(filters: LeadFilters, user: User,
                  limit: int | None = None) -> tuple[list[int], Counts] | None:
    """For a text search: the ids of every match when there are at most `limit` (PROBE_LIMIT
    unless given; one scan that stops early for common words), so paging then touches only
    those rows, and their counts tallied from the same scan rather than read again (a surname
    at 100k leads: two scans of ~28 ms on SQLite). None when there is no text search or too
    many matches. The database groups the matches by stage and joins each group's ids into one
    string: a few result rows instead of one per match (4,735 matches at 100k leads, median of
    30 interleaved runs: 28.8 ms per probe, grouped 25.5 ms)."""
    if not _text_filtered(filters):
        return None
    limit = PROBE_LIMIT if limit is None else limit
    matches = _hinted(scoped(select(Lead.id, Lead.stage_id, Lead.converted_at), user)
                      .where(*filter_clauses(filters, user)), filters).limit(limit + 1).subquery()
    grouped = db.session.execute(
        select(matches.c.stage_id, func.count(), func.count(matches.c.converted_at),
               func.aggregate_strings(cast(matches.c.id, String), ","))
        .group_by(matches.c.stage_id)).tuples().all()
    if sum(number for _stage_id, number, _marked, _ids in grouped) > limit:
        return None
    ids = [int(lead_id) for *_counts, joined in grouped for lead_id in joined.split(",")]
    return ids, _tally(filters, [(stage_id, number, marked)
                                 for stage_id, number, marked, _ids in grouped])


def count_statement(filters: LeadFilters, user: User, only: list[int] | None = None) -> Any:
    """Matching leads and marked-converted ones per stage (the converted toggle left out)."""
    # count(converted_at) counts the marked ones; grouping by stage_id alone follows the index.
    statement = select(Lead.stage_id, func.count(), func.count(Lead.converted_at))
    if only is not None:  # the probe's ids passed every filter already: only look them up
        return statement.where(Lead.id.in_(only)).group_by(Lead.stage_id)
    statement = scoped(statement, user).where(*filter_clauses(filters, user))
    return _hinted(statement.group_by(Lead.stage_id), filters)


CREATED_INDEX = "ix_leads_live_created"
WALK_ROWS = 5000


def walks(filters: LeadFilters, offset: int, limit: int, total: int) -> bool:
    """Whether a page newest first is best read by walking the creation index and checking each
    lead against the filters, rather than by collecting every match and sorting it. With many
    matches the walk stops after a few rows: SQLite otherwise sorted all of a pipeline's or a
    tag's leads for each page (25-45 ms at 100k leads; the walk: under 1 ms to 8 ms). With few
    matches the walk would read most of the index, so it is only taken when the rows it is
    expected to pass (matches spread evenly by date) stay under WALK_ROWS."""
    if filters.sort != "created" or filters.custom.sort is not None or total <= 0:
        return False
    from_the_end = min(offset, max(0, total - offset - limit))  # page_ids mirrors deep pages
    highest_id = db.session.scalar(select(func.max(Lead.id))) or 0  # ~ the leads stored
    return (from_the_end + limit) * highest_id / total <= WALK_ROWS


def page_ids_statement(filters: LeadFilters, user: User, offset: int, limit: int,
                       only: list[int] | None = None, walk: bool = False) -> Any:
    """The ids of one page. A text search with many matches walks the sort index unhinted: a
    common word fills a page after a few rows, where a full scan would read them all. With
    `walk` (see walks()) SQLite is told to walk the creation index."""
    statement = (_unordered_ids(filters, user, only)
                 .order_by(*order_by(filters)).offset(offset).limit(limit))
    if walk and only is None:  # the index holds live leads: the statement must say so
        statement = statement.with_hint(Lead, f"INDEXED BY {CREATED_INDEX}", "sqlite")
    return statement


def _unordered_ids(filters: LeadFilters, user: User, only: list[int] | None) -> Any:
    """The matching lead ids of the list (converted ones hidden unless asked for), unsorted.
    With `only` (a probe's ids, which passed every filter) the filters are not evaluated again:
    on PostgreSQL re-checking a text match on 2,000 ids cost 35 ms a query."""
    if only is not None:
        statement = select(Lead.id).where(Lead.id.in_(only))
    else:
        statement = scoped(select(Lead.id), user).where(*filter_clauses(filters, user))
    if hides_converted(filters):
        statement = statement.where(not_(converted_clause()))
    return custom.join_for_sort(statement, filters.custom.sort)


def count(filters: LeadFilters, user: User, only: list[int] | None = None) -> Counts:
    """Totals by stage kind in one grouped COUNT with the same filters as the rows."""
    if only == []:
        return Counts(total=0, open=0, closed=0, converted=0)
    return _tally(filters, db.session.execute(count_statement(filters, user, only)))


def _tally(filters: LeadFilters, grouped: Any) -> Counts:
    """Counts from (stage id, leads, marked converted) rows."""
    kinds = dict(db.session.execute(select(Stage.id, Stage.kind)).tuples().all())
    open_ = closed = converted = 0
    for stage_id, number, marked in grouped:
        if kinds.get(stage_id) == StageKind.won:
            converted += number
            continue
        converted += marked
        if kinds.get(stage_id) == StageKind.lost:
            closed += number - marked
        else:
            open_ += number - marked
    total = open_ + closed if hides_converted(filters) else open_ + closed + converted
    return Counts(total=total, open=open_, closed=closed, converted=converted)


def page_ids(filters: LeadFilters, user: User, offset: int, limit: int,
             only: list[int] | None = None, total: int | None = None,
             walk: bool = False) -> list[int]:
    """The ids of one page in the list's order. Past the middle of a list whose `total` is
    known, the page is read from the other end (the last page of 1M leads: OFFSET 999,900 is
    80 ms on PostgreSQL, OFFSET 0 in the reverse order is not), where reversing the order
    mirrors it exactly: not for tags and custom fields, which keep empty values last."""
    mirrored = filters.sort != "tags" and filters.custom.sort is None
    if total is None or offset <= total // 2 or not mirrored:
        return list(db.session.scalars(page_ids_statement(filters, user, offset, limit, only,
                                                          walk)))
    take = min(limit, total - offset)
    if take <= 0:
        return []
    reverse = replace(filters, direction="asc" if filters.direction == "desc" else "desc")
    statement = page_ids_statement(reverse, user, total - offset - take, take, only, walk)
    return list(db.session.scalars(statement))[::-1]


def rows(filters: LeadFilters, user: User, offset: int, limit: int,
         only: list[int] | None = None, total: int | None = None,
         walk: bool = False) -> list[Lead]:
    """One page of leads, with everything a row shows loaded in a constant number of queries.
    `total`: the exact number of leads the list shows, when known (see page_ids); `walk`: see
    walks()."""
    if only == []:
        return []
    # Page the ids first (narrow rows, index-friendly), then load those leads in full.
    ids = _group_walk_ids(filters, user, offset, limit, only)
    if ids is None and filters.custom.sort is not None:
        ids = custom.walk_ids(page_ids_statement(custom.unsorted(filters), user, 0, limit, only),
                              filters.custom.sort, filters.direction == "desc", offset, limit)
    if ids is None:
        ids = page_ids(filters, user, offset, limit, only, total, walk)
    if not ids:
        return []
    statement = (select(Lead).where(Lead.id.in_(ids))
                 .options(joinedload(Lead.source), joinedload(Lead.stage),
                          joinedload(Lead.owner), joinedload(Lead.company),
                          selectinload(Lead.tags)))
    by_id = {lead.id: lead for lead in db.session.scalars(statement).unique()}
    return [by_id[lead_id] for lead_id in ids if lead_id in by_id]


WALK_LIMIT = 500
WALK_GROUPS = 40
# Sorts by a small table's name: (lead column, table, what its rows are ordered by).
RANKED = {"source": (Lead.source_id, LeadSource, lambda: func.lower(LeadSource.name)),
          "stage": (Lead.stage_id, Stage, lambda: Stage.position),
          "owner": (Lead.owner_id, User, lambda: func.lower(User.name))}


def _group_walk_ids(filters: LeadFilters, user: User, offset: int, limit: int,
                    only: list[int] | None) -> list[int] | None:
    """The first pages of a sort by tags, source, stage or owner, group by group: the leads
    of the first source (by name), then the second, ..., each group by id. Where ORDER BY a
    rank computes it for every lead (1M leads on PostgreSQL: 200 ms by source, ~1 s by tags),
    this reads only the rows a page can need, WALK_GROUPS groups per query until the page is
    full. None when this does not apply (another sort, a deep page): the caller then sorts in
    SQL."""
    groups = _sort_groups(filters) if offset + limit <= WALK_LIMIT else None
    if not groups:
        return None
    wanted = offset + limit
    ids: list[int] = []
    for start in range(0, len(groups), WALK_GROUPS):
        ids += _walk_groups(filters, user, only, groups[start:start + WALK_GROUPS],
                            wanted - len(ids))
        if len(ids) >= wanted:
            break
    return ids[offset:wanted]


def _walk_groups(filters: LeadFilters, user: User, only: list[int] | None,
                 groups: list[ColumnElement[bool]], wanted: int) -> list[int]:
    """The first `wanted` ids of these groups in order: one UNION ALL with a branch per group
    that stops after `wanted` rows."""
    descending = filters.direction == "desc"
    by_id = Lead.id.desc() if descending else Lead.id.asc()
    base = _unordered_ids(filters, user, only)
    branches = []
    for rank, condition in enumerate(groups):
        part = base.where(condition).order_by(by_id).limit(wanted).subquery()
        branches.append(select(part.c.id, literal(rank).label("walk_rank")))
    walked = union_all(*branches).subquery()
    return list(db.session.scalars(
        select(walked.c.id)
        .order_by(walked.c.walk_rank, walked.c.id.desc() if descending else walked.c.id.asc())
        .limit(wanted)))


def _sort_groups(filters: LeadFilters) -> list[ColumnElement[bool]] | None:
    """The conditions of each sort group in page order, as order_by() ranks them."""
    if filters.sort == "tags":
        ranked = list(db.session.scalars(select(Tag.id).order_by(Tag.name, Tag.id)
                                          .limit(RANK_LIMIT + 1)))
        if len(ranked) > RANK_LIMIT:
            return None
        groups = [_first_tag_is(ranked, index) for index in range(len(ranked))]
        if filters.direction == "desc":
            groups.reverse()
        return [*groups, ~_has_tag(ranked)]  # untagged leads last in either direction
    if filters.sort not in RANKED:
        return None
    column, model, label = RANKED[filters.sort]
    statement = select(model.id).order_by(label(), model.id).limit(RANK_LIMIT + 1)
    if model is Stage and hides_converted(filters):
        statement = statement.where(Stage.kind != StageKind.won)  # hidden: an empty branch
    ranked = list(db.session.scalars(statement))
    if len(ranked) > RANK_LIMIT:
        return None
    # Like _rank's CASE: leads without a value (no owner) after the ranked ones. Every row of
    # the small table was ranked just now, so no other value is left to list.
    groups = [column == row_id for row_id in ranked]
    if column.nullable:
        groups.append(column.is_(None))
    return groups[::-1] if filters.direction == "desc" else groups


def _has_tag(tag_ids: list[int]) -> ColumnElement[bool]:
    return (select(lead_tags.c.lead_id)
            .where(lead_tags.c.lead_id == Lead.id, lead_tags.c.tag_id.in_(tag_ids)).exists())


def _first_tag_is(tag_ids: list[int], index: int) -> ColumnElement[bool]:
    """The lead has tag_ids[index] and none of the tags before it by name."""
    condition = _has_tag(tag_ids[index:index + 1])
    if index:
        condition = and_(condition, ~_has_tag(tag_ids[:index]))
    return condition


COUNT_CAP = 1000


def count_up_to(filters: LeadFilters, user: User, only: list[int] | None = None) -> Counts:
    """The exact counts when at most COUNT_CAP leads match. Past that, a lower bound
    (exact=False) read from the first COUNT_CAP + 1 matches only: counting every lead of a
    filter that matches most of a million costs 150-250 ms on PostgreSQL, and the page does not
    need it to show its rows. The list then asks for the exact counts in a request of their
    own."""
    cap = COUNT_CAP
    if only is not None:  # a text search's probe: at most PROBE_LIMIT ids, cheap to count
        return count(filters, user, only)
    matching = scoped(select(Lead.stage_id, Lead.converted_at), user)
    sample = _hinted(matching.where(*filter_clauses(filters, user)), filters).limit(cap + 1)
    sample = sample.subquery()
    grouped = list(db.session.execute(
        select(sample.c.stage_id, func.count(), func.count(sample.c.converted_at))
        .group_by(sample.c.stage_id)))
    sampled = _tally(filters, grouped)
    if sum(number for _, number, _ in grouped) <= cap:
        return sampled  # every match was read: exact
    shown = sampled.total  # the sample's leads the list shows (converted ones may be hidden)
    if shown < cap // 10:
        return count(filters, user)  # mostly hidden converted leads: too few to promise
    return Counts(total=shown - shown % 100 if shown >= 100 else shown, open=0, closed=0,
                  converted=0, exact=False)


def page_of(filters: LeadFilters, user: User) -> LeadPage:
    """Count (exactly up to COUNT_CAP), clamp the page number to the last page, and load that
    page's rows."""
    probed = probe_counted(filters, user)
    offset = (filters.page - 1) * filters.per_page
    if probed:
        only, counts = probed
    else:
        # A deep page walks past `offset` rows anyway, so an exact count costs it little
        # more, and a page past the end needs it to find the last one.
        only = None
        counts = count(filters, user) if offset > COUNT_CAP else count_up_to(filters, user)
    if counts.exact:
        filters = _clamped(filters, counts)
    offset = (filters.page - 1) * filters.per_page
    items = rows(filters, user, offset, filters.per_page, only,
                 counts.total if counts.exact else None,
                 _walks_narrowed(filters, only, offset, counts.total))
    if not items and filters.page > 1 and not counts.exact:
        # A page past the end of a long list: the exact count says where the end is.
        counts = count(filters, user, only)
        filters = _clamped(filters, counts)
        items = rows(filters, user, (filters.page - 1) * filters.per_page, filters.per_page,
                     only, counts.total)
    return LeadPage(filters=filters, items=items, counts=counts)


def _walks_narrowed(filters: LeadFilters, only: list[int] | None, offset: int,
                    total: int) -> bool:
    """A search the trigram index narrowed, with too many matches for the probe: SQLite would
    read every candidate and sort them for the page (a surname at 100k leads: 7.4 ms), where
    walking the creation index stops after a page of them (see walks())."""
    return (only is None and _text_filtered(filters) and not _scans_text(filters)
            and walks(filters, offset, filters.per_page, total))


def counts_of(filters: LeadFilters, user: User) -> LeadPage:
    """The exact counts of a list whose page showed a lower bound, with the page clamped as
    page_of would, for the summary and the pagination (no rows loaded)."""
    probed = probe_counted(filters, user)
    counts = probed[1] if probed else count(filters, user)
    return LeadPage(filters=_clamped(filters, counts), items=[], counts=counts)


def _clamped(filters: LeadFilters, counts: Counts) -> LeadFilters:
    last_page = max(1, -(-counts.total // filters.per_page))
    return replace(filters, page=last_page) if filters.page > last_page else filters

# --- Choices for the filter form and the bulk bar -----------------------------------------


@dataclass(frozen=True)
class FilterOptions:
    sources: list[Any]
    campaigns: list[Any]
    stages: list[Stage]
    owners: list[User]
    teams: list[Any]
    tags: list[Tag]
    loss_reasons: list[Any]

    def choices(self, kind: str) -> list[tuple[str, str]]:
        """(value, label) pairs for a select; users are shown by display name."""
        items = getattr(self, kind)
        if kind == "owners":
            return [(str(user.id), user.display_name) for user in items]
        return [(str(item.id), item.name) for item in items]


def filter_options() -> FilterOptions:
    """Everything the filter menus and the bulk bar offer, one query per list."""
    from ..auth.models import Team
    from ..pipeline.models import LossReason, Pipeline
    from ..sources.models import Campaign

    scalars = db.session.scalars
    return FilterOptions(
        sources=list(scalars(select(LeadSource).order_by(LeadSource.name))),
        campaigns=list(scalars(select(Campaign).order_by(Campaign.name))),
        stages=list(scalars(select(Stage).join(Pipeline, Stage.pipeline_id == Pipeline.id)
                            .options(joinedload(Stage.pipeline))
                            .order_by(Pipeline.is_default.desc(), Pipeline.name, Stage.position))),
        owners=list(scalars(select(User).where(User.active.is_(True)).order_by(User.name))),
        teams=list(scalars(select(Team).order_by(Team.name))),
        tags=list(scalars(select(Tag).order_by(Tag.name))),
        loss_reasons=list(scalars(select(LossReason).where(LossReason.active.is_(True))
                                  .order_by(LossReason.position, LossReason.name))),
    )


# --- The trash ----------------------------------------------------------------------------

TRASH_PAGE_SIZE = 50


@dataclass(frozen=True)
class TrashPage:
    items: list[Lead]
    total: int
    page: int
    pages: int


def trash_page(user: User, page_arg: str) -> TrashPage:
    """Deleted leads the user may see, most recently deleted first."""
    conditions = (Lead.deleted_at.is_not(None), visible_leads_clause(user))
    total = db.session.scalar(select(func.count()).select_from(Lead).where(*conditions)) or 0
    pages = max(1, -(-total // TRASH_PAGE_SIZE))
    page = min(_positive(page_arg) or 1, pages)
    statement = (select(Lead).where(*conditions)
                 .options(joinedload(Lead.stage), joinedload(Lead.owner),
                          joinedload(Lead.source))
                 .order_by(Lead.deleted_at.desc(), Lead.id.desc())
                 .offset((page - 1) * TRASH_PAGE_SIZE).limit(TRASH_PAGE_SIZE))
    return TrashPage(items=list(db.session.scalars(statement)), total=total, page=page,
                     pages=pages)
