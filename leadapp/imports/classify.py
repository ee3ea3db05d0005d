"""Classifying rows in batches: create, update (old -> new), skip (duplicate of ...) or error.
The dry run and the real run share this code, so the preview tells the truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select

from ..auth.models import User
from ..auth.permissions import can
from ..custom_fields import types as custom_types
from ..custom_fields.exporting import label as custom_label
from ..custom_fields.models import LeadFieldValue, storage_column
from ..extensions import db
from ..leads.models import Lead, Tag, lead_tags
from ..leads.scope import scoped
from ..sources.models import Campaign, LeadSource
from .mapping import FIELD_LABELS
from .models import DuplicateMode, ImportJob
from .reading import iter_rows
from .validation import RowResult, RowValidator

BATCH = 5000
# Lead columns an import may fill or update (tags and source are handled on their own).
VALUE_FIELDS = ("title", "description", "company_name", "first_name", "middle_name", "last_name",
                "email", "phone", "mobile", "position", "website", "address", "street", "city",
                "state", "postcode", "country", "channel", "selling_direction", "product",
                "budget", "currency", "start_date", "deadline")
_LOOKUP_COLUMNS = [Lead.id, Lead.source_id, Lead.campaign_id, Lead.owner_id,
                   *(getattr(Lead, name) for name in VALUE_FIELDS)]
CHANGE_LABELS = {"source_id": "Lead source", "campaign_id": "Campaign", "owner_id": "Owner"}


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
        mapped = set(job.mapping.values())
        self.campaign_from_column = "campaign" in mapped
        self.campaign_names = _campaigns() if self.campaign_from_column else {}
        self.owners = Owners(user) if "owner" in mapped else None
        custom = self.validator.custom.fields  # cf_<key> -> field, loaded once per import
        self.custom_mapped = [custom[name] for name in mapped if name in custom]
        # Every required field: a new lead needs it even when no column is mapped to it.
        self.custom_required = [item for item in custom.values() if item.required]

    def classify(self, batch: list[tuple[int, list[str]]]) -> list[Outcome]:
        checked = [(row, cells, self.validator.check(cells)) for row, cells in batch]
        if self.owners is not None:
            for _, _, result in checked:
                self.owners.resolve(result, self.validator)
        matches = self._existing([result for _, _, result in checked if not result.errors])
        return [self._required(self._decide(row, cells, result, matches))
                for row, cells, result in checked]

    def _required(self, outcome: Outcome) -> Outcome:
        """A new lead needs every required custom field (like Title); an update leaves a
        missing cell alone, so it is checked only once the row is known to create a lead."""
        if outcome.kind != "create":
            return outcome
        values = outcome.result.custom_values
        missing = [item for item in self.custom_required if values.get(item.param) is None]
        if not missing:
            return outcome
        for item in missing:
            outcome.result.errors.append((self.validator.header_of(item.param, item.label),
                                          f"{item.label} is required; fill it in for new "
                                          "leads."))
        # A later row with the same email is then no duplicate of this failed one.
        for key in self._row_keys(outcome.result):
            if self.seen.get(key) == outcome.row:
                del self.seen[key]
        outcome.kind = "error"
        return outcome

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
        if self.campaign_from_column and result.campaign_name:
            known = self.campaign_names.get(result.campaign_name.lower())
            if known is None or known[0] != lead.get("campaign_id"):
                outcome.changes["campaign_id"] = (lead.get("campaign_id"), result.campaign_name)
        self._custom_changes(outcome, lead)
        known = {name.lower() for name in lead.get("tags", ())}
        outcome.added_tags = [name for name in result.tag_names if name.lower() not in known]

    def _custom_changes(self, outcome: Outcome, lead: dict[str, Any]) -> None:
        """Custom cells that differ from the lead's values, keyed `cf_<key>`; an empty cell
        (parsed to None) changes nothing, as for the lead's own columns."""
        current = lead.get("custom", {})
        for item in self.custom_mapped:
            new = outcome.result.custom_values.get(item.param)
            if new is None:
                continue
            old = current.get(item.id)
            if old != new:
                outcome.changes[item.param] = (old, new)

    def _existing(self, results: list[RowResult]) -> dict[str, dict[str, Any]]:
        """Visible, live leads sharing a match key with any row of the batch, keyed like seen."""
        emails = {result.values["email"].lower() for result in results
                  if "email" in self.keys and result.values.get("email")}
        phones = {result.values["phone"] for result in results
                  if "phone" in self.keys and result.values.get("phone")}
        if not emails and not phones or self.mode == DuplicateMode.create:
            return {}
        conditions = []
        if emails:
            # Addresses are case-insensitive in practice; lower(email) is what
            # ix_leads_email_lower indexes, so the lookup stays an index search.
            conditions.append(func.lower(Lead.email).in_(emails))
        if phones:
            conditions.append(Lead.phone.in_(phones))
        query = select(*_LOOKUP_COLUMNS).where(or_(*conditions)).order_by(Lead.id)
        if self.user is not None:
            query = scoped(query, self.user)
        else:
            query = query.where(Lead.deleted_at.is_(None))
        leads = [dict(row._mapping) for row in db.session.execute(query)]
        self._attach_tags(leads)
        self._attach_custom(leads)
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


    def _attach_custom(self, leads: list[dict[str, Any]]) -> None:
        """The matched leads' current values of the mapped custom fields, one query a batch."""
        if not leads or self.mode != DuplicateMode.update or not self.custom_mapped:
            return
        by_id = {lead["id"]: lead for lead in leads}
        for lead in leads:
            lead["custom"] = {}
        fields = {item.id: (item, storage_column(item.kind)) for item in self.custom_mapped}
        # Plain columns, not ORM rows: thousands of entities a batch would cost more than
        # the rest of the classification.
        table = LeadFieldValue.__table__
        rows = db.session.execute(select(table).where(table.c.lead_id.in_(list(by_id)),
                                                      table.c.field_id.in_(list(fields))))
        for row in rows:
            item, column = fields[row.field_id]
            by_id[row.lead_id]["custom"][item.id] = custom_types.from_column(
                item, row._mapping[column])

    def custom_text(self, column: str, value: Any) -> str:
        """A custom value as people read it (lists joined, Yes/No), for the preview."""
        item = self.validator.custom.fields.get(column)
        return custom_types.display(item, value) if item is not None else as_text(value)


