"""Custom fields in exports (CSV/XLSX columns) and in import mapping."""

from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import select

from leadapp.custom_fields.models import FieldKind
from leadapp.extensions import db
from leadapp.imports.models import ImportJob
from leadapp.leads.models import Lead
from tests.custom_fields.helpers import make_field, set_value, value_of
from tests.factories import LeadFactory, LeadSourceFactory


def _read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _setup(app) -> int:
    seats = make_field(app, "Seats", FieldKind.number)
    colours = make_field(app, "Colours", FieldKind.multi_choice, options=["Red", "Blue"])
    note = make_field(app, "Note", FieldKind.text)
    with app.app_context():
        lead_id = LeadFactory(title="Exported").id
        LeadFactory(title="Empty one")
    set_value(app, lead_id, seats, "12")
    set_value(app, lead_id, colours, ["Blue", "Red"])
    set_value(app, lead_id, note, "=cmd()")
    return lead_id


def test_export_page_offers_custom_columns_checked_by_default(app, client, login):
    login()
    _setup(app)
    page = client.get("/admin/leads/export").get_data(as_text=True)
    assert 'name="columns" value="cf_seats" checked' in page
    assert 'value="cf_colours" checked> Colours' in page


def test_csv_export_has_custom_columns_typed_and_formula_safe(app, client, login):
    login()
    _setup(app)
    response = client.get("/admin/leads/export/file?format=csv&columns=title&columns=cf_seats"
                          "&columns=cf_colours&columns=cf_note")
    rows = _read_csv(response)
    assert rows[0] == ["Title", "Seats", "Colours", "Note"]
    assert sorted(rows[1:]) == [["Empty one", "", "", ""], ["Exported", "12", "Red|Blue",
                                                             "'=cmd()"]]


def test_xlsx_export_has_custom_columns(app, client, login):
    login()
    _setup(app)
    response = client.get("/admin/leads/export/file?format=xlsx&columns=title&columns=cf_seats"
                          "&columns=cf_colours")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Title", "Seats", "Colours"]
    assert ["Exported", 12, "Red|Blue"] in rows[1:]


def test_export_filtered_by_a_custom_field(app, client, login):
    login()
    _setup(app)
    response = client.get("/admin/leads/export/file?format=csv&columns=title&cf_seats_min=5")
    assert _read_csv(response) == [["Title"], ["Exported"]]


def _import(app, client, rows: list[list[str]]) -> int:
    import re

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    response = client.post("/admin/leads/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(buffer.getvalue().encode()), "leads.csv")})
    job_id = int(re.search(r"/admin/leads/import/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        from leadapp.imports import services

        mapping = services.mapping_view(db.session.get(ImportJob, job_id), None).mapping
    form = {"match_keys": ["email"], "duplicate_mode": "skip", "default_source": "",
            **{f"col-{index}": field for index, field in mapping.items()}}
    assert client.post(f"/admin/leads/import/{job_id}/mapping", data=form).status_code == 303
    return job_id


def test_import_maps_custom_columns_by_label_checks_and_stores_them(app, client, login):
    app.config["IMPORT_RUN_INLINE"] = True  # the worker thread would finish after the test
    login("admin")
    seats = make_field(app, "Seats", FieldKind.number)
    colours = make_field(app, "Colours", FieldKind.multi_choice, options=["Red", "Blue"])
    with app.app_context():
        source = LeadSourceFactory().name
    job_id = _import(app, client, [
        ["Title", "Lead source", "Email", "Seats", "colours"],
        ["Good", source, "good@example.com", "12", "Red|Blue"],
        ["Bad", source, "bad@example.com", "1.5", "Green"]])
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert "Seats: enter a whole number, without decimals." in page
    assert client.post(f"/admin/leads/import/{job_id}/run").status_code == 303
    with app.app_context():
        lead_id = db.session.scalar(select(Lead.id).where(Lead.title == "Good"))
        assert db.session.scalar(select(Lead.id).where(Lead.title == "Bad")) is None
    assert value_of(app, lead_id, seats) == 12
    assert value_of(app, lead_id, colours) == ["Red", "Blue"]


def test_import_mapping_offers_custom_fields(app, client, login):
    login("admin")
    make_field(app, "Seats", FieldKind.number)
    response = client.post("/admin/leads/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(b"Title,Lead source,Seat count\nA,Web,3\n"), "leads.csv")})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<option value="cf_seats"' in page
    with app.app_context():
        from leadapp.imports import mapping

        assert mapping.guess_mapping(["Title", "SEATS", "cf_seats"]) == {
            "0": "title", "1": "cf_seats", "2": ""}
