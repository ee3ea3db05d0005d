"""Exporting leads: streamed CSV and XLSX of a lead query, with the columns the user chose.
Headers are the import's field labels, so an export re-imports without touching the mapping."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select

from ..auth.models import User
from ..custom_fields import exporting as custom_export
from ..extensions import db
from ..leads.models import Lead, Tag, lead_tags
from ..pipeline.models import Stage
from ..sources.models import Campaign, LeadSource
from .xlsx_writer import FORMULA_START, write_workbook

CHUNK = 2000

# (key, header, SQL expression); the headers are labels the importer maps back to the field.
_OWNER = User.__table__.alias("owner")
COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("id", "Lead ID", Lead.id), ("title", "Title", Lead.title),
    ("source", "Lead source", LeadSource.name), ("campaign", "Campaign", Campaign.name),
    ("stage", "Stage", Stage.name), ("owner", "Owner", _OWNER.c.email),
    ("company_name", "Lead company name", Lead.company_name),
    ("first_name", "First name", Lead.first_name), ("middle_name", "Middle name",
                                                     Lead.middle_name),
    ("last_name", "Last name", Lead.last_name), ("email", "Email", Lead.email),
    ("phone", "Phone", Lead.phone), ("mobile", "Mobile", Lead.mobile),
    ("position", "Position", Lead.position), ("website", "Website", Lead.website),
    ("address", "Address", Lead.address), ("street", "Street", Lead.street),
    ("city", "City", Lead.city), ("state", "State", Lead.state),
    ("postcode", "Postcode", Lead.postcode), ("country", "Country", Lead.country),
    ("channel", "Content distribution channel", Lead.channel),
    ("selling_direction", "Selling direction", Lead.selling_direction),
    ("product", "Service or product", Lead.product), ("budget", "Budget", Lead.budget),
    ("currency", "Currency", Lead.currency), ("start_date", "Start date", Lead.start_date),
    ("deadline", "Deadline", Lead.deadline), ("tags", "Tags", None),
    ("description", "Description", Lead.description),
    ("created_at", "Created at", Lead.created_at),
)
COLUMN_KEYS = tuple(key for key, _, _ in COLUMNS)
COLUMN_LABELS = {key: label for key, label, _ in COLUMNS}
DEFAULT_COLUMNS = ("title", "source", "stage", "owner", "company_name", "first_name", "last_name",
                   "email", "phone", "city", "country", "budget", "currency", "tags",
                   "created_at")


def escape_formula(text: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading quote (OWASP CSV injection).
    The one CSV escape of leads: the export, the error CSV (and the import strips it again)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _row_query(lead_query: Select, keys: list[str]) -> Select:
    """The chosen columns for the leads of `lead_query` (a select of Lead), in id order."""
    ids = lead_query.with_only_columns(Lead.id).order_by(None).scalar_subquery()
    wanted = [expr for key, _, expr in COLUMNS if key in keys and expr is not None]
    query = select(Lead.id, *wanted).where(Lead.id.in_(ids)).order_by(Lead.id)
    if "source" in keys:
        query = query.outerjoin(LeadSource, LeadSource.id == Lead.source_id)
    if "campaign" in keys:
        query = query.outerjoin(Campaign, Campaign.id == Lead.campaign_id)
    if "stage" in keys:
        query = query.outerjoin(Stage, Stage.id == Lead.stage_id)
    if "owner" in keys:
        query = query.outerjoin(_OWNER, _OWNER.c.id == Lead.owner_id)
    return query


def raw_rows(lead_query: Select, keys: list[str]) -> Iterator[list[Any]]:
    """One list of database values per lead (tags joined), fetched in chunks: flat memory."""
    query = _row_query(lead_query, keys)
    sql_keys = [key for key, _, expr in COLUMNS if key in keys and expr is not None]
    where = {key: index + 1 for index, key in enumerate(sql_keys)}
    positions = [where.get(key, 0) for key in keys]
    tags_at = keys.index("tags") if "tags" in keys else -1
    custom_at = [(index, key) for index, key in enumerate(keys) if key.startswith("cf_")]
    result = db.session.execute(query.execution_options(yield_per=CHUNK))
    for partition in result.partitions():
        tags = _tags([row[0] for row in partition]) if tags_at >= 0 else {}
        custom = custom_export.cells([row[0] for row in partition],
                                     [key for _, key in custom_at]) if custom_at else {}
        for row in partition:
            values = [row[position] for position in positions]
            if tags_at >= 0:
                values[tags_at] = ", ".join(tags.get(row[0], ()))
            for index, key in custom_at:
                values[index] = custom.get(row[0], {}).get(key)
            yield values


def rows(lead_query: Select, keys: list[str]) -> Iterator[list[Any]]:
    """Like raw_rows, with every value as the text or number a spreadsheet cell holds."""
    for values in raw_rows(lead_query, keys):
        yield [cell(value) for value in values]


def _tags(lead_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    query = (select(lead_tags.c.lead_id, Tag.name).join(Tag, Tag.id == lead_tags.c.tag_id)
             .where(lead_tags.c.lead_id.in_(lead_ids)).order_by(Tag.name))
    for lead_id, name in db.session.execute(query):
        found.setdefault(lead_id, []).append(name)
    return found


def stream_csv(lead_query: Select, keys: list[str]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel reads accents right), formula cells escaped, 64 KB chunks."""
    header = io.StringIO()
    # Custom field labels are typed by users too: the header row is escaped like the cells.
    csv.writer(header).writerow([escape_formula(_label(key)) for key in keys])
    yield ("\ufeff" + header.getvalue()).encode()
    yield from _csv_lines(lead_query, keys)