def change_label(column: str) -> str:
    if column.startswith("cf_"):
        return custom_label(column)
    return CHANGE_LABELS.get(column) or FIELD_LABELS.get(column, column)


def _campaigns() -> dict[str, tuple[int, str]]:
    """Campaigns by lowercased name (the oldest wins when two share a name)."""
    found: dict[str, tuple[int, str]] = {}
    for campaign_id, name in db.session.execute(select(Campaign.id, Campaign.name)
                                                .order_by(Campaign.id)):
        found.setdefault(name.lower(), (campaign_id, name))
    return found


class Owners:
    """Resolves an Owner cell (a user's email or name) to an active user the importer may
    assign leads to; anything else is an error on that cell, so the row lands in the error CSV."""

    def __init__(self, importer: User | None) -> None:
        self.importer = importer
        self.may_assign = importer is None or can(importer, "leads.assign")
        self.by_email: dict[str, tuple[int, bool]] = {}
        self.by_name: dict[str, list[tuple[int, bool]]] = {}
        self.labels: dict[int, str] = {}
        for user_id, email, name, active in db.session.execute(
                select(User.id, User.email, User.name, User.active)):
            self.by_email[email.lower()] = (user_id, active)
            self.by_name.setdefault(" ".join(name.split()).lower(), []).append((user_id, active))
            self.labels[user_id] = name or email

    def resolve(self, result: RowResult, validator: RowValidator) -> None:
        if not result.owner_name or result.errors:
            return
        found, problem = self._find(result.owner_name)
        if problem:
            result.errors.append((validator.header_of("owner"),
                                  f"“{result.owner_name}”: {problem}"))
        else:
            result.values["owner_id"] = found

    def _find(self, text: str) -> tuple[int | None, str]:
        key = text.lower()
        matches = [self.by_email[key]] if key in self.by_email else self.by_name.get(key, [])
        if not matches:
            return None, "no user has this email or name; use a team member's email."
        if len(matches) > 1:
            return None, "more than one user has this name; use the email instead."
        user_id, active = matches[0]
        if not active:
            return None, "this user is deactivated; choose an active owner."
        if not self.may_assign and (self.importer is None or user_id != self.importer.id):
            return None, ("you may not assign leads to other people; leave Owner empty or ask "
                          "a manager to import.")
        return user_id, ""
