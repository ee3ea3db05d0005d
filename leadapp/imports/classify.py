"""Classifying rows in batches: create, update (old -> new), skip (duplicate of ...) or error.
The dry run and the real run share this code, so the preview tells the truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from ..auth.models import User
from ..extensions import db
from ..leads.models import Lead, Tag, lead_tags
from ..leads.scope import scoped
from ..sources.models import LeadSource
from .mapping import FIELD_LABELS
from .models import DuplicateMode, ImportJob
from .reading import iter_rows
from .validation import RowResult, RowValidator

BATCH = 2000
# Lead columns an import may fill or update (tags and source are handled on their own).
VALUE_FIELDS = ("title", "description", "company_name", "first_name", "middle_name", "last_name",
                "email", "phone", "mobile", "position", "website", "address", "street", "city",
                "state", "postcode", "country", "channel", "selling_direction", "product",
                "budget", "currency", "start_date", "deadline")
_LOOKUP_COLUMNS = [Lead.id, Lead.source_id, *(getattr(Lead, name) for name in VALUE_FIELDS)]


@dataclass
class Outcome:
    kind: str  # "create" | "update" | "skip" | "error"
    row: int
    cells: list[str]
    result: RowResult
    lead: dict[str, Any] | None = None  # the matched existing lead's current values
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # column: (old, new)
    added_tags: list[str] = field(default_factory=list)
    reason: str = ""


def data_rows(job: ImportJob, folder: Path) -> Iterator[tuple[int, list[str]]]:
    """(row number as the spreadsheet shows it, cells) for every non-blank row under the header."""
    rows = iter_rows(folder / job.stored_name, job.file_format, encoding=job.encoding or "utf-8",
                     delimiter=job.delimiter or ",", sheet=job.sheet)
    try:
        next(rows, None)
        for number, cells in enumerate(rows, start=2):
            if any(cells):
                yield number, cells
    finally:
        rows.close()


def batches(rows: Iterator[tuple[int, list[str]]], size: int = BATCH
            ) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def comparable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    if isinstance(value, str):
        return value.strip()
    return value


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date | Decimal):
        return str(value)
    return str(value)


class Classifier:
    """Holds what one pass over a file needs: the validator, source names, keys seen so far."""

    def __init__(self, job: ImportJob, user: User | None, headers: list[str],
                 region: str = "US") -> None:
        options = job.options or {}
        default_source = db.session.get(LeadSource, options.get("default_source_id") or 0)
        self.validator = RowValidator(headers, job.mapping, region,
                                      default_source.name if default_source else "")
        self.source_from_column = "source" in job.mapping.values()
        self.keys = [key for key in job.match_keys if key in ("email", "phone")]
        self.mode = DuplicateMode(job.duplicate_mode)
        self.user = user
        self.seen: dict[str, int] = {}
        self.source_names = {name.lower(): (source_id, name) for source_id, name in
                             db.session.execute(select(LeadSource.id, LeadSource.name))}

    def classify(self, batch: list[tuple[int, list[str]]]) -> list[Outcome]:
        checked = [(row, cells, self.validator.check(cells)) for row, cells in batch]
        matches = self._existing([result for _, _, result in checked if not result.errors])
        return [self._decide(row, cells, result, matches) for row, cells, result in checked]

    def _row_keys(self, result: RowResult) -> list[str]:
        keys = []
        for key in self.keys:
            value = result.values.get(key)
            if value:
                keys.append(f"{key}:{value.lower()}")
        return keys

    def _decide(self, row: int, cells: list[str], result: RowResult,
                matches: dict[str, dict[str, Any]]) -> Outcome:
        if result.errors:
            return Outcome("error", row, cells, result)
        keys = self._row_keys(result)
        if self.mode == DuplicateMode.create or not keys:
            return Outcome("create", row, cells, result)
        earlier = next((self.seen[key] for key in keys if key in self.seen), None)
        for key in keys:
            self.seen.setdefault(key, row)
        if earlier is not None:
            return Outcome("skip", row, cells, result,
                           reason=f"Duplicate of row {earlier} in this file")
        lead = next((matches[key] for key in keys if key in matches), None)
        if lead is None:
            return Outcome("create", row, cells, result)
        label = f"lead #{lead['id']} “{lead['title']}”"
        if self.mode == DuplicateMode.skip:
            return Outcome("skip", row, cells, result, lead=lead, reason=f"Duplicate of {label}")
        outcome = Outcome("update", row, cells, result, lead=lead)
        self._changes(outcome)
        if not outcome.changes and not outcome.added_tags:
            outcome.kind, outcome.reason = "skip", f"Same as {label}; nothing to change"
        return outcome

    def _changes(self, outcome: Outcome) -> None:
        lead, result = outcome.lead or {}, outcome.result
        for name, new in result.values.items():
            old = lead.get(name)
            same = (str(old or "").lower() == str(new).lower() if name == "email"
                    else comparable(old) == comparable(new))
            if not same:
                outcome.changes[name] = (old, new)
        if self.source_from_column and result.source_name:
            current = self.source_names.get(result.source_name.lower())
            if current is None or current[0] != lead.get("source_id"):
                outcome.changes["source_id"] = (lead.get("source_id"), result.source_name)
        known = {name.lower() for name in lead.get("tags", ())}
        outcome.added_tags = [name for name in result.tag_names if name.lower() not in known]

    def _existing(self, results: list[RowResult]) -> dict[str, dict[str, Any]]:
        """Visible, live leads sharing a match key with any row of the batch, keyed like seen."""
        emails = {result.values["email"] for result in results
                  if "email" in self.keys and result.values.get("email")}
        phones = {result.values["phone"] for result in results
                  if "phone" in self.keys and result.values.get("phone")}
        if not emails and not phones or self.mode == DuplicateMode.create:
            return {}
        conditions = []
        if emails:
            conditions.append(Lead.email.in_(emails | {email.lower() for email in emails}))
        if phones:
            conditions.append(Lead.phone.in_(phones))
        query = select(*_LOOKUP_COLUMNS).where(or_(*conditions)).order_by(Lead.id)
        if self.user is not None:
            query = scoped(query, self.user)
        else:
            query = query.where(Lead.deleted_at.is_(None))
        leads = [dict(row._mapping) for row in db.session.execute(query)]
        self._attach_tags(leads)
        found: dict[str, dict[str, Any]] = {}
        for lead in leads:
            for key in self.keys:
                if lead.get(key):
                    found.setdefault(f"{key}:{lead[key].lower()}", lead)
        return found

    def _attach_tags(self, leads: list[dict[str, Any]]) -> None:
        if not leads or self.mode != DuplicateMode.update:
            return
        by_id = {lead["id"]: lead for lead in leads}
        for lead in leads:
            lead["tags"] = []
        rows = db.session.execute(select(lead_tags.c.lead_id, Tag.name)
                                  .join(Tag, Tag.id == lead_tags.c.tag_id)
                                  .where(lead_tags.c.lead_id.in_(list(by_id))))
        for lead_id, name in rows:
            by_id[lead_id]["tags"].append(name)


def change_label(column: str) -> str:
    return "Lead source" if column == "source_id" else FIELD_LABELS.get(column, column)
