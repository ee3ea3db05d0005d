"""Set-based writes of one classified batch: what `leads.intake.place_new_lead` does for one lead
(default pipeline, first stage, top of the column, a stage-history row, an activity row), done for
thousands of rows with Core executemany inserts; plus updates with before-images and error rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, literal, select, update

from ..assignment.batch import ImportAssigner
from ..auth.models import User
from ..config import default_currency
from ..custom_fields import types as custom_types
from ..custom_fields.exporting import ImportCells
from ..custom_fields.models import LeadFieldValue
from ..db_types import utcnow
from ..events import leads_changed_in_bulk
from ..extensions import db
from ..leads.intake import default_pipeline
from ..leads.models import Activity, ActivityKind, Lead, Tag, lead_tags
from ..leads.services import display_of
from ..pipeline.models import StageHistory
from ..pipeline.services import STEP
from ..sources.models import Campaign, LeadSource
from .classify import VALUE_FIELDS, Outcome
from .driver_insert import DriverInsert
from .models import ImportJob, ImportRowError, ImportUpdate

LEADS = Lead.__table__
# What an empty cell stores: text columns are NOT NULL with "" defaults (the currency: the
# app's DEFAULT_CURRENCY, filled in per run).
EMPTY_ROW = {name: None if name in ("budget", "start_date", "deadline") else ""
             for name in VALUE_FIELDS}
LEAD_COLUMNS = (*VALUE_FIELDS, "source_id", "campaign_id", "owner_id", "pipeline_id", "stage_id",
                "board_position", "stage_entered_at", "last_touched_at", "created_by_id",
                "created_at", "updated_at", "version", "ref", "ref_id")


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


BATCH_CACHE_KIB = 65536


@contextmanager
def roomy_cache() -> Iterator[None]:
    """SQLite: room in the connection's page cache for every page one batch dirties. In the
    default 2 MB the pages of the lead indexes spilled to the WAL in the middle of a batch and
    were written again at its commit (100k-row import of 2,000-row batches: 1.5 GB written,
    1.1 GB with room). Put back before the commit, so the pooled connection does not keep
    the memory."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{BATCH_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


class Shown:
    """Values as the timeline shows them: names for sources, campaigns and owners, not ids.
    The names are looked up once per run (a lookup per changed cell was 60% of an update
    import: the session does not keep objects nobody holds)."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, Any], str] = {}

    def __call__(self, column: str, value: Any) -> str:
        if column not in ("source_id", "campaign_id", "owner_id"):
            return "" if value is None else str(value)
        if (column, value) not in self.names:
            self.names[column, value] = display_of(column, value)
        return self.names[column, value]


class Names:
    """Source and tag names -> ids, creating the new ones the user chose to create."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.source_map = options.get("sources", {})
        self.tag_map = options.get("tags", {})
        self.campaign_map = options.get("campaigns", {})
        self.campaigns = {name.lower(): campaign_id for campaign_id, name in reversed(
            db.session.execute(select(Campaign.id, Campaign.name).order_by(Campaign.id)).all())}
        self.sources = {name.lower(): source_id for source_id, name in
                        db.session.execute(select(LeadSource.id, LeadSource.name))}
        self.tags = {name.lower(): tag_id for tag_id, name in
                     db.session.execute(select(Tag.id, Tag.name))}

    def source_id(self, name: str) -> int:
        key = name.lower()
        if key not in self.sources:
            chosen = self.source_map.get(name, "new")
            if chosen != "new" and str(chosen).isdecimal():
                self.sources[key] = int(chosen)
            else:
                source = LeadSource(name=name)
                db.session.add(source)
                db.session.flush()
                self.sources[key] = source.id
        return self.sources[key]

    def campaign_id(self, name: str, source_id: int | None) -> int | None:
        """A new campaign is filed under the source of the first row that names it."""
        if not name:
            return None
        key = name.lower()
        if key not in self.campaigns:
            chosen = self.campaign_map.get(name, "new")
            if chosen != "new" and str(chosen).isdecimal():
                self.campaigns[key] = int(chosen)
            else:
                campaign = Campaign(name=name, source_id=source_id)
                db.session.add(campaign)
                db.session.flush()
                self.campaigns[key] = campaign.id
        return self.campaigns[key]

    def tag_id(self, name: str) -> int:
        key = name.lower()
        if key not in self.tags:
            chosen = self.tag_map.get(name, "new")
            if chosen != "new" and str(chosen).isdecimal():
                self.tags[key] = int(chosen)
            else:
                tag = Tag(name=name)
                db.session.add(tag)
                db.session.flush()
                self.tags[key] = tag.id
        return self.tags[key]


