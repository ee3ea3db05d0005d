"""GET /api/leads: the API's query parameters turned into the list page's LeadFilters.

The filters the page has (search, source, campaign, stage, owner, team, city, email, the converted
toggle, sorts) go through `listing.parse_filters`, so they match exactly what the page matches;
the few only API clients need (title, name, pipeline, several tags, datetimes, updated_after,
the trash) are extra WHERE conditions handed to the same builder (`LeadFilters.extra`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..auth.models import Team, User
from ..auth.permissions import can
from ..extensions import db
from ..leads import listing, search_index
from ..leads.listing import LeadFilters
from ..leads.models import Lead, Tag, lead_tags
from ..leads.scope import visible_leads_clause
from ..pipeline.models import Pipeline, Stage, StageKind
from ..sources.models import Campaign, LeadSource
from .responses import api_abort

MAX_LIMIT = 100
# A search matching up to this many leads is counted from the ids it found (see
# listing.probe_counted): the API always counts exactly, so one scan instead of two pays more
# here than on the list page, which stops counting at 1,000.
PROBE_LIMIT = 5000
DEFAULT_LIMIT = 25
# API sort name -> the list page's sort key.
SORTS = {"created_at": "created", "title": "title", "contact": "contact", "company": "company",
         "source": "source", "stage": "stage", "owner": "owner", "budget": "budget",
         "tags": "tags"}
SORT_CHOICES = [*SORTS, *(f"-{name}" for name in SORTS)]
KNOWN = {"search", "name", "title", "source", "campaign", "status", "stage", "pipeline", "owner",
         "assigned_to", "team", "tags", "tag", "city", "email", "created_after", "created_before",
         "updated_after", "converted", "deleted", "limit", "offset", "page", "per_page", "sort",
         "authtoken"}


@dataclass(frozen=True)
class ListRequest:
    """`filters` match title and name through id sets read from their narrow indexes (a page of
    a filter that matches few leads); `scan_filters` match them as plain conditions, counted
    in one pass over those indexes and checked lead by lead on a walk of the creation index
    (a page of a filter that matches many)."""

    filters: LeadFilters
    limit: int
    offset: int
    trash: bool
    errors: dict[str, str]
    sort_given: bool = False
    scan_filters: LeadFilters | None = None


def _lower_like(column: Any, term: str) -> ColumnElement[bool]:
    return listing._like(column, term)  # the page's case-insensitive match, per dialect


def _by_name_or_id(model: Any, raw: str, label: Any = None) -> list[int]:
    """Ids of rows whose id is raw, or whose name equals raw ignoring case."""
    if listing.is_id(raw):  # not isdigit(): "²" passes that and breaks int()
        return [int(raw)]
    column = label if label is not None else model.name
    return list(db.session.scalars(select(model.id).where(func.lower(column) == raw.lower())))


def _when(raw: str, key: str, errors: dict[str, str]) -> datetime | None:
    """An ISO date or datetime (UTC when no offset is given); a date means its midnight."""
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        # An unencoded "+02:00" arrives as " 02:00" (a plus is a space in a query string).
        value = datetime.fromisoformat(raw.replace(" ", "+") if "T" in raw else raw)
    except ValueError:
        errors[key] = f"{key} must be a date or date-time like 2026-01-31 or " \
                      "2026-01-31T08:00:00Z."
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _stage_clause(raw: str, errors: dict[str, str], key: str) -> tuple[ColumnElement[bool] | None,
                                                                           str]:
    """`status`/`stage`: open|won|lost (a stage kind), a stage id, or a stage name in any
    pipeline (the seed's statuses are the default pipeline's stage names)."""
    if raw.lower() in listing.STATUSES:
        return None, raw.lower()
    ids = _by_name_or_id(Stage, raw)
    if not ids and not listing.is_id(raw):
        kinds = ", ".join(listing.STATUSES)
        names = ", ".join(sorted(set(db.session.scalars(select(Stage.name)))))
        errors[key] = f"{key} must be {kinds}, a stage id or a stage name ({names})."
    return (Lead.stage_id.in_(ids) if ids else false()), ""


def _owner(raw: str, errors: dict[str, str], key: str) -> str:
    word = raw.lower()
    if word in ("me", "none", "unassigned"):
        return "me" if word == "me" else "unassigned"
    if listing.is_id(raw):
        return raw
    errors[key] = f"{key} must be a user id, me or none."
    return ""


def _tags_clauses(raw: str) -> list[ColumnElement[bool]]:
    """Every named tag must be on the lead (an unknown tag matches nothing). Names become ids
    first, so each condition is the list page's own tag filter over lead_tags."""
    names = {part.strip().lower() for part in raw.split(",") if part.strip()}
    if not names:
        return []
    ids = list(db.session.scalars(select(Tag.id).where(func.lower(Tag.name).in_(names))))
    if len(ids) < len(names):
        return [false()]
    if len(ids) == 1:
        return [Lead.id.in_(select(lead_tags.c.lead_id).where(lead_tags.c.tag_id == ids[0]))]
    # One pass over the tags' index entries keeps the leads that have all of them: with a
    # condition per tag SQLite looked up every lead of the first tag (two tags at 100k leads:
    # 14.0 -> 5.0 ms for the count).
    having_all = (select(lead_tags.c.lead_id).where(lead_tags.c.tag_id.in_(ids))
                  .group_by(lead_tags.c.lead_id).having(func.count() == len(ids)))
    return [Lead.id.in_(having_all)]


