"""What the lead list, the board and exports show of custom fields: the chosen fields and one
page of values, loaded in one query (never one per lead)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context

from . import types
from .models import CustomField, FieldKind
from .services import list_fields as _list_fields
from .services import values_for


def list_fields() -> list[CustomField]:
    """The field definitions, read once per request: a list page asks for its columns, its
    filters and its caption, and each would otherwise be a query."""
    if not has_request_context():
        return _list_fields()
    if "custom_fields" not in g:
        g.custom_fields = _list_fields()
    return g.custom_fields


@dataclass(frozen=True)
class ShownValues:
    fields: list[CustomField]
    values: dict[int, dict[int, Any]]

    def display(self, lead_id: int, item: CustomField) -> str:
        return types.display(item, self.values.get(lead_id, {}).get(item.id))


def shown(lead_ids: list[int], flag: str) -> ShownValues:
    """The fields with `flag` set (show_in_list, show_on_card) and their values for the leads."""
    fields = [item for item in list_fields() if getattr(item, flag)]
    return ShownValues(fields, values_for(lead_ids, fields) if fields else {})


@dataclass(frozen=True)
class FilterControl:
    item: CustomField
    control: str  # "range", "choice" or "text"
    input_type: str = "text"
    choices: tuple[tuple[str, str], ...] = ()


def filter_controls() -> list[FilterControl]:
    """The list filter inputs of the fields offered as filters."""
    controls = []
    for item in list_fields():
        if not item.show_as_filter:
            continue
        if item.kind in (FieldKind.number, FieldKind.decimal, FieldKind.date):
            kind = "date" if item.kind == FieldKind.date else "number"
            controls.append(FilterControl(item, "range", kind))
        elif item.kind == FieldKind.yes_no:
            controls.append(FilterControl(item, "choice", choices=(("yes", "Yes"), ("no", "No"))))
        elif item.kind.has_options:
            controls.append(FilterControl(item, "choice",
                                          choices=tuple((opt, opt) for opt in item.options)))
        else:
            controls.append(FilterControl(item, "text"))
    return controls


def sort_label(sort: str) -> str:
    """The label of a `cf_` sort, for the table caption."""
    return next((item.label for item in list_fields() if item.param == sort), "")
