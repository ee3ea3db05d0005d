"""The report table as CSV: one row per source (and its expanded campaigns), then the total.
Money headings carry their currency code, so a sheet pasted elsewhere still says what it adds."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from .services import COLUMNS, Report, Row

# Columns in the currency of won revenue, and in the (default) currency of spend.
REVENUE_COLUMNS = ("revenue",)
SPEND_COLUMNS = ("spend", "cpl", "cpa")


def headings(report: Report) -> list[str]:
    filters = report.filters
    units = {**dict.fromkeys(REVENUE_COLUMNS, filters.currency),
             **dict.fromkeys(SPEND_COLUMNS, filters.spend_currency)}
    return [f"{heading} ({units[key]})" if key in units else heading
            for key, heading in COLUMNS.items()]


def _cell(value: Any) -> str:
    """Plain numbers for spreadsheets; an empty cell where a division has no denominator."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _safe(text: str) -> str:
    """Keep spreadsheet apps from running a label (e.g. a utm_source) as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _line(row: Row, level: str, parent: str = "") -> list[str]:
    cells = [_cell(getattr(row, column)) for column in COLUMNS if column != "label"]
    return [level, _safe(parent), _safe(row.label), *cells]


def report_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    filters = report.filters
    writer.writerow(["Level", "Parent", *headings(report)])
    for row in report.rows:
        writer.writerow(_line(row, "source"))
        for campaign in row.campaigns:
            writer.writerow(_line(campaign, "campaign", row.label))
    writer.writerow(_line(report.total, "total"))
    writer.writerow([])
    writer.writerow(["Range", filters.start.isoformat(), filters.end.isoformat(),
                     filters.zone.key])
    writer.writerow(["Revenue currency", filters.currency])
    writer.writerow(["Spend currency", filters.spend_currency])
    for code, count in report.other_currencies:
        writer.writerow([f"Won leads in {code} left out of revenue", count])
    writer.writerow(["Attribution", report.attribution_label])
    writer.writerow(["Median first response", "hours"])
    return buffer.getvalue()