TITLE_INDEX = "ix_leads_live_title"
CONTACT_INDEX = "ix_leads_live_contact"


@dataclass(frozen=True)
class Matched:
    """A substring condition in its two forms (see ListRequest)."""

    plain: ColumnElement[bool]
    as_ids: ColumnElement[bool]
    index: str


def _from_index(condition: ColumnElement[bool], words: list[str], index: str,
                trash: bool) -> Matched:
    """The condition, and the same as the ids read from a narrow index of live leads (the
    small trash is matched directly); or, where a trigram index can answer it, the condition
    on the leads whose search text holds the words (see _narrowing)."""
    narrowing = _narrowing(words)
    if narrowing is not None:
        narrowed = and_(narrowing, condition)
        return Matched(narrowed, narrowed, "")
    if trash:
        return Matched(condition, condition, "")
    ids = (select(Lead.id).where(condition, Lead.deleted_at.is_(None))
           .with_hint(Lead, f"INDEXED BY {index}", "sqlite"))
    return Matched(condition, Lead.id.in_(ids.scalar_subquery()), index)


def _narrowing(words: list[str]) -> ColumnElement[bool] | None:
    """Lead.search_text holds the title and the names. PostgreSQL's pg_trgm index of it finds
    the leads holding each word (at 100k leads, a whole request with a name filter: 56 ms
    when PostgreSQL read every lead with ILIKE, 23 ms now; a common title word: 56 -> 32 ms);
    SQLite's trigram table does when the words are rare (search_index.candidates). None for
    words shorter than three letters, which no trigram index can look up."""
    long_words = [word for word in words if len(word) >= 3]
    if not long_words:
        return None
    if db.engine.dialect.name == "postgresql":
        return listing.search_text_holds(long_words)
    indexed = search_index.candidates(long_words, search_index.NAME_SHARE)
    return None if indexed is None else Lead.id.in_(indexed)


def _name_match(raw: str, trash: bool) -> Matched:
    """Every word in the first or last name (the names Lead.search_text holds too)."""
    words = raw.lower().split()[:5]
    each = and_(*(or_(_lower_like(Lead.first_name, word), _lower_like(Lead.last_name, word))
                  for word in words))
    return _from_index(each, words, CONTACT_INDEX, trash)


def _title_match(raw: str, trash: bool) -> Matched:
    return _from_index(_lower_like(Lead.title, raw), [raw.lower()], TITLE_INDEX, trash)


def _updated_since(since: datetime, trash: bool) -> ColumnElement[bool]:
    """Leads changed at or after `since`, as ids from ix_leads_live_updated: a plain condition
    let SQLite's planner group the counts along the stage index and read every row (500 ms at
    100k leads); the id list is a short range scan for a sync client's recent `since`."""
    if trash:  # the index holds live leads only
        return Lead.updated_at >= since
    changed = select(Lead.id).where(Lead.updated_at >= since, Lead.deleted_at.is_(None))
    return Lead.id.in_(changed.scalar_subquery())


