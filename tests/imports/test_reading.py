"""File checks, encoding and delimiter detection, and the CSV/XLSX row readers."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from leadapp.errors import RuleViolation
from leadapp.imports.reading import cell_text, inspect_file, iter_rows, read_header

HEADER = "Title;Name;City\r\n"
ROW = "Café Müller;Zoë Ångström;Köln\r\n"
LIMIT = 10 * 1024 * 1024


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"),
    ("utf-16-le", "utf-16-le"), ("cp1252", "cp1252"),
])
def test_inspect_csv_in_each_encoding_detects_it_and_reads_accents(tmp_path, encoding, expected):
    path = write(tmp_path, "leads.csv", (HEADER + ROW).encode(encoding))
    info = inspect_file(path, "leads.csv", LIMIT)
    assert (info.file_format, info.encoding, info.delimiter) == ("csv", expected, ";")
    rows = list(iter_rows(path, "csv", encoding=info.encoding, delimiter=info.delimiter))
    assert rows == [["Title", "Name", "City"], ["Café Müller", "Zoë Ångström", "Köln"]]


def test_inspect_latin1_with_bytes_undefined_in_cp1252_falls_back_to_latin1(tmp_path):
    path = write(tmp_path, "leads.csv", b"Title,Note\r\nA,\x81\x8d\r\n")
    assert inspect_file(path, "leads.csv", LIMIT).encoding == "latin-1"


@pytest.mark.parametrize(("delimiter", "name"), [
    (",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "pipe"),
])
def test_detect_delimiter_with_quoted_cells_picks_the_real_one(tmp_path, delimiter, name):
    lines = [["Title", "Company", "Notes"], ["Deal", '"Acme, Inc; Ltd"', '"a|b\tc"'],
             ["Other", "Beta", "plain"]]
    text = "\n".join(delimiter.join(line) for line in lines) + "\n"
    path = write(tmp_path, "leads.csv", text.encode())
    info = inspect_file(path, "leads.csv", LIMIT)
    assert info.delimiter == delimiter, name
    header, samples = read_header(path, "csv", encoding=info.encoding, delimiter=info.delimiter)
    assert header == ["Title", "Company", "Notes"]
    assert samples[0] == ["Deal", "Acme, Inc; Ltd", "a|b\tc"]


def test_read_header_with_blank_lines_skips_them_in_samples(tmp_path):
    path = write(tmp_path, "leads.csv", b"Title,Email\n\n,\nA,a@x.com\n")
    header, samples = read_header(path, "csv")
    assert header == ["Title", "Email"] and samples == [["A", "a@x.com"]]


@pytest.mark.parametrize(("name", "data", "message"), [
    ("leads.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    ("leads.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
    ("leads.csv", b"Title\x00\x01\x02\x03binary\x00stuff\x00\x00\xff\xfe", "binary"),
    ("leads.pdf", b"Title\nA\n", ".csv or .xlsx"),
    ("leads.csv", b"", "empty"),
    ("leads.xlsx", b"Title,Email\nA,a@x.com\n", "not a real .xlsx"),
])
def test_inspect_wrong_type_is_refused_with_a_message(tmp_path, name, data, message):
    path = write(tmp_path, name, data)
    with pytest.raises(RuleViolation, match=message):
        inspect_file(path, name, LIMIT)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_inspect_zip_bomb_renamed_xlsx_is_refused_before_opening(tmp_path):
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"0" * 50_000_000})
    assert len(bomb) < 100_000
    path = write(tmp_path, "leads.xlsx", bomb)
    with pytest.raises(RuleViolation, match="unpacks to far more data"):
        inspect_file(path, "leads.xlsx", LIMIT)


def test_inspect_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = write(tmp_path, "leads.xlsx", _zip({"readme.txt": b"hello"}))
    with pytest.raises(RuleViolation, match="not an Excel workbook"):
        inspect_file(path, "leads.xlsx", LIMIT)


def test_inspect_xlsx_renamed_csv_is_refused(tmp_path):
    path = write(tmp_path, "leads.csv", _zip({"xl/workbook.xml": b"<workbook/>"}))
    with pytest.raises(RuleViolation, match="zip archive"):
        inspect_file(path, "leads.csv", LIMIT)


def test_inspect_truncated_xlsx_is_refused(tmp_path):
    data = _zip({"xl/workbook.xml": b"<workbook/>" * 100})[:60]
    path = write(tmp_path, "leads.xlsx", data)
    with pytest.raises(RuleViolation):
        inspect_file(path, "leads.xlsx", LIMIT)


def make_workbook(path: Path) -> Path:
    workbook = Workbook()
    first = workbook.active
    first.title = "Notes"
    first.append(["Nothing here"])
    second = workbook.create_sheet("Leads")
    second.append(["Title", "Budget", "Start date", "Phone"])
    second.append(["Deal", 1500.0, datetime(2026, 3, 1), 12025550143])
    second.append([None, None, None, None])
    second.append(["Other", 99.5, date(2026, 4, 2), "+44 20 7946 0958"])
    workbook.save(path)
    return path


def test_xlsx_sheets_listed_and_chosen_sheet_read_as_text(tmp_path):
    path = make_workbook(tmp_path / "book.xlsx")
    info = inspect_file(path, "book.xlsx", LIMIT)
    assert info.file_format == "xlsx" and info.sheets == ("Notes", "Leads")
    rows = list(iter_rows(path, "xlsx", sheet="Leads"))
    assert rows[0] == ["Title", "Budget", "Start date", "Phone"]
    assert rows[1] == ["Deal", "1500", "2026-03-01", "12025550143"]
    assert rows[2] == []
    assert rows[3] == ["Other", "99.5", "2026-04-02", "+44 20 7946 0958"]
    assert list(iter_rows(path, "xlsx", sheet="Notes")) == [["Nothing here"]]


def test_cell_text_formats_values_like_a_user_types_them():
    assert cell_text(None) == ""
    assert cell_text(3.0) == "3"
    assert cell_text(datetime(2026, 1, 2, 13, 5)) == "2026-01-02 13:05:00"
    assert cell_text(True) == "yes"
