"""The import pages: permissions, full page vs partial, bad uploads, mapping errors, progress."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook

from leadapp.db_types import utcnow
from leadapp.extensions import db
from leadapp.imports.models import ImportJob, ImportStatus
from tests.imports.conftest import csv_bytes, job_id_from, job_of, upload

SIMPLE = csv_bytes([["Title", "Email", "Source"], ["Deal", "a@example.com", "Call"]])


@pytest.mark.parametrize("role", ["sales"])
def test_import_page_for_role_without_permission_is_forbidden(client, login, role):
    login(role)
    assert client.get("/admin/leads/import").status_code == 403
    assert upload(client, SIMPLE).status_code == 403
    assert client.get("/admin/leads/export").status_code == 403


def test_import_page_signed_out_redirects_to_login(client):
    response = client.get("/admin/leads/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_import_page_renders_upload_form_and_recent_jobs(client, login):
    login("marketeer")
    upload(client, SIMPLE, "first.csv")
    page = client.get("/admin/leads/import").get_data(as_text=True)
    assert 'name="file"' in page and 'for="import-file"' in page and "first.csv" in page


def test_upload_over_the_import_limit_is_refused_with_message(app, client, login):
    login()
    app.config["IMPORT_MAX_BYTES"] = 1024
    big = csv_bytes([["Title"], *[["x" * 100] for _ in range(50)]])
    response = upload(client, big)
    assert response.status_code in (413, 422)
    assert "The file is larger than 1 KB." in response.get_data(as_text=True)  # not "0 MB"
    with app.app_context():
        assert db.session.query(ImportJob).count() == 0


def test_upload_above_app_content_limit_but_within_import_limit_is_accepted(app, client, login):
    login()
    app.config["MAX_CONTENT_LENGTH"] = 2048
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    data = csv_bytes([["Title", "Source"], *[["x" * 100, "Call"] for _ in range(100)]])
    assert upload(client, data).status_code == 303


def test_upload_pdf_renamed_csv_is_refused_with_message_not_500(client, login):
    login()
    response = upload(client, b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "leads.csv")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "This file is a PDF document" in body and 'aria-invalid="true"' in body


def test_upload_without_file_asks_for_one(client, login):
    login()
    response = client.post("/admin/leads/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a .csv or .xlsx file" in response.get_data(
        as_text=True)


def test_upload_header_only_file_is_refused(client, login):
    login()
    response = upload(client, b"\n\n")
    assert response.status_code == 422


def test_upload_as_htmx_answers_with_hx_location_into_main(hx, login, app):
    login(client_=hx)
    response = upload(hx, SIMPLE)
    assert response.status_code == 200
    location = json.loads(response.headers["HX-Location"])
    assert location["target"] == "#main" and location["path"].startswith("/admin/leads/import/")


def test_job_page_as_partial_has_no_layout_and_full_page_has_it(client, hx, login):
    login()
    job_id = job_id_from(upload(client, SIMPLE))
    hx.set_cookie("session", client.get_cookie("session").value)
    full = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    part = hx.get(f"/admin/leads/import/{job_id}")
    assert "<html" in full and 'id="import-step"' in full
    assert "<html" not in part.get_data(as_text=True) and 'id="import-step"' in part.get_data(
        as_text=True)
    assert "HX-Request" in part.headers["Vary"]


def test_mapping_page_suggests_fields_and_shows_samples(client, login):
    login()
    job_id = job_id_from(upload(client, SIMPLE))
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert '<option value="title" selected>' in page and '<option value="email" selected>' in page
    assert "a@example.com" in page and 'for="col-0"' in page


def test_mapping_without_title_rerenders_with_422_and_keeps_choices(client, login):
    login()
    job_id = job_id_from(upload(client, SIMPLE))
    response = client.post(f"/admin/leads/import/{job_id}/mapping", data={
        "col-0": "", "col-1": "email", "col-2": "source", "match_keys": ["phone"],
        "duplicate_mode": "update"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Map one column to Title" in body and "no column is mapped to Phone" in body
    assert '<option value="email" selected>' in body
    assert 'value="update" checked' in body and 'value="phone" checked' in body


def test_other_users_job_is_not_found(app, client, login, make_user):
    login("marketeer")
    job_id = job_id_from(upload(client, SIMPLE))
    other = app.test_client()
    login("marketeer", client_=other)
    assert other.get(f"/admin/leads/import/{job_id}").status_code == 404
    admin = app.test_client()
    login("admin", client_=admin)
    assert admin.get(f"/admin/leads/import/{job_id}").status_code == 200


def test_progress_while_running_polls_every_second(app, hx, login):
    login(client_=hx)
    job_id = job_id_from_hx(hx)
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.status, job.total_rows, job.processed_rows = ImportStatus.running, 200, 50
        job.started_at = utcnow()
        db.session.commit()
    body = hx.get(f"/admin/leads/import/{job_id}/progress").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in body and "50 of 200 rows (25%)" in body
    assert 'value="50"' in body
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.status, job.processed_rows, job.created_count = ImportStatus.done, 200, 200
        db.session.commit()
    body = hx.get(f"/admin/leads/import/{job_id}/progress").get_data(as_text=True)
    assert "every 1s" not in body and 'id="import-result"' in body and "200" in body
    assert 'id="import-steps"' in body and 'hx-swap-oob="true"' in body


def job_id_from_hx(hx) -> int:
    response = upload(hx, SIMPLE)
    return int(json.loads(response.headers["HX-Location"])["path"].rsplit("/", 1)[1])


def test_reopening_a_running_job_shows_the_progress_bar(app, client, login):
    login()
    job_id = job_id_from(upload(client, SIMPLE))
    with app.app_context():
        db.session.get(ImportJob, job_id).status = ImportStatus.queued
        db.session.commit()
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert "<html" in page and 'id="import-progress"' in page and "close this tab" in page


def test_mapping_after_run_is_refused(app, client, login, start_import, run_job):
    login()
    job_id = start_import(SIMPLE)
    run_job(job_id)
    response = client.post(f"/admin/leads/import/{job_id}/mapping",
                           data={"col-0": "title", "col-2": "source"})
    assert response.status_code == 422 and "already run" in response.get_data(as_text=True)
    assert job_of(app, job_id).status == ImportStatus.done


def _workbook() -> bytes:
    workbook = Workbook()
    workbook.active.title = "Cover"
    workbook.active.append(["Read me first"])
    sheet = workbook.create_sheet("Leads")
    sheet.append(["Title", "Company", "Lead Source"])
    sheet.append(["Excel deal", "Acme", "Call"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_chosen_sheet_imports_that_sheet(app, client, login, start_import, run_job):
    login()
    job_id = job_id_from(upload(client, _workbook(), "book.xlsx"))
    page = client.get(f"/admin/leads/import/{job_id}?sheet=Leads&step=mapping")
    body = page.get_data(as_text=True)
    assert '<option value="Leads" selected>' in body and "Excel deal" in body
    job_id = start_import(_workbook(), "book.xlsx", sheet="Leads", match_keys=())
    run_job(job_id)
    job = job_of(app, job_id)
    assert job.sheet == "Leads" and job.created_count == 1
