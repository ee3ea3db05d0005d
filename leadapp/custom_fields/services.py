"""Custom fields: managing the definitions (admins) and reading/writing lead values.

Definitions: create, edit, reorder, delete (with the values kept as CSV). Values: `apply_values`
joins the caller's transaction (lead form, API, capture); `save_value` is the click-to-edit save
and commits itself. Import writes values set-based (`bulk_insert`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm.exc import StaleDataError

from ..auth.models import User
from ..db_types import utcnow
from ..errors import Conflict, RuleViolation
from ..events import lead_updated
from ..extensions import db
from ..leads.activity import record
from ..leads.models import ActivityKind, Lead
from ..ordering import renumber, save_order
from . import types
from .models import CustomField, DeletedFieldExport, FieldKind, LeadFieldValue

STALE_MESSAGE = "Someone else changed this lead while you were editing it."
KEY_MAX = 50


@dataclass
class FieldSettings:
    label: str
    kind: FieldKind | None = None  # only read when creating: the kind never changes
    required: bool = False
    help_text: str = ""
    options: list[str] = field(default_factory=list)
    show_in_list: bool = False
    show_as_filter: bool = False
    show_on_card: bool = False


# --- definitions --------------------------------------------------------------------------

def list_fields() -> list[CustomField]:
    return list(db.session.scalars(select(CustomField)
                                   .order_by(CustomField.position, CustomField.id)))


def by_param() -> dict[str, CustomField]:
    """Every field by its form/URL name (`cf_<key>`)."""
    return {item.param: item for item in list_fields()}


def key_from_label(label: str, taken: Iterable[str]) -> str:
    """A stable, readable key: ascii, lowercase, underscores; numbered when taken."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_")[:KEY_MAX] or "field"
    if base[0].isdigit():
        base = f"f_{base}"[:KEY_MAX]
    used, key, number = set(taken), base, 2
    while key in used:
        key = f"{base[:KEY_MAX - 4]}_{number}"
        number += 1
    return key


def _check(settings: FieldSettings, kind: FieldKind, current: CustomField | None) -> None:
    label = settings.label.strip()
    if not label:
        raise RuleViolation("Give the field a label.", "label")
    same = select(CustomField.id).where(func.lower(CustomField.label) == label.lower())
    if current is not None:
        same = same.where(CustomField.id != current.id)
    if db.session.scalar(same) is not None:
        raise RuleViolation(f"A field called “{label}” exists already; choose another label.",
                            "label")
    if kind.has_options and not settings.options:
        raise RuleViolation("List the choices, one per line.", "options")
    if current is not None and kind.has_options:
        _check_removed_options(current, settings.options)


def _check_removed_options(current: CustomField, options: list[str]) -> None:
    """Removing a choice that leads use would orphan their values: say how many first."""
    for option in set(current.options or []) - set(options):
        used = db.session.scalar(select(func.count()).select_from(LeadFieldValue).where(
            LeadFieldValue.field_id == current.id, option_clause(current, option)))
        if used:
            raise RuleViolation(f"{used} lead(s) have “{option}”: change their value before "
                                "removing this choice, or keep it.", "options")


def clean_options(raw: str | list[str]) -> list[str]:
    """One choice per line (or list item); blanks and repeats dropped, order kept."""
    items = raw.splitlines() if isinstance(raw, str) else raw
    seen: dict[str, str] = {}
    for item in items:
        option = " ".join(str(item).split())
        if option and option.lower() not in seen:
            seen[option.lower()] = option
    return list(seen.values())


def _apply(item: CustomField, settings: FieldSettings) -> None:
    item.label = settings.label.strip()
    item.required = settings.required
    item.help_text = settings.help_text.strip()
    item.options = clean_options(settings.options) if item.kind.has_options else []
    item.show_in_list = settings.show_in_list
    item.show_as_filter = settings.show_as_filter
    item.show_on_card = settings.show_on_card


def create_field(settings: FieldSettings) -> CustomField:
    """A new field goes last; its key comes from the label and never changes."""
    kind = settings.kind or FieldKind.text
    settings.options = clean_options(settings.options)
    _check(settings, kind, None)
    taken = db.session.scalars(select(CustomField.key))
    last = db.session.scalar(select(func.max(CustomField.position)))
    item = CustomField(key=key_from_label(settings.label, taken), kind=kind,
                       position=(last or 0) + 1)
    _apply(item, settings)
    db.session.add(item)
    db.session.commit()
    return item


