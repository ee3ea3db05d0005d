"""Export: filters and selection, columns, formula escaping, CSV/XLSX, and the round trip."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from leadapp.db_types import utcnow
from leadapp.extensions import db
from leadapp.imports import xlsx_writer
from leadapp.imports.export import escape_formula
from leadapp.imports.reading import cell_text
from leadapp.imports.xlsx_writer import write_workbook
from leadapp.models import Lead
from tests.factories import LeadFactory, LeadSourceFactory, TagFactory
from tests.imports.conftest import job_of

FIELDS = ("title", "company_name", "first_name", "middle_name", "last_name", "email", "phone",
          "mobile", "position", "website", "address", "street", "city", "state", "postcode",
          "country", "channel", "selling_direction", "product", "budget", "currency",
          "start_date", "deadline", "description")


def make_leads(app) -> dict[str, int]:
    with app.app_context():
        fair, web = LeadSourceFactory(name="Fair"), LeadSourceFactory(name="Web")
        vip = TagFactory(name="vip")
        rich = LeadFactory(
            title="=HYPERLINK(\"http://evil\")", source=fair, company_name="Acme, Inc.",
            first_name="Zoë", middle_name="Q", last_name="Ångström", email="zoe@example.com",
            phone="+12025550143", mobile="+442079460958", position="CTO",
            website="https://acme.example", address="1 Main St", street="Main", city="Köln",
            state="NRW", postcode="50667", country="Germany", channel="Ads",
            selling_direction="EU", product="Widgets", budget=Decimal("1234.50"),
            currency="EUR", start_date=date(2026, 1, 2), deadline=date(2026, 3, 4),
            description="Line one\nline two, with comma", tags=[vip])
        plain = LeadFactory(title="Plain", source=web, email="p@example.com", budget=None)
        trashed = LeadFactory(title="Trashed", source=web, deleted_at=utcnow())
        return {"rich": rich.id, "plain": plain.id, "trashed": trashed.id, "fair": fair.id}


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_escape_formula_prefixes_dangerous_starts_only():
    for text in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert escape_formula(text) == "'" + text
    assert escape_formula("Acme") == "Acme" and escape_formula("") == ""


def test_export_page_shows_count_of_filtered_leads_and_keeps_filter(app, client, login):
    login("marketeer")
    ids = make_leads(app)
    page = client.get(f"/admin/leads/export?source={ids['fair']}").get_data(as_text=True)
    assert "1 lead" in page and "Source: Fair" in page
    assert f'name="source" value="{ids["fair"]}"' in page


def test_export_csv_streams_chosen_columns_escaped_and_without_trash(app, client, login):
    login()
    make_leads(app)
    response = client.get("/admin/leads/export/file?format=csv&columns=title&columns=email"
                          "&columns=tags&columns=phone&converted=1")
    assert response.status_code == 200 and response.is_streamed
    disposition = response.headers["Content-Disposition"]
    assert re.search(r'filename="leads-all-\d{4}-\d{2}-\d{2}-\d{4}\.csv"', disposition)
    rows = read_csv(response)
    assert rows[0] == ["Title", "Email", "Phone", "Tags"]
    assert sorted(rows[1:]) == sorted([["'=HYPERLINK(\"http://evil\")", "zoe@example.com",
                                        "'+12025550143", "vip"],
                                       ["Plain", "p@example.com", "", ""]])


def test_export_with_filter_names_the_file_filtered_and_applies_it(app, client, login):
    login()
    ids = make_leads(app)
    response = client.get(f"/admin/leads/export/file?source={ids['fair']}&columns=title")
    assert "leads-filtered-" in response.headers["Content-Disposition"]
    assert read_csv(response) == [["Title"], ["'=HYPERLINK(\"http://evil\")"]]


def test_export_of_selection_exports_only_those_leads(app, client, login):
    login()
    ids = make_leads(app)
    response = client.get(f"/admin/leads/export/file?lead_ids={ids['plain']}&columns=title"
                          "&columns_chosen=1")
    assert "leads-selection-" in response.headers["Content-Disposition"]
    assert read_csv(response) == [["Title"], ["Plain"]]


def test_export_with_no_columns_chosen_is_422_with_message(app, client, login):
    login()
    response = client.get("/admin/leads/export/file?columns_chosen=1&format=csv")
    assert response.status_code == 422
    assert "Choose at least one column" in response.get_data(as_text=True)


def test_export_xlsx_stores_formulas_as_text(app, client, login):
    login()
    make_leads(app)
    response = client.get("/admin/leads/export/file?format=xlsx&columns=title&columns=budget")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(response.get_data()))
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    assert rows[0] == ("Title", "Budget")
    cells = {row[0]: row[1] for row in rows[1:]}
    assert cells['=HYPERLINK("http://evil")'] == "1234.50"
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert all(cell.data_type == "s" for cell in sheet["A"])


def _round_trip(app, client, start_import, run_job, fmt: str) -> None:
    ids = make_leads(app)
    columns = "&".join(f"columns={key}" for key in (
        "id", "title", "source", "stage", "owner", "tags", "created_at", *FIELDS))
    exported = client.get(f"/admin/leads/export/file?format={fmt}&{columns}")
    assert exported.status_code == 200
    job_id = start_import(exported.get_data(), filename=f"export.{fmt}", mode="create",
                          match_keys=())
    run_job(job_id)
    assert job_of(app, job_id).created_count == 2 and job_of(app, job_id).failed_count == 0
    with app.app_context():
        for key in ("rich", "plain"):
            original = db.session.get(Lead, ids[key])
            copy = db.session.scalar(select(Lead).where(Lead.ref == f"import:{job_id}",
                                                        Lead.title == original.title))
            assert copy is not None, original.title
            for name in FIELDS:
                assert getattr(copy, name) == getattr(original, name), name
            assert copy.source_id == original.source_id
            assert [tag.name for tag in copy.tags] == [tag.name for tag in original.tags]


def test_export_csv_then_reimport_gives_the_same_leads(app, client, login, start_import,
                                                       run_job):
    login()
    _round_trip(app, client, start_import, run_job, "csv")


def test_export_xlsx_then_reimport_gives_the_same_leads(app, client, login, start_import,
                                                        run_job):
    login()
    _round_trip(app, client, start_import, run_job, "xlsx")


def test_export_xlsx_holds_the_same_cells_as_the_csv(app, client, login):
    login()
    make_leads(app)
    columns = "&".join(f"columns={key}" for key in (
        "id", "title", "source", "tags", "created_at", *FIELDS))
    csv_rows = read_csv(client.get(f"/admin/leads/export/file?format=csv&{columns}"))
    response = client.get(f"/admin/leads/export/file?format=xlsx&{columns}")
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert workbook.sheetnames == ["Leads"]
    xlsx_rows = [[cell_text(value) for value in row]
                 for row in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    assert len(xlsx_rows) == len(csv_rows) == 3
    for csv_row, xlsx_row in zip(csv_rows, xlsx_rows, strict=True):
        xlsx_row += [""] * (len(csv_row) - len(xlsx_row))  # trailing empty cells are left out
        # The CSV quotes what a spreadsheet would run; an XLSX inline string never runs.
        assert [text[1:] if text[:2] in ("'=", "'+") else text
                for text in csv_row] == xlsx_row


def test_xlsx_writer_escapes_text_and_types_numbers_and_dates(tmp_path):
    texts = ["a & b <c> \"d\" 'e'", " edge ", "tab\there", "cr\r\nlf", "bell\x07\x00gone",
             "=1+1", "_x0041_", "Zoë Ångström", "{0} {1}"]
    path = tmp_path / "book.xlsx"
    with path.open("wb") as target:
        write_workbook(target, "Leads & more", [
            ["Text", "Number", "Date"], *([text, 7, date(2026, 1, 2)] for text in texts),
            [None, "", None, 2.5, True, Decimal("1.10")]])
    workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet.title == "Leads & more"
    rows = list(sheet.iter_rows(values_only=True))
    workbook.close()
    cleaned = [text.replace("\x07\x00", "") for text in texts]
    assert [row[:3] for row in rows[1:-1]] == [
        (text, 7, datetime(2026, 1, 2)) for text in cleaned]
    assert rows[-1] == (None, None, None, 2.5, True, "1.10")


def test_xlsx_writer_plain_rows_match_the_escaping_path():
    rows = [[1, "Acme", None, "", date(2026, 1, 2), "x"], [2, "B", "c", "d", None, ""]]
    plans: dict = {}
    for number, values in enumerate(rows, start=1):
        assert xlsx_writer._planned_row(plans, number, values) == xlsx_writer._row(
            number, values)
    assert xlsx_writer._planned_row(plans, 3, ["a<b"]) == ""
    assert xlsx_writer.excel_serial(date(1900, 1, 1)) == 1
    assert xlsx_writer.excel_serial(date(2026, 1, 2)) == 46024
    assert [xlsx_writer.column_letter(i) for i in (0, 25, 26, 701, 702)] == [
        "A", "Z", "AA", "ZZ", "AAA"]