def _paging(args: Mapping[str, str], errors: dict[str, str]) -> tuple[int, int]:
    """limit/offset (the seed API's) or page/per_page; both capped at 100 per page."""
    def number(key: str, minimum: int) -> int | None:
        raw = args.get(key, "").strip()
        if not raw:
            return None
        if not (raw.isascii() and raw.isdecimal()) or len(raw) > 9 or int(raw) < minimum:
            errors[key] = f"{key} must be a whole number of at least {minimum}."
            return None
        return int(raw)

    size = number("limit", 1) or number("per_page", 1) or DEFAULT_LIMIT
    size = min(size, MAX_LIMIT)
    offset = number("offset", 0)
    page = number("page", 1)
    if offset is None:
        offset = ((page or 1) - 1) * size
    return size, offset


def _sort(raw: str, errors: dict[str, str]) -> tuple[str, str]:
    if not raw:
        return "created", "desc"
    name = raw.lstrip("-")
    if name not in SORTS:
        errors["sort"] = "sort must be one of: " + ", ".join(SORT_CHOICES) + "."
        return "created", "desc"
    return SORTS[name], "desc" if raw.startswith("-") else "asc"


def parse(args: Mapping[str, str], user: User) -> ListRequest:
    """Validate every parameter; unknown ones are refused so a typo never widens the result."""
    errors: dict[str, str] = {}
    trash = _deleted(args.get("deleted", ""), user, errors)
    unknown = sorted(set(args) - KNOWN)
    if unknown:
        errors["query"] = "Unknown parameter(s): " + ", ".join(unknown) + "."
    page_args: dict[str, str] = {}
    extra: list[ColumnElement[bool]] = []
    search = args.get("search", "").strip()
    if search:
        if len(search) < listing.MIN_SEARCH:
            errors["search"] = f"search needs at least {listing.MIN_SEARCH} characters."
        page_args["q"] = search
    for key, model in (("source", LeadSource), ("campaign", Campaign)):
        raw = args.get(key, "").strip()
        if raw:
            ids = _by_name_or_id(model, raw)
            if len(ids) == 1:
                page_args[key] = str(ids[0])
            else:
                extra.append(false())  # no such name: nothing matches, as for an unknown id
    stage_kind = ""
    for key in ("status", "stage"):
        raw = args.get(key, "").strip()
        if raw:
            clause, kind = _stage_clause(raw, errors, key)
            stage_kind = kind or stage_kind
            if clause is not None:
                extra.append(clause)
    if stage_kind:
        page_args["status"] = stage_kind
    raw_pipeline = args.get("pipeline", "").strip()
    if raw_pipeline:
        # As its stages: the count's covering stage index answers it (a pipeline_id condition
        # made SQLite read every row of a big pipeline from the table: 120 ms at 100k leads).
        pipelines = _by_name_or_id(Pipeline, raw_pipeline)
        extra.append(Lead.stage_id.in_(select(Stage.id).where(Stage.pipeline_id.in_(pipelines))
                                       .scalar_subquery()))
    raw_owner = args.get("owner", args.get("assigned_to", "")).strip()
    if raw_owner:
        key = "owner" if "owner" in args else "assigned_to"
        page_args["owner"] = _owner(raw_owner, errors, key)
    raw_team = args.get("team", "").strip()
    if raw_team:
        ids = _by_name_or_id(Team, raw_team)
        if ids:
            page_args["team"] = str(ids[0])
        else:
            extra.append(false())
    extra += _tags_clauses(args.get("tags", args.get("tag", "")))
    for key in ("city", "email"):
        if args.get(key, "").strip():
            page_args[key] = args[key].strip()
    matches = [_title_match(raw, trash) if key == "title" else _name_match(raw, trash)
               for key in ("title", "name") if (raw := args.get(key, "").strip())]
    for key, column, op in (("created_after", Lead.created_at, "ge"),
                            ("created_before", Lead.created_at, "lt")):
        when = _when(args.get(key, "").strip(), key, errors)
        if when is not None:
            extra.append(column >= when if op == "ge" else column < when)
    since = _when(args.get("updated_after", "").strip(), "updated_after", errors)
    if since is not None:
        extra.append(_updated_since(since, trash))
    converted, only_converted = _converted(args.get("converted", ""), errors)
    if only_converted:
        extra.append(listing.converted_clause())
    # Naming a stage or status shows the converted leads in it (the list page's rule too).
    page_args["converted"] = "1" if (converted or stage_kind or any(
        args.get(key) for key in ("stage", "status"))) else ""
    page_args["sort"], page_args["dir"] = _sort(args.get("sort", "").strip(), errors)
    limit, offset = _paging(args, errors)
    filters = listing.parse_filters(page_args)
    errors.update({_api_key(key): message for key, message in filters.errors.items()})
    scan_filters = replace(filters, extra=(*extra, *(match.plain for match in matches)),
                           count_index=next((match.index for match in matches), ""))
    filters = replace(filters, extra=(*extra, *(match.as_ids for match in matches)))
    return ListRequest(filters=filters, limit=limit, offset=offset, trash=trash, errors=errors,
                       sort_given=bool(args.get("sort", "").strip()), scan_filters=scan_filters)