def update_field(item: CustomField, settings: FieldSettings) -> CustomField:
    """Label, help, choices and where it shows; the key and kind stay, so values stay."""
    settings.options = clean_options(settings.options)
    _check(settings, item.kind, item)
    _apply(item, settings)
    db.session.commit()
    return item


def move_field(item: CustomField, index: int) -> list[CustomField]:
    items = [other for other in list_fields() if other.id != item.id]
    items.insert(max(0, min(index, len(items))), item)
    renumber(items)
    db.session.commit()
    return items


def reorder(field_ids: list[int]) -> list[CustomField]:
    """Save the order a drag produced; refuses a list that is not exactly the current fields."""
    return save_order(list_fields(), field_ids, "fields")


def value_count(item: CustomField) -> int:
    return db.session.scalar(select(func.count()).select_from(LeadFieldValue)
                             .where(LeadFieldValue.field_id == item.id)) or 0


def export_csv(item: CustomField) -> str:
    """Lead id, title and value of every lead that has one, oldest lead first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["lead_id", "title", _csv_safe(item.label)])
    rows = db.session.execute(
        select(Lead.id, Lead.title, LeadFieldValue).join(
            LeadFieldValue, LeadFieldValue.lead_id == Lead.id)
        .where(LeadFieldValue.field_id == item.id).order_by(Lead.id)
        .execution_options(yield_per=2000))
    for lead_id, title, row in rows:
        writer.writerow([lead_id, _csv_safe(title), _csv_safe(
            types.display(item, types.loaded(item, row)))])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; quote them as text."""
    # Tab and CR too: spreadsheets drop them and run what follows.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def delete_field(item: CustomField) -> DeletedFieldExport:
    """Delete the field and its values, keeping the values as a CSV in the same commit."""
    kept = DeletedFieldExport(key=item.key, label=item.label, value_count=value_count(item),
                              content=export_csv(item))
    db.session.add(kept)
    db.session.execute(delete(LeadFieldValue).where(LeadFieldValue.field_id == item.id))
    db.session.delete(item)
    db.session.flush()
    renumber(list_fields())
    db.session.commit()
    return kept


def deleted_exports() -> list[DeletedFieldExport]:
    return list(db.session.scalars(select(DeletedFieldExport)
                                   .order_by(DeletedFieldExport.created_at.desc())))