class BatchWriter:
    """Writes the outcomes of one import run, batch by batch; the caller commits each batch."""

    def __init__(self, job: ImportJob, actor: User | None) -> None:
        self.job = job
        self.actor = actor
        self.actor_id = actor.id if actor else None
        self.names = Names(job.options or {})
        self.custom = ImportCells()
        pipeline = default_pipeline()
        self.pipeline_id = pipeline.id
        self.stage_id = pipeline.stages[0].id
        self.ref = f"import:{job.id}"
        self.empty_row = {**EMPTY_ROW, "currency": default_currency()}
        self.assigner = ImportAssigner(job.id, actor)  # assignment rules, loaded once
        self.shown = Shown()
        self.insert_leads = DriverInsert(LEADS, LEAD_COLUMNS, returning=("id", "ref_id"))
        self.lead_values = itemgetter(*LEAD_COLUMNS)
        self.insert_tags = DriverInsert(lead_tags, ("lead_id", "tag_id"))

    def write(self, outcomes: list[Outcome]) -> None:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in outcomes:
            groups[outcome.kind].append(outcome)
        with roomy_cache():
            self._create(groups["create"])
            self._update(groups["update"])
            self._errors(groups["error"])
        job = self.job
        job.created_count += len(groups["create"])
        job.updated_count += len(groups["update"])
        job.skipped_count += len(groups["skip"])
        job.failed_count += len(groups["error"])
        job.processed_rows += len(outcomes)

    def _top(self) -> float:
        first = db.session.scalar(select(func.min(Lead.board_position))
                                  .where(Lead.stage_id == self.stage_id))
        return 0.0 + STEP if first is None else first

    def _create(self, outcomes: list[Outcome]) -> None:
        if not outcomes:
            return
        now = utcnow()
        top = self._top()
        common = {"pipeline_id": self.pipeline_id, "stage_id": self.stage_id,
                  "stage_entered_at": now, "last_touched_at": now,
                  "created_by_id": self.actor_id, "created_at": now, "updated_at": now,
                  "version": 1, "ref": self.ref}
        rows = []
        for index, outcome in enumerate(outcomes):
            result = outcome.result
            row = {**self.empty_row, **common}
            for name, value in result.values.items():  # the few cells this row filled
                if value is not None and name in EMPTY_ROW:
                    row[name] = value
            row["source_id"] = source_id = self.names.source_id(result.source_name)
            row["campaign_id"] = self.names.campaign_id(result.campaign_name, source_id)
            row["owner_id"] = result.values.get("owner_id")
            # Each new lead goes on top of the one before, as place_new_lead does one by one.
            row["board_position"] = top - STEP * (index + 1)
            row["ref_id"] = str(outcome.row)
            rows.append(row)
        self.assigner.assign(rows)
        # RETURNING order is not guaranteed on every database, so rows are matched back by
        # ref_id (the row number, unique within one import) rather than by position.
        returned = self.insert_leads.execute(list(map(self.lead_values, rows)))
        by_row = {ref_id: lead_id for lead_id, ref_id in returned}
        ids = [by_row[row["ref_id"]] for row in rows]
        self._history_and_activity(min(ids), max(ids))
        self.assigner.announce(rows, ids)  # after: it names the rule on the `imported` rows
        self._link_tags([(lead_id, outcome.result.tag_names)
                         for lead_id, outcome in zip(ids, outcomes, strict=True)])
        self.custom.write_new(ids, [outcome.result.custom_values for outcome in outcomes])
        leads_changed_in_bulk.send(None, lead_ids=ids, event="lead.created", actor=self.actor,
                                   changes={}, via="import")

    def _history_and_activity(self, first_id: int, last_id: int) -> None:
        """The first stage-history row and the `imported` timeline row of each new lead, written
        with INSERT ... SELECT from the leads just inserted (no per-row Python)."""
        new_leads = (LEADS.c.id.between(first_id, last_id), LEADS.c.ref == self.ref)
        history = StageHistory.__table__
        db.session.execute(insert(history).from_select(
            ["lead_id", "stage_id", "entered_at", "moved_by_id"],
            select(LEADS.c.id, LEADS.c.stage_id, LEADS.c.stage_entered_at,
                   LEADS.c.created_by_id).where(*new_leads)))
        activities = Activity.__table__
        db.session.execute(insert(activities).from_select(
            ["lead_id", "actor_id", "kind", "field", "old_value", "new_value", "data",
             "created_at"],
            select(LEADS.c.id, LEADS.c.created_by_id,
                   literal(ActivityKind.imported, activities.c.kind.type), literal(""),
                   literal(""), literal(""),
                   literal({"import_job": self.job.id}, activities.c.data.type),
                   LEADS.c.created_at).where(*new_leads)))

    def _link_tags(self, pairs: list[tuple[int, list[str]]]) -> dict[int, list[int]]:
        links: dict[int, list[int]] = {}
        for lead_id, names in pairs:
            tag_ids = list(dict.fromkeys(self.names.tag_id(name) for name in names))
            if tag_ids:
                links[lead_id] = tag_ids
        rows = [(lead_id, tag_id) for lead_id, tag_ids in links.items() for tag_id in tag_ids]
        if rows:
            self.insert_tags.execute(rows)
        return links

    def _update(self, outcomes: list[Outcome]) -> None:
        if not outcomes:
            return
        now = utcnow()
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        befores, activities = [], []
        custom: list[tuple[int, str, Any]] = []  # (lead id, cf_<key>, new value)
        for outcome in outcomes:
            lead_id = outcome.lead["id"] if outcome.lead else 0
            changes = {column: pair for column, pair in outcome.changes.items()
                       if not column.startswith("cf_")}
            custom_changes = {column: pair for column, pair in outcome.changes.items()
                              if column.startswith("cf_")}
            custom += [(lead_id, column, new) for column, (_old, new) in custom_changes.items()]
            activities += self._custom_activities(lead_id, outcome.row, custom_changes, now)
            new_values = {column: new for column, (_old, new) in changes.items()}
            if "source_id" in new_values:
                new_values["source_id"] = self.names.source_id(str(new_values["source_id"]))
            if "campaign_id" in new_values:
                new_values["campaign_id"] = self.names.campaign_id(
                    str(new_values["campaign_id"]),
                    new_values.get("source_id") or (outcome.lead or {}).get("source_id"))
            by_columns[tuple(sorted(new_values))].append({"_id": lead_id, **new_values})
            before = {column: [jsonable(old), jsonable(new_values[column])]
                      for column, (old, _new) in changes.items()}
            activities += [{"lead_id": lead_id, "actor_id": self.actor_id,
                            "kind": (ActivityKind.assigned if column == "owner_id"
                                     else ActivityKind.field_changed), "field": column,
                            "old_value": self.shown(column, old),
                            "new_value": self.shown(column, new_values[column]),
                            "created_at": now,
                            "data": {"import_job": self.job.id, "row": outcome.row}}
                           for column, (old, _new) in changes.items()]
            befores.append((lead_id, outcome, before, custom_changes))
        for columns, params in by_columns.items():
            values = {column: bindparam(column) for column in columns}
            statement = (update(LEADS).where(LEADS.c.id == bindparam("_id"))
                         .values(**values, version=LEADS.c.version + 1, updated_at=now))
            db.session.execute(statement, params)
        self._write_custom(custom)
        self.assigner.announce_updates([(lead_id, before["owner_id"][1])
                                        for lead_id, _outcome, before, _custom in befores
                                        if "owner_id" in before])
        links = self._link_tags([(lead_id, outcome.added_tags)
                                 for lead_id, outcome, _before, _custom in befores])
        # Custom before-images sit under their own key: undo puts them back in the value
        # table, not on the lead's columns.
        db.session.execute(insert(ImportUpdate.__table__), [
            {"job_id": self.job.id, "lead_id": lead_id,
             "before": {"fields": before, "tags_added": links.get(lead_id, []),
                        **({"custom": {column: [jsonable(old), jsonable(new)]
                                       for column, (old, new) in custom_changes.items()}}
                           if custom_changes else {})}}
            for lead_id, _outcome, before, custom_changes in befores])
        if activities:
            db.session.execute(insert(Activity.__table__), activities)
        leads_changed_in_bulk.send(
            None, lead_ids=[lead_id for lead_id, *_ in befores], event="lead.updated",
            actor=self.actor, changes={}, via="import", changes_by_lead={
                lead_id: {**{column: tuple(pair) for column, pair in before.items()},
                          **self._custom_payload(custom_changes)}
                for lead_id, _outcome, before, custom_changes in befores})

    def _custom_activities(self, lead_id: int, row: int,
                           changes: dict[str, tuple[Any, Any]], now: datetime
                           ) -> list[dict[str, Any]]:
        """Timeline rows for custom values, as the lead page's own edits record them: the
        field's label and its values as people read them."""
        fields = self.custom.fields
        return [{"lead_id": lead_id, "actor_id": self.actor_id,
                 "kind": ActivityKind.field_changed, "field": fields[column].label[:60],
                 "old_value": custom_types.display(fields[column], old),
                 "new_value": custom_types.display(fields[column], new), "created_at": now,
                 "data": {"import_job": self.job.id, "row": row}}
                for column, (old, new) in changes.items()]

    def _custom_payload(self, changes: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
        """Webhook changes named like the API's (`custom_fields.<key>`), with JSON values."""
        fields = self.custom.fields
        return {f"custom_fields.{fields[column].key}": (
            custom_types.as_json(fields[column], old), custom_types.as_json(fields[column], new))
            for column, (old, new) in changes.items()}

    def _write_custom(self, changes: list[tuple[int, str, Any]]) -> None:
        """Replace the changed values of a batch: one DELETE per changed field, then one
        INSERT for all of them (a portable upsert; a new value is never empty)."""
        if not changes:
            return
        by_field: dict[str, list[int]] = defaultdict(list)
        for lead_id, column, _new in changes:
            by_field[column].append(lead_id)
        table = LeadFieldValue.__table__  # Core statements: no ORM bookkeeping per row
        for column, lead_ids in by_field.items():
            db.session.execute(delete(table).where(
                table.c.field_id == self.custom.fields[column].id, table.c.lead_id.in_(lead_ids)))
        db.session.execute(insert(table), [
            {"lead_id": lead_id, "field_id": self.custom.fields[column].id,
             **custom_types.columns(self.custom.fields[column], new)}
            for lead_id, column, new in changes])

    def _errors(self, outcomes: list[Outcome]) -> None:
        if not outcomes:
            return
        db.session.execute(insert(ImportRowError.__table__), [
            {"job_id": self.job.id, "row_number": outcome.row,
             "cells": {"values": outcome.cells},
             "message": "; ".join(f"{header}: {why}" for header, why in outcome.result.errors)}
            for outcome in outcomes])
