"""Files the readers give up on halfway: a runaway CSV cell, a damaged worksheet. Each one is a
message that says what to fix (never a 500), and no stored upload is left behind."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from leadapp.extensions import db
from leadapp.imports import services
from leadapp.imports.models import ImportJob, ImportStatus
from tests.imports.conftest import csv_bytes, job_id_from, job_of, upload

LONG = "x" * 131_073  # one more than the csv module's field limit


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "imports"
    return list(folder.iterdir()) if folder.exists() else []


def job_count(app) -> int:
    with app.app_context():
        return db.session.query(ImportJob).count()


def workbook_bytes(*, broken: str = "") -> bytes:
    """A workbook with sheets "Leads" and "Other"; `broken` names one whose XML is cut off."""
    workbook = Workbook()
    workbook.active.title = "Leads"
    workbook.active.append(["Title", "Email", "Source"])
    workbook.active.append(["Deal", "a@example.com", "Call"])
    workbook.create_sheet("Other").append(["Title"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    if not broken:
        return buffer.getvalue()
    part = {"Leads": "xl/worksheets/sheet1.xml", "Other": "xl/worksheets/sheet2.xml"}[broken]
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename == part else data)
    return out.getvalue()


def test_upload_csv_with_runaway_cell_is_refused_with_the_line(app, client, login):
    login()
    response = upload(client, csv_bytes([["Title", "Notes"], ["Deal", LONG]]))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Line 2 has a cell longer than 131,072 characters" in text
    assert "check the quotes on that line" in text
    assert job_count(app) == 0 and stored_files(app) == []


def test_upload_csv_with_unclosed_quote_is_refused_not_500(app, client, login):
    login()
    data = b'Title,Notes\r\nDeal,"never closed\r\n' + b"y" * 140_000 + b"\r\n"
    response = upload(client, data)
    assert response.status_code == 422
    assert "has a cell longer than" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_dry_run_of_csv_with_runaway_cell_far_down_says_which_line(app, client, login):
    login()
    rows = [["Title", "Source", "Notes"], *[[f"Deal {n}", "Call", ""] for n in range(20)],
            ["Late", "Call", LONG]]
    job_id = job_id_from(upload(client, csv_bytes(rows)))
    response = client.post(f"/admin/leads/import/{job_id}/mapping",
                           data={"col-0": "title", "col-1": "source", "match_keys": [],
                                 "duplicate_mode": "skip"})
    assert response.status_code == 303  # the dry run runs in the worker (inline in tests)
    job = job_of(app, job_id)
    assert job.status == ImportStatus.uploaded and job.mapping == {"0": "title", "1": "source"}
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert 'id="check-error"' in page
    assert "Line 22 has a cell longer than 131,072 characters" in page


def test_upload_xlsx_with_broken_sheet_xml_is_refused_with_message(app, client, login):
    login()
    response = upload(client, workbook_bytes(broken="Leads"), "book.xlsx")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "The sheet “Leads” of this workbook is damaged" in text and "save it again" in text
    assert job_count(app) == 0 and stored_files(app) == []


def test_mapping_page_of_a_damaged_second_sheet_says_so(app, client, login):
    login()
    job_id = job_id_from(upload(client, workbook_bytes(broken="Other"), "book.xlsx"))
    page = client.get(f"/admin/leads/import/{job_id}?sheet=Other&step=mapping")
    assert page.status_code == 200
    assert 'id="sheet-problem"' in page.get_data(as_text=True)
    assert "The sheet “Other” of this workbook is damaged" in page.get_data(as_text=True)
    response = client.post(f"/admin/leads/import/{job_id}/mapping",
                           data={"sheet": "Other", "col-0": "title", "match_keys": [],
                                 "duplicate_mode": "skip"})
    assert response.status_code == 422
    assert "The sheet “Other” of this workbook is damaged" in response.get_data(as_text=True)


def test_create_job_deletes_the_stored_file_on_any_failure(app, make_user, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug in a reader")

    monkeypatch.setattr(services, "inspect_file", broken)
    with app.app_context():
        user = db.session.get(services.User, make_user("admin"))
        with pytest.raises(RuntimeError):
            services.create_job(user, io.BytesIO(b"Title\nDeal\n"), "leads.csv")
    assert stored_files(app) == [] and job_count(app) == 0
