"""A small streaming XLSX writer: one sheet of inline strings, numbers and dates, written row by
row into a zip, so a large export costs neither the time nor the memory of openpyxl's model.

Only the parts a reader needs are written (content types, relationships, workbook, a minimal
stylesheet with one date format, the sheet). Text is always an inline string, which Excel never
evaluates, so a value starting with "=" stays text without any escaping."""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import cache
from operator import itemgetter, not_
from typing import IO, Any, NamedTuple
from xml.sax.saxutils import quoteattr

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

CONTENT_TYPES = (
    f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/></Types>')
ROOT_RELS = (
    f'{_HEAD}<Relationships xmlns="{PACKAGE_REL_NS}"><Relationship Id="rId1" '
    f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK_RELS = (
    f'{_HEAD}<Relationships xmlns="{PACKAGE_REL_NS}">'
    f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL_NS}/styles" Target="styles.xml"/></Relationships>')
# Style 1 is the date format openpyxl uses, so dates read back as dates (and look like them).
# Style 2 is Excel's "quote prefix": text that looks like a formula stays text even when a user
# edits the cell (a shared string alone becomes a formula on F2 + Enter); the value is unchanged.
STYLES = (
    f'{_HEAD}<styleSheet xmlns="{MAIN_NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula
SHEET_START = f'{_HEAD}<worksheet xmlns="{MAIN_NS}"><sheetData>'
SHEET_END = "</sheetData></worksheet>"

# XML 1.0 forbids these code points outright; they are dropped.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A text holding any of these goes the slow, escaping way. A row's texts are probed at once,
# joined by \x7f (legal in XML, never special), so a clean row costs one regex search.
_UNSAFE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A text that starts like a formula (E.164 phones do: "+49…") gets the quote-prefix style through
# a template of its own; tab and CR starts already fail the strip check and go cell by cell.
_FORMULA_AT = re.compile("(?:^|\x7f)[=+\\-@]")
_EXCEL_EPOCH = date(1899, 12, 30)
BATCH = 256 * 1024
MAX_PLANS = 4096
_NO_PLAN = object()
COMPRESS_LEVEL = 1  # XML shrinks ~10x even at level 1; higher levels cost seconds per 100k rows


def write_workbook(target: IO[bytes], sheet_name: str, rows: Iterable[Sequence[Any]]) -> None:
    """Write an .xlsx with one sheet to `target` (a seekable binary file), streaming `rows`.
    Cells may be str, int, float, bool, date or None; datetimes and other types are written as
    their str(). Empty strings and None leave the cell empty."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED,
                         compresslevel=COMPRESS_LEVEL) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook(sheet_name))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            _write_sheet(sheet, rows)


def _workbook(sheet_name: str) -> str:
    name = quoteattr(_FORBIDDEN.sub("", sheet_name)[:31] or "Sheet1")
    return (f'{_HEAD}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
            f'<sheet name={name} sheetId="1" r:id="rId1"/></sheets></workbook>')


def _write_sheet(sheet: IO[bytes], rows: Iterable[Sequence[Any]]) -> None:
    parts, size = [SHEET_START], 0
    plans: dict[tuple, _Plan | None] = {}
    for number, values in enumerate(rows, start=1):
        row = _planned_row(plans, number, values) or _row(number, values)
        parts.append(row)
        size += len(row)
        if size >= BATCH:
            sheet.write("".join(parts).encode())
            parts, size = [], 0
    parts.append(SHEET_END)
    sheet.write("".join(parts).encode())


class _Plan(NamedTuple):
    """A row shape's XML as one str.format template ({0} is the row number, {i+1} value i)."""

    template: str
    texts: Callable[[Sequence[Any]], tuple[str, ...]]  # the text values, to check them at once
    dates: tuple[int, ...]  # formatted as extra arguments after the values
    text_indexes: tuple[int, ...]


def _planned_row(plans: dict[tuple, _Plan | None], number: int, values: Sequence[Any]) -> str:
    """The row through its shape's template, or "" when a value needs escaping or converting.
    Rows of an export share a few hundred shapes, and one C-level format per row is far cheaper
    than building each cell (3 million cells per 100k leads) in Python."""
    shape = (tuple(map(type, values)), tuple(map(not_, values)))
    plan = _cached_plan(plans, shape, values, frozenset())
    if plan is None:
        return ""
    texts = plan.texts(values)
    if texts:
        probe = "\x7f".join(texts)
        if _UNSAFE.search(probe) or "\x7f".join(map(str.strip, texts)) != probe:
            return ""
        if _FORMULA_AT.search(probe):
            styled = frozenset(index for index, text in zip(plan.text_indexes, texts, strict=True)
                               if text[:1] in FORMULA_START)
            plan = _cached_plan(plans, (shape, styled), values, styled)
            if plan is None:
                return ""
    serials = [excel_serial(values[index]) for index in plan.dates]
    return plan.template.format(str(number), *values, *serials)


def _cached_plan(plans: dict[tuple, _Plan | None], key: tuple, values: Sequence[Any],
                 styled: frozenset[int]) -> _Plan | None:
    plan = plans.get(key, _NO_PLAN)
    if plan is _NO_PLAN:
        if len(plans) >= MAX_PLANS:
            plans.clear()  # odd data with endless shapes: keep memory flat
        plan = plans[key] = _plan(values, styled)
    return plan


def _plan(values: Sequence[Any], styled: frozenset[int] = frozenset()) -> _Plan | None:
    parts, texts, dates = ['<row r="{0}">'], [], []
    for index, (letter, value) in enumerate(zip(_letters(len(values)), values, strict=True)):
        kind = value.__class__
        if value is None or (kind is str and not value):
            continue
        ref = f"{letter}{{0}}"
        if kind is str:
            texts.append(index)
            style = ' s="2"' if index in styled else ""
            parts.append(f'<c r="{ref}"{style} t="inlineStr"><is><t>{{{index + 1}}}</t></is></c>')
        elif kind is int:
            parts.append(f'<c r="{ref}"><v>{{{index + 1}}}</v></c>')
        elif kind is date:
            dates.append(index)
            parts.append(f'<c r="{ref}" s="1"><v>{{{len(values) + len(dates)}}}</v></c>')
        else:
            return None  # bool, float, other types: the cell-by-cell path
    parts.append("</row>")
    return _Plan("".join(parts), _picker(texts), tuple(dates), tuple(texts))


def _picker(indexes: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    if len(indexes) > 1:
        return itemgetter(*indexes)
    if indexes:
        only = indexes[0]
        return lambda values: (values[only],)
    return lambda values: ()


@cache
def _letters(count: int) -> list[str]:
    return [column_letter(index) for index in range(count)]


def _row(number: int, values: Sequence[Any]) -> str:
    """One <row> built cell by cell, escaping text; cells carry their reference, so empty
    cells are simply left out."""
    cells = [f'<row r="{number}">']
    for letter, value in zip(_letters(len(values)), values, strict=True):
        if value is None or value == "":
            continue
        cells.append(_cell(f"{letter}{number}", value))
    cells.append("</row>")
    return "".join(cells)


def _cell(ref: str, value: Any) -> str:
    if value.__class__ is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if value.__class__ is int or (value.__class__ is float and math.isfinite(value)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if value.__class__ is date:
        return f'<c r="{ref}" s="1"><v>{excel_serial(value)}</v></c>'
    return _text_cell(ref, value if value.__class__ is str else str(value))


def _text_cell(ref: str, value: str) -> str:
    value = _FORBIDDEN.sub("", value)
    style = ' s="2"' if value[:1] in FORMULA_START else ""
    # Excel trims edge whitespace unless told not to.
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    value = (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
             .replace("\r", "&#13;"))  # a raw CR would be read back as LF
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{value}</t></is></c>'


def excel_serial(day: date) -> int:
    """Excel's day number for a date (1900 date system)."""
    serial = (day - _EXCEL_EPOCH).days
    # Excel counts a 29 Feb 1900 that never was; days before it shift by one (as openpyxl does).
    return serial - 1 if 0 < serial <= 60 else serial


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters

