"""Custom fields as export columns (CSV and XLSX) and import targets: one column per field,
named by the field's `cf_<key>`, headed by its label. Values are written so the importer reads
them back unchanged: whole numbers as integers, money as exact decimals, ISO dates, Yes/No,
several choices joined by "|"."""

from __future__ import annotations

from typing import Any

from flask import has_app_context

from . import types
from .models import CustomField, FieldKind
from .services import bulk_rows, list_fields, values_for


def columns() -> list[tuple[str, str]]:
    """(column key, header) per field, in the admins' order; none outside an app (pure
    mapping checks run without a database)."""
    if not has_app_context():
        return []
    return [(item.param, item.label) for item in list_fields()]


def label(key: str) -> str:
    return dict(columns()).get(key, key)


def cell(item: CustomField, value: Any) -> Any:
    if value is None:
        return None
    if item.kind == FieldKind.multi_choice:
        return types.SEPARATOR.join(value)
    if item.kind == FieldKind.yes_no:
        return "Yes" if value else "No"
    if item.kind == FieldKind.number:
        return int(value)
    if item.kind == FieldKind.decimal:
        return format(value, "f")
    return value


def cells(lead_ids: list[int], keys: list[str]) -> dict[int, dict[str, Any]]:
    """{lead id: {column key: cell}} for one chunk of exported leads, in one query."""
    fields = [item for item in list_fields() if item.param in keys]
    if not fields:
        return {}
    values = values_for(lead_ids, fields)
    return {lead_id: {item.param: cell(item, row.get(item.id)) for item in fields}
            for lead_id, row in values.items()}


# --- imports ------------------------------------------------------------------------------

class ImportCells:
    """Reads import cells for custom fields (one instance per import: definitions load once).
    Required fields are enforced by the classifier, for new leads only; here a cell is parsed
    as an optional value of its kind."""

    def __init__(self) -> None:
        self.fields = {item.param: item for item in list_fields()} if has_app_context() else {}
        # One detached, optional copy per field: building one per cell cost ~30 µs a cell.
        self.probes = {param: CustomField(key=item.key, label=item.label, kind=item.kind,
                                          options=item.options, required=False)
                       for param, item in self.fields.items()}

    def parse(self, param: str, raw: str) -> Any:
        """The typed value of one cell; ValueError with the kind's message."""
        probe = self.probes.get(param)
        if probe is None:
            raise ValueError("This custom field no longer exists; map the column again.")
        return types.parse(probe, raw)

    def write_new(self, lead_ids: list[int], rows: list[dict[str, Any]]) -> None:
        """Insert the values of freshly inserted leads, one INSERT per batch."""
        if not self.fields or not any(rows):
            return
        typed = [{self.fields[param]: value for param, value in row.items()
                  if param in self.fields} for row in rows]
        bulk_rows(lead_ids, typed)


def header_synonyms() -> dict[str, str]:
    """Normalised header spellings (label, key, cf_key) -> column key, for mapping guesses."""
    import re

    def norm(text: str) -> str:
        return re.sub(r"[^0-9a-z]", "", text.lower())[:120]

    table: dict[str, str] = {}
    for item in list_fields() if has_app_context() else []:
        for spelling in (item.label, item.key, item.param):
            table.setdefault(norm(spelling), item.param)
    return table