def like_escape(term: str) -> str:
    """`term` with LIKE's wildcards escaped (use with escape="\\"): a "%" or "_" in a
    choice or search term matches only itself."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def option_clause(item: CustomField, option: str) -> Any:
    """Rows of `item` holding `option` (one of a multi-choice's |a|b| list, or the choice)."""
    if item.kind == FieldKind.multi_choice:
        pattern = f"%{types.SEPARATOR}{like_escape(option)}{types.SEPARATOR}%"
        return func.lower(LeadFieldValue.text_value).like(pattern.lower(), escape="\\")
    return func.lower(LeadFieldValue.text_value) == option.lower()


# --- values -------------------------------------------------------------------------------

def values_of(lead: Lead) -> dict[int, Any]:
    """This lead's values by field id."""
    if lead.id is None:
        return {}
    return values_for([lead.id]).get(lead.id, {})


def values_for(lead_ids: list[int], fields: list[CustomField] | None = None
               ) -> dict[int, dict[int, Any]]:
    """{lead id: {field id: value}} for a page of leads, in one query."""
    fields = list_fields() if fields is None else fields
    if not lead_ids or not fields:
        return {}
    by_id = {item.id: item for item in fields}
    result: dict[int, dict[int, Any]] = {}
    rows = db.session.scalars(select(LeadFieldValue).where(
        LeadFieldValue.lead_id.in_(lead_ids), LeadFieldValue.field_id.in_(by_id)))
    for row in rows:
        result.setdefault(row.lead_id, {})[row.field_id] = types.loaded(by_id[row.field_id], row)
    return result


def parse_values(raw: dict[str, Any], fields: dict[str, CustomField], *,
                 partial: bool) -> dict[CustomField, Any]:
    """Typed values by field from {param or key: raw}. `partial` (PATCH, click-to-edit) reads
    only the given fields; otherwise every field is read, so required ones are enforced.
    Raises RuleViolation naming the field (its `cf_` name) with the first bad value."""
    by_key = {item.key: item for item in fields.values()}
    given = {}
    for name, value in raw.items():
        item = fields.get(name) or by_key.get(name)
        if item is None:
            raise RuleViolation(f"There is no custom field “{name}”.", "custom_fields")
        given[item] = value
    wanted = given if partial else {item: given.get(item) for item in fields.values()}
    parsed = {}
    for item, value in wanted.items():
        try:
            parsed[item] = types.parse(item, value)
        except ValueError as error:
            raise RuleViolation(str(error), item.param) from None
    return parsed


def apply_values(lead: Lead, values: dict[CustomField, Any], actor: User | None,
                 *, log: bool = True) -> dict[str, tuple[Any, Any]]:
    """Write parsed values (None clears) in the caller's transaction; returns the changes
    {key: (old, new)} and records one timeline row per changed field (unless `log` is off,
    e.g. for a lead being created, whose "created" row says it all)."""
    if not values:
        return {}
    db.session.flush()  # a new lead needs its id
    rows = {row.field_id: row for row in db.session.scalars(select(LeadFieldValue).where(
        LeadFieldValue.lead_id == lead.id,
        LeadFieldValue.field_id.in_([item.id for item in values])))}
    changes: dict[str, tuple[Any, Any]] = {}
    for item, value in values.items():
        row = rows.get(item.id)
        old = types.loaded(item, row)
        if old == value:
            continue
        _store(lead, item, row, value)
        changes[item.key] = (types.as_json(item, old), types.as_json(item, value))
        if log:
            record(lead, ActivityKind.field_changed, actor, field=item.label[:60],
                   old=types.display(item, old), new=types.display(item, value))
    if changes:
        lead.updated_at = utcnow()  # bumps the lead's version: open copies become stale
    return changes


def _store(lead: Lead, item: CustomField, row: LeadFieldValue | None, value: Any) -> None:
    if value is None:
        if row is not None:
            db.session.delete(row)
        return
    if row is None:
        row = LeadFieldValue(lead_id=lead.id, field_id=item.id)
        db.session.add(row)
    for column, stored in types.columns(item, value).items():
        setattr(row, column, stored)


def save_value(lead: Lead, item: CustomField, raw: Any, version: int | None,
               actor: User) -> Lead:
    """Click-to-edit: validate and save one field if the lead is still at `version`."""
    if version is not None and version != lead.version:
        raise Conflict(STALE_MESSAGE)
    try:
        values = parse_values({item.param: raw}, {item.param: item}, partial=True)
        changes = apply_values(lead, values, actor)
        if changes:
            lead_updated.send(lead, actor=actor,
                              changes={f"custom_fields.{key}": pair
                                       for key, pair in changes.items()})
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(STALE_MESSAGE) from exc
    except Exception:
        db.session.rollback()
        raise
    return lead


def bulk_rows(lead_ids: list[int], values: list[dict[CustomField, Any]]) -> None:
    """Insert the values of freshly inserted leads (imports) in one statement."""
    rows = [{"lead_id": lead_id, "field_id": item.id, **types.columns(item, value)}
            for lead_id, lead_values in zip(lead_ids, values, strict=True)
            for item, value in lead_values.items() if value is not None]
    if rows:
        db.session.execute(insert(LeadFieldValue), rows)


def apply_form_data(lead: Lead, data: dict[str, Any], actor: User | None,
                    creating: bool) -> list[tuple[str, Any, Any]]:
    """The lead form's custom values (`cf_` keys of `data`), in the lead's transaction; a
    caller that sends none (an older client, a flow without custom fields) changes none.
    Returns (name, old, new) changes like the lead service's own."""
    raw = {name: value for name, value in data.items() if name.startswith("cf_")}
    if not raw:
        return []
    values = parse_values(raw, by_param(), partial=False)
    changes = apply_values(lead, values, actor, log=not creating)
    return [(f"custom_fields.{key}", old, new) for key, (old, new) in changes.items()]
