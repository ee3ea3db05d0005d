"""Reading uploaded spreadsheets: file type checks, encoding and delimiter detection, and
streaming row readers for CSV and XLSX (openpyxl read-only mode), one list of strings per row."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from ..errors import RuleViolation

CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_LABELS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16",
                   "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE",
                   "cp1252": "Windows-1252 (Latin-1)", "latin-1": "Latin-1"}
SAMPLE_BYTES = 64 * 1024
CHUNK = 1024 * 1024
# An xlsx is a zip; a few KB can inflate to gigabytes. Refuse archives that would.
MAX_XLSX_RATIO = 200
BINARY_SIGNATURES = {
    b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image", b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file",
    b"\x1f\x8b": "a gzip archive", b"Rar!": "a RAR archive", b"7z\xbc\xaf": "a 7-Zip archive",
}


@dataclass(frozen=True)
class FileInfo:
    """What the upload turned out to be."""

    file_format: str  # "csv" | "xlsx"
    encoding: str = ""
    delimiter: str = ""
    sheets: tuple[str, ...] = ()


def inspect_file(path: Path, filename: str, max_uncompressed: int) -> FileInfo:
    """Check the upload is a readable CSV or XLSX and detect how to read it (else RuleViolation)."""
    name = filename.lower()
    if not name.endswith(CSV_EXTENSIONS + XLSX_EXTENSIONS):
        raise RuleViolation("Upload a .csv or .xlsx file.", field="file")
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise RuleViolation("The file is empty.", field="file")
    for signature, what in BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise RuleViolation(f"This file is {what}, not a CSV or Excel sheet.", field="file")
    if head.startswith(b"PK"):
        if not name.endswith(XLSX_EXTENSIONS):
            raise RuleViolation("This file is a zip archive (perhaps an Excel file renamed .csv); "
                                "upload it with its .xlsx name.", field="file")
        return FileInfo("xlsx", sheets=tuple(check_xlsx(path, max_uncompressed)))
    if name.endswith(XLSX_EXTENSIONS):
        raise RuleViolation("This file is not a real .xlsx workbook. Save it from Excel as "
                            "“Excel Workbook (.xlsx)” or as CSV.", field="file")
    encoding = detect_encoding(path)
    return FileInfo("csv", encoding=encoding, delimiter=detect_delimiter(path, encoding))


def check_xlsx(path: Path, max_uncompressed: int) -> list[str]:
    """Refuse broken or bomb-like archives before openpyxl inflates anything; return sheet names."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            total = sum(info.file_size for info in infos)
            packed = sum(info.compress_size for info in infos) or 1
    except zipfile.BadZipFile as exc:
        raise RuleViolation("This .xlsx file is damaged and cannot be opened.",
                            field="file") from exc
    if "xl/workbook.xml" not in names:
        raise RuleViolation("This zip archive is not an Excel workbook.", field="file")
    if total > max_uncompressed or total / packed > MAX_XLSX_RATIO:
        raise RuleViolation("This workbook unpacks to far more data than it holds, so it was "
                            "refused. Save it again from Excel, or export it as CSV.", field="file")
    return sheet_names(path)


def sheet_names(path: Path) -> list[str]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise RuleViolation("This .xlsx file could not be read. Save it again from Excel.",
                            field="file") from exc
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


# ---- CSV -------------------------------------------------------------------------------------

