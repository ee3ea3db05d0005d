"""Lead sources: listing with lead counts, create/edit, activate, delete, merge and bulk actions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import (
    Select,
    String,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..capture.models import CaptureForm
from ..db_types import utcnow
from ..errors import Conflict, RuleViolation
from ..events import leads_changed_in_bulk, source_created, source_deleted, source_updated
from ..extensions import db
from ..leads.models import Activity, ActivityKind, Lead
from ..leads.scope import scoped, visible_leads_clause
from ..pipeline.models import Stage, StageKind
from .models import Campaign, LeadSource, Spend

NAME_MAX = 120
SORTS = ("name", "description", "active", "leads", "open", "won", "created")
STATUSES = ("all", "active", "inactive")
PER_PAGE = 25


@dataclass(frozen=True)
class SourceFilters:
    """What the list shows; parsed from the URL by the route, echoed back into links."""

    q: str = ""
    status: str = "all"
    sort: str = "name"
    desc: bool = False
    page: int = 1
    per_page: int = PER_PAGE

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link to this list with some settings changed."""
        values = {"q": self.q, "status": self.status, "sort": self.sort,
                  "dir": "desc" if self.desc else "asc", "page": self.page, **changes}
        defaults = {"q": "", "status": "all", "sort": "name", "dir": "asc", "page": 1}
        return {key: value for key, value in values.items() if defaults.get(key) != value}


@dataclass(frozen=True)
class SourceRow:
    source: LeadSource
    total: int
    open: int
    won: int


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


MAX_ID = 2**31 - 1  # id columns are 32-bit on PostgreSQL


def valid_id(value: Any) -> int | None:
    """A positive id that fits the column, or None (bad ids then simply match nothing)."""
    text = str(value or "")
    return int(text) if text.isdecimal() and len(text) <= 10 and 0 < int(text) <= MAX_ID else None


def clean_text(value: Any) -> str:
    """Text without NUL characters (PostgreSQL refuses them), surrounding spaces stripped."""
    return str(value or "").replace("\x00", "").strip()


def normalise_name(name: Any) -> str:
    """Names compare ignoring case and surrounding spaces; spaces are stripped before saving."""
    return clean_text(name)