def _csv_lines(lead_query: Select, keys: list[str]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    stamps = [index for index, key in enumerate(keys) if key == "created_at"]
    risky = set(FORMULA_START)
    for values in raw_rows(lead_query, keys):
        for index in stamps:
            values[index] = cell(values[index])
        # csv writes None as "" and numbers and dates with str(); only text can be a formula.
        writer.writerow([f"'{value}" if value.__class__ is str and value[:1] in risky else value
                         for value in values])
        if buffer.tell() >= 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def ordered_keys(chosen: Iterable[str]) -> list[str]:
    """The chosen column keys that exist, in the export's column order (custom fields last)."""
    wanted = set(chosen)
    return [key for key in COLUMN_KEYS if key in wanted] + [
        key for key, _label in custom_export.columns() if key in wanted]


def _label(key: str) -> str:
    return COLUMN_LABELS.get(key) or custom_export.label(key)


def write_xlsx(lead_query: Select, keys: list[str]) -> tempfile.SpooledTemporaryFile:
    """An .xlsx written row by row (xlsx_writer; openpyxl takes ~40x longer). Text goes in as
    inline strings, which never run as formulas, so no cell needs the CSV's quote prefix."""
    # Returned open: the route streams it and closes it when the response ends.
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        write_workbook(target, "Leads", _xlsx_rows(lead_query, keys))
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


def _xlsx_rows(lead_query: Select, keys: list[str]) -> Iterator[list[Any]]:
    """The header, then each lead with the values a cell cannot hold as they are made text
    (timestamps and decimals, as the CSV has them); numbers and dates stay typed."""
    yield [_label(key) for key in keys]
    stamps = [index for index, key in enumerate(keys) if key == "created_at"]
    decimals = [index for index, key in enumerate(keys) if key == "budget"]
    for values in raw_rows(lead_query, keys):
        # What cell() does, inlined: this runs for every lead.
        for index in stamps:
            if values[index] is not None:
                values[index] = values[index].strftime("%Y-%m-%d %H:%M:%S")
        for index in decimals:
            if values[index] is not None:
                values[index] = format(values[index], "f")
        yield values


def file_chunks(handle: Any) -> Iterator[bytes]:
    """Stream a finished file, closing it when done (or when the client goes away)."""
    try:
        while chunk := handle.read(64 * 1024):
            yield chunk
    finally:
        handle.close()


# ---- which leads: the lead list's filter, or a selection -------------------------------------

SELECTION_KEYS = ("lead_ids", "ids")
FILTER_LABELS = {"q": "Search", "source": "Source", "campaign": "Campaign", "stage": "Stage",
                 "status": "Status", "owner": "Owner", "team": "Team", "tag": "Tag",
                 "city": "City", "email": "Email", "created_from": "Created from",
                 "created_to": "Created to", "budget_min": "Budget from",
                 "budget_max": "Budget to", "converted": "Including converted"}


def chosen_columns(args: Any) -> list[str]:
    """The columns ticked on the export form; the defaults before the form was sent."""
    if "columns" not in args and not args.get("columns_chosen"):
        return [*DEFAULT_COLUMNS, *(key for key, _label in custom_export.columns())]
    return ordered_keys(args.getlist("columns"))


def _selection(args: Any) -> list[int]:
    ids = [value for key in SELECTION_KEYS for value in args.getlist(key)]
    return [int(value) for value in ids if str(value).isdecimal()][:10_000]


def lead_query(args: Any, user: User) -> tuple[Select, str]:
    """(select of the leads to export, a word for the file name: all / filtered / selection)."""
    from ..leads import listing
    from ..leads.scope import scoped

    ids = _selection(args)
    if ids:
        return scoped(select(Lead).where(Lead.id.in_(ids)), user), "selection"
    filters = listing.parse_filters(args)
    what = "filtered" if filters.search_term or filters.active_filter_count else "all"
    return listing.matching(filters, user), what


@dataclass
class ExportSummary:
    count: int
    what: str
    described: list[tuple[str, str]]  # (label, value) of each filter applied
    params: list[tuple[str, str]]  # query parameters to carry to the file URL
    list_params: dict[str, str]


def summary(args: Any, user: User) -> ExportSummary:
    """How many leads an export would hold, and which filter or selection picks them."""
    from sqlalchemy import func

    from ..leads import listing

    query, what = lead_query(args, user)
    count = db.session.scalar(select(func.count()).select_from(
        query.with_only_columns(Lead.id).order_by(None).subquery())) or 0
    ids = _selection(args)
    if ids:
        params = [("lead_ids", str(lead_id)) for lead_id in ids]
        return ExportSummary(count, what, [("Selected leads", str(len(ids)))], params, {})
    filters = listing.parse_filters(args)
    kept = {key: value for key, value in filters.query().items()
            if key in listing.FILTER_KEYS}
    described = [(FILTER_LABELS.get(key, key), _describe(key, value))
                 for key, value in kept.items()]
    return ExportSummary(count, what, described, list(kept.items()), kept)


def _describe(key: str, value: str) -> str:
    from ..auth.models import Team

    models = {"source": (LeadSource, "name"), "campaign": (Campaign, "name"),
              "stage": (Stage, "name"), "team": (Team, "name"), "tag": (Tag, "name")}
    if key in models and value.isdecimal():
        model, attribute = models[key]
        row = db.session.get(model, int(value))
        return getattr(row, attribute) if row else value
    if key == "owner" and value.isdecimal():
        owner = db.session.get(User, int(value))
        return owner.display_name if owner else value
    return "yes" if key == "converted" else value