def _api_key(key: str) -> str:
    return {"q": "search"}.get(key, key)


def _converted(raw: str, errors: dict[str, str]) -> tuple[bool, bool]:
    """converted=false (default) hides them, true includes them, only returns only them."""
    word = raw.strip().lower()
    if word in ("", "0", "false", "no"):
        return False, False
    if word in ("1", "true", "yes"):
        return True, False
    if word == "only":
        return True, True
    errors["converted"] = "converted must be true, false or only."
    return False, False


def _deleted(raw: str, user: User, errors: dict[str, str]) -> bool:
    word = raw.strip().lower()
    if word in ("", "0", "false", "no"):
        return False
    if word not in ("1", "true", "yes"):
        errors["deleted"] = "deleted must be true or false."
        return False
    if not can(user, "leads.delete"):  # a permission, not a bad value: 403 like the pages
        api_abort(403, f"The token's user ({user.role.value}) may not list the trash; "
                       "only managers and admins may.")
    return True


@dataclass(frozen=True)
class ListResult:
    items: list[Lead]
    total: int
    open: int
    closed: int
    converted: int


def run(req: ListRequest, user: User) -> ListResult:
    """One page of leads with the list page's counts (a page past the end is empty)."""
    if req.trash:
        return _trash(req, user)
    scan = req.scan_filters or req.filters
    probed = listing.probe_counted(scan, user, PROBE_LIMIT)
    only, counts = probed if probed else (None, listing.count(scan, user))
    ids: list[int] = []
    if req.offset < counts.total and only != []:
        if listing.walks(scan, req.offset, req.limit, counts.total):
            # Checking the filters lead by lead along the creation index beats sorting even
            # a search's few thousand ids.
            ids = listing.page_ids(scan, user, req.offset, req.limit, None, counts.total,
                                   walk=True)
        else:
            ids = listing.page_ids(req.filters, user, req.offset, req.limit, only,
                                   counts.total)
    return ListResult(_load(ids), counts.total, counts.open, counts.closed, counts.converted)


def _load(ids: list[int]) -> list[Lead]:
    """The page's leads in order, with every relation lead_summary reads, in two queries."""
    if not ids:
        return []
    rows = db.session.scalars(
        select(Lead).where(Lead.id.in_(ids))
        .options(joinedload(Lead.source), joinedload(Lead.stage), joinedload(Lead.owner),
                 joinedload(Lead.company), joinedload(Lead.campaign), joinedload(Lead.team),
                 joinedload(Lead.pipeline), joinedload(Lead.loss_reason),
                 joinedload(Lead.created_by), selectinload(Lead.tags))).unique()
    by_id = {lead.id: lead for lead in rows}
    return [by_id[lead_id] for lead_id in ids if lead_id in by_id]


def _trash(req: ListRequest, user: User) -> ListResult:
    """Deleted leads matching the same filters, most recently deleted first unless `sort`
    names another order (the list's own ORDER BY)."""
    conditions = [Lead.deleted_at.is_not(None), visible_leads_clause(user),
                  *listing.filter_clauses(req.filters, user)]
    if listing.hides_converted(req.filters):
        conditions.append(not_(listing.converted_clause()))
    kinds = dict(db.session.execute(
        select(Stage.kind, func.count()).join(Lead, Lead.stage_id == Stage.id)
        .where(*conditions).group_by(Stage.kind)).tuples().all())
    total = sum(kinds.values())
    items = _load(list(db.session.scalars(
        select(Lead.id).where(*conditions).order_by(*_trash_order(req))
        .offset(req.offset).limit(req.limit))))
    return ListResult(items, total, kinds.get(StageKind.open, 0), kinds.get(StageKind.lost, 0),
                      kinds.get(StageKind.won, 0))


def _trash_order(req: ListRequest) -> list[Any]:
    if req.sort_given:
        return listing.order_by(req.filters)
    return [Lead.deleted_at.desc(), Lead.id.desc()]