def _check_name(name: str, model: type, exclude_id: int | None = None, label: str = "source"
                ) -> str:
    name = normalise_name(name)
    if not name:
        raise RuleViolation(f"Give the {label} a name.", "name")
    if len(name) > NAME_MAX:
        raise RuleViolation(f"Keep the name under {NAME_MAX + 1} characters.", "name")
    query = select(model.id).where(func.lower(model.name) == name.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict(f"A {label} named “{name}” already exists.", "name")
    return name


def _commit_named(label: str, name: str) -> None:
    """Commit; a race on the unique lower(name) index becomes the same Conflict as the check."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"A {label} named “{name}” already exists.", "name") from None


def lead_counts_subquery(user: User | None) -> Any:
    """Live leads per source (total, open, won) in one grouped query, scoped to what user sees."""
    query = (
        # count(*), not count(id): the source index lacks the id, and counting a column would
        # read every lead from the table instead of the index (1M leads: ~40% slower).
        select(Lead.source_id.label("source_id"), func.count().label("total"),
               func.coalesce(func.sum(case((Stage.kind == StageKind.open, 1), else_=0)), 0)
               .label("open"),
               func.coalesce(func.sum(case((Stage.kind == StageKind.won, 1), else_=0)), 0)
               .label("won"))
        .join(Stage, Stage.id == Lead.stage_id)
        .where(Lead.deleted_at.is_(None))
        .group_by(Lead.source_id)
    )
    if user is not None:
        query = query.where(visible_leads_clause(user))
    return query.subquery("lead_counts")


def _filtered(query: Select, filters: SourceFilters) -> Select:
    if clean_text(filters.q):
        pattern = f"%{clean_text(filters.q)}%"
        query = query.where(or_(LeadSource.name.ilike(pattern),
                                LeadSource.description.ilike(pattern)))
    if filters.status == "active":
        query = query.where(LeadSource.active.is_(True))
    elif filters.status == "inactive":
        query = query.where(LeadSource.active.is_(False))
    return query


def list_sources(filters: SourceFilters, user: User) -> Page:
    """One page of sources with their lead counts, filtered and sorted."""
    counts = lead_counts_subquery(user)
    total_col = func.coalesce(counts.c.total, 0)
    open_col = func.coalesce(counts.c.open, 0)
    won_col = func.coalesce(counts.c.won, 0)
    columns = {"name": func.lower(LeadSource.name), "description": func.lower(
        LeadSource.description), "active": LeadSource.active, "leads": total_col,
        "open": open_col, "won": won_col, "created": LeadSource.created_at}
    order = columns.get(filters.sort, columns["name"])
    query = _filtered(select(LeadSource, total_col, open_col, won_col)
                      .outerjoin(counts, counts.c.source_id == LeadSource.id), filters)
    total = db.session.scalar(_filtered(select(func.count(LeadSource.id)), filters)) or 0
    page = min(max(1, filters.page), max(1, ceil(total / filters.per_page)))
    query = (query.order_by(order.desc() if filters.desc else order.asc(), LeadSource.id)
             .limit(filters.per_page).offset((page - 1) * filters.per_page))
    rows = [SourceRow(source, int(t), int(o), int(w))
            for source, t, o, w in db.session.execute(query)]
    return Page(rows, total, page, filters.per_page)


def source_row(source: LeadSource, user: User | None) -> SourceRow:
    """One source with its counts (for re-rendering a single table row)."""
    counts = lead_counts_subquery(user)
    row = db.session.execute(select(counts.c.total, counts.c.open, counts.c.won)
                             .where(counts.c.source_id == source.id)).first()
    return SourceRow(source, *(int(value) for value in row)) if row else SourceRow(source, 0, 0, 0)


def leads_count_map(source_ids: Iterable[int], user: User | None = None) -> dict[int, int]:
    """Live lead counts for the given sources, scoped to the leads user may see."""
    ids = list(source_ids)
    if not ids:
        return {}
    query = (select(Lead.source_id, func.count()).where(  # count(*): see above
        Lead.source_id.in_(ids), Lead.deleted_at.is_(None)).group_by(Lead.source_id))
    if user is not None:
        query = query.where(visible_leads_clause(user))
    return {source_id: int(count) for source_id, count in db.session.execute(query)}


def recent_leads(source: LeadSource, user: User, limit: int = 10) -> list[Lead]:
    query = scoped(select(Lead).where(Lead.source_id == source.id), user)
    return list(db.session.scalars(query.order_by(Lead.created_at.desc(), Lead.id.desc())
                                   .limit(limit)))


def get_source(source_id: int) -> LeadSource | None:
    return db.session.get(LeadSource, source_id)


def create_source(name: Any, description: Any = "", active: bool = True,
                  actor: User | None = None) -> LeadSource:
    """Add a source; the name must be unique ignoring case and surrounding spaces."""
    name = _check_name(name, LeadSource)
    source = LeadSource(name=name, description=clean_text(description), active=active)
    db.session.add(source)
    source_created.send(source, actor=actor)
    _commit_named("source", name)
    return source


def update_source(source: LeadSource, actor: User | None = None, **fields: Any) -> LeadSource:
    """Change any of name, description, active; only the given fields are touched."""
    before = {name: getattr(source, name) for name in ("name", "description", "active")}
    if "name" in fields:
        source.name = _check_name(fields["name"], LeadSource, exclude_id=source.id)
    if "description" in fields:
        source.description = clean_text(fields["description"])
    if "active" in fields:
        source.active = bool(fields["active"])
    changes = {name: (old, getattr(source, name)) for name, old in before.items()
               if old != getattr(source, name)}
    if changes:
        source_updated.send(source, actor=actor, changes=changes)
    _commit_named("source", source.name)
    return source


@dataclass(frozen=True)
class Usage:
    """What still points at a source: leads (the trash included), capture forms, spend rows."""

    leads: int
    forms: int
    spend: int

    def __bool__(self) -> bool:
        return bool(self.leads or self.forms or self.spend)


def usage(source_id: int) -> Usage:
    def count(model: Any) -> int:
        return int(db.session.scalar(select(func.count(model.id))
                                     .where(model.source_id == source_id)) or 0)

    return Usage(count(Lead), count(CaptureForm), count(Spend))


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def in_use_message(name: str, used: Usage) -> str:
    parts = [_plural(count, one, many) for count, one, many in (
        (used.leads, "lead", "leads"), (used.forms, "capture form", "capture forms"),
        (used.spend, "spend entry", "spend entries")) if count]
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return (f"“{name}” is used by {text}. "
            "Merge it into another source instead, or deactivate it.")


def delete_source(source: LeadSource, actor: User | None = None) -> None:
    """Delete an unused source; one that leads, forms or spend use is refused (409)."""
    used = usage(source.id)
    if used:
        raise Conflict(in_use_message(source.name, used))
    db.session.execute(update(Campaign).where(Campaign.source_id == source.id)
                       .values(source_id=None))
    source_deleted.send(source, actor=actor)
    db.session.delete(source)
    db.session.commit()


def _move_source_rows(sources: Sequence[LeadSource], target: LeadSource, actor: User | None
                      ) -> int:
    """Point leads, campaigns, spend and capture forms of `sources` at target; log each lead."""
    ids = [source.id for source in sources]
    now = utcnow()
    moving = dict(db.session.execute(select(Lead.id, Lead.source_id)
                                     .where(Lead.source_id.in_(ids))).all())
    old_name = case({source.id: source.name for source in sources}, value=Lead.source_id)
    db.session.execute(insert(Activity).from_select(
        ["lead_id", "actor_id", "kind", "field", "old_value", "new_value", "created_at"],
        select(Lead.id, literal(actor.id if actor else None, db.Integer),
               literal(ActivityKind.field_changed.name, String), literal("source", String),
               old_name, literal(target.name, String),
               literal(now, Activity.__table__.c.created_at.type))
        .where(Lead.source_id.in_(ids))))
    moved = db.session.execute(
        update(Lead).where(Lead.source_id.in_(ids))
        .values(source_id=target.id, version=Lead.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    for model in (Campaign, Spend, CaptureForm):
        db.session.execute(update(model).where(model.source_id.in_(ids))
                           .values(source_id=target.id).execution_options(
                               synchronize_session=False))
    if moving:
        leads_changed_in_bulk.send(None, lead_ids=list(moving), event="lead.updated", actor=actor,
                                   changes={}, via="merge", changes_by_lead={
                                       lead_id: {"source_id": (old, target.id)}
                                       for lead_id, old in moving.items()})
    return int(moved or 0)


def merge_sources(sources: Sequence[LeadSource], target: LeadSource,
                  actor: User | None = None) -> int:
    """Move everything of `sources` into target, then delete them; one transaction."""
    sources = [source for source in sources if source.id != target.id]
    if not sources:
        raise RuleViolation("Pick a different source to merge into.", "target")
    moved = _move_source_rows(sources, target, actor)
    for source in sources:
        source_deleted.send(source, actor=actor)
        db.session.delete(source)
    db.session.commit()
    db.session.expire_all()
    return moved


def sources_by_ids(ids: Iterable[Any]) -> list[LeadSource]:
    ids = [number for number in map(valid_id, ids) if number]
    if not ids:
        return []
    return list(db.session.scalars(select(LeadSource).where(LeadSource.id.in_(ids))
                                   .order_by(func.lower(LeadSource.name))))


def bulk_set_active(sources: Sequence[LeadSource], active: bool,
                    actor: User | None = None) -> int:
    """Activate or deactivate many; returns how many changed."""
    changed = [source for source in sources if source.active != active]
    for source in changed:
        source.active = active
        source_updated.send(source, actor=actor, changes={"active": (not active, active)})
    db.session.commit()
    return len(changed)


@dataclass(frozen=True)
class BulkDeleteResult:
    deleted: list[str]
    kept: list[str]  # one message per source that is in use


def bulk_delete(sources: Sequence[LeadSource], actor: User | None = None) -> BulkDeleteResult:
    """Delete the unused ones; the in-use ones are kept and reported."""
    deleted, kept = [], []
    for source in sources:
        used = usage(source.id)
        if used:
            kept.append(in_use_message(source.name, used))
            continue
        db.session.execute(update(Campaign).where(Campaign.source_id == source.id)
                           .values(source_id=None))
        deleted.append(source.name)
        source_deleted.send(source, actor=actor)
        db.session.delete(source)
    db.session.commit()
    return BulkDeleteResult(deleted, kept)


def export_csv(sources: Sequence[LeadSource]) -> str:
    """CSV of the given sources with their (unscoped) live lead counts."""
    counts = lead_counts_subquery(None)
    ids = [source.id for source in sources]
    figures = {row.source_id: row for row in db.session.execute(
        select(counts).where(counts.c.source_id.in_(ids)))} if ids else {}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "name", "description", "active", "leads", "open", "won", "created_at"])
    for source in sources:
        row = figures.get(source.id)
        writer.writerow([source.id, _csv_safe(source.name), _csv_safe(source.description),
                         "yes" if source.active else "no", row.total if row else 0,
                         row.open if row else 0, row.won if row else 0,
                         source.created_at.isoformat()])
    return buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; prefix them with a quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def active_sources() -> list[LeadSource]:
    """Sources staff may pick on the lead form, by name."""
    return list(db.session.scalars(select(LeadSource).where(LeadSource.active.is_(True))
                                   .order_by(func.lower(LeadSource.name))))


def active_campaigns(source_id: int | None = None) -> list[Campaign]:
    """Active campaigns, optionally of one source (or with no source), by name."""
    query = select(Campaign).where(Campaign.active.is_(True))
    if source_id is not None:
        query = query.where(or_(Campaign.source_id == source_id, Campaign.source_id.is_(None)))
    return list(db.session.scalars(query.order_by(func.lower(Campaign.name))))


def other_sources(source_ids: Iterable[int]) -> list[LeadSource]:
    """Merge targets: every source except the given ones, by name."""
    ids = list(source_ids)
    query = select(LeadSource).order_by(func.lower(LeadSource.name))
    if ids:
        query = query.where(LeadSource.id.not_in(ids))
    return list(db.session.scalars(query))