def detect_encoding(path: Path) -> str:
    """BOM first; then UTF-16 without BOM (NUL bytes); then UTF-8 if the whole file decodes."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.count(b"\x00") > len(head) // 4:
        even_nuls = head[0::2].count(b"\x00")
        return "utf-16-be" if even_nuls > len(head) // 4 else "utf-16-le"
    if b"\x00" in head:
        raise RuleViolation("This file holds binary data, not CSV text.", field="file")
    if _decodes(path, "utf-8"):
        return "utf-8"
    # Windows-1252 is what "Latin-1" means in practice; five bytes are undefined in it.
    return "cp1252" if _decodes(path, "cp1252") else "latin-1"


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_delimiter(path: Path, encoding: str) -> str:
    """The candidate that splits the first lines into the same, largest number of columns."""
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(SAMPLE_BYTES)
    lines = sample.splitlines()[:30]
    if len(sample) == SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        if not widths or widths[0] < 2:
            continue
        consistent = sum(1 for width in widths if width == widths[0]) / len(widths)
        score = (round(consistent, 2), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def iter_csv(path: Path, encoding: str, delimiter: str) -> Iterator[list[str]]:
    with path.open(encoding=encoding, newline="", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            yield from reader
        except csv.Error as exc:
            raise RuleViolation(csv_problem(exc, reader.line_num), field="file") from exc


def csv_problem(error: csv.Error, line: int) -> str:
    """What to fix, for a CSV the reader gave up on (at `line` of the file)."""
    if "field larger than field limit" in str(error):
        # The csv module's limit stays: it keeps one runaway cell from filling the memory.
        return (f"Line {line:,} has a cell longer than {csv.field_size_limit():,} characters. "
                "Usually a quote (\") opens a cell and is never closed, so the rest of the file "
                "runs into that cell: check the quotes on that line, or shorten the cell, and "
                "upload the file again.")
    return (f"Line {line:,} of the file could not be read as CSV ({error}). Fix that line, or "
            "save the sheet again as CSV, and upload it again.")


# ---- XLSX ------------------------------------------------------------------------------------

def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a user would type: dates ISO, whole numbers without .0."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def iter_xlsx(path: Path, sheet: str) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
        rows = worksheet.iter_rows(values_only=True)
        while True:
            try:
                row = next(rows, None)
            except Exception as exc:  # the sheet's XML is parsed as it is read: ParseError etc.
                raise RuleViolation(damaged_sheet(worksheet.title), field="file") from exc
            if row is None:
                return
            yield [cell_text(value) for value in row]
    finally:
        workbook.close()


def damaged_sheet(title: str) -> str:
    return (f"The sheet “{title}” of this workbook is damaged and its rows cannot be read. Open "
            "the file in Excel or LibreOffice and save it again as .xlsx (or export the sheet "
            "as CSV), then upload it again.")


def estimate_rows(path: Path, file_format: str, *, encoding: str = "utf-8",
                  sheet: str = "") -> int:
    """Roughly how many rows follow the header, cheaply, for a progress bar: CSV line breaks
    (a cell holding line breaks counts extra), the sheet's stated size for XLSX (0: unknown)."""
    if file_format == "xlsx":
        return _xlsx_size(path, sheet)
    lines, tail = 0, ""
    with path.open(encoding=encoding, newline="", errors="replace") as handle:
        while chunk := handle.read(CHUNK):
            lines += chunk.count("\n")
            tail = chunk[-1]
    if tail and tail != "\n":
        lines += 1  # the last line has no line break
    return max(lines - 1, 0)


def _xlsx_size(path: Path, sheet: str) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = workbook[sheet] if sheet in workbook.sheetnames else workbook.worksheets[0]
        return max((worksheet.max_row or 0) - 1, 0)
    except Exception:  # a damaged sheet: the check itself says so
        return 0
    finally:
        workbook.close()


# ---- one interface ---------------------------------------------------------------------------

def iter_rows(path: Path, file_format: str, *, encoding: str = "utf-8", delimiter: str = ",",
              sheet: str = "") -> Iterator[list[str]]:
    """Every row of the file (the header first), cells as stripped strings, trailing blanks cut."""
    rows = iter_xlsx(path, sheet) if file_format == "xlsx" else iter_csv(path, encoding, delimiter)
    try:
        for row in rows:
            cells = [cell.strip() for cell in row]
            while cells and not cells[-1]:
                cells.pop()
            yield cells
    finally:
        rows.close()


def read_header(path: Path, file_format: str, **kwargs: str) -> tuple[list[str], list[list[str]]]:
    """The header row and up to five sample rows."""
    rows = iter_rows(path, file_format, **kwargs)
    try:
        header = next(rows, [])
        samples: list[list[str]] = []
        for row in rows:
            if any(row):
                samples.append(row)
            if len(samples) == 5:
                break
    finally:
        rows.close()
    return header, samples


def to_csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()
