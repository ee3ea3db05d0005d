"""Custom fields in imports beyond new leads: "update" mode changes them (preview old -> new,
timeline, undo), and a new lead needs every required custom field."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from leadapp.custom_fields.models import FieldKind, LeadFieldValue
from leadapp.extensions import db
from leadapp.imports.models import ImportJob, ImportRowError, ImportStatus, ImportUpdate
from leadapp.models import Activity, ActivityKind, Lead
from tests.custom_fields.helpers import make_field, set_value, value_of
from tests.factories import LeadFactory, LeadSourceFactory
from tests.imports.conftest import csv_bytes


@pytest.fixture(autouse=True)
def inline_imports(app):
    app.config["IMPORT_RUN_INLINE"] = True  # the worker thread would finish after the test


def _start(app, client, rows: list[list[str]], mode: str = "update") -> int:
    """Upload, keep the guessed mapping (custom columns are matched by label), dry-run."""
    response = client.post("/admin/leads/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(csv_bytes(rows)), "leads.csv")})
    job_id = int(re.search(r"/admin/leads/import/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        from leadapp.imports import services

        mapping = services.mapping_view(db.session.get(ImportJob, job_id), None).mapping
    form = {"match_keys": ["email"], "duplicate_mode": mode, "default_source": "",
            **{f"col-{index}": field for index, field in mapping.items()}}
    response = client.post(f"/admin/leads/import/{job_id}/mapping", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return job_id


def _run(client, job_id: int) -> None:
    assert client.post(f"/admin/leads/import/{job_id}/run").status_code == 303


def _preview(app, job_id: int) -> dict:
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.status == ImportStatus.previewed
        return job.preview


@pytest.fixture
def setup(app):
    """Three fields, a source, and an existing lead with a seat count and colours (no
    industry, no signed answer)."""
    ids = {"seats": make_field(app, "Seats", FieldKind.number),
           "colours": make_field(app, "Colours", FieldKind.multi_choice,
                                 options=["Red", "Blue"]),
           "industry": make_field(app, "Industry", FieldKind.choice,
                                  options=["Retail", "Energy"]),
           "signed": make_field(app, "Signed", FieldKind.yes_no)}
    with app.app_context():
        source = LeadSourceFactory()
        ids["lead"] = LeadFactory(title="Depot", email="dup@example.com", source=source).id
        source = source.name
    set_value(app, ids["lead"], ids["seats"], "12")
    set_value(app, ids["lead"], ids["colours"], ["Red"])
    ids["source"] = source
    return ids


HEADER = ["Title", "Lead source", "Email", "Seats", "Colours", "Industry", "Signed"]


def test_dry_run_shows_custom_changes_old_to_new_by_label(app, client, login, setup):
    login("admin")
    source = setup["source"]
    job_id = _start(app, client, [
        HEADER,
        # seats unchanged, colours changed, industry new, signed left empty: no change
        ["Depot", source, "DUP@example.com", "12", "Blue|Red", "energy", ""]])
    preview = _preview(app, job_id)
    assert preview["counts"] == {"update": 1}
    changes = preview["samples"]["update"][0]["changes"]
    assert ["Colours", "Red", "Red, Blue"] in changes
    assert ["Industry", "", "Energy"] in changes
    assert not [change for change in changes if change[0] in ("Seats", "Signed")]
    with app.app_context():  # a dry run writes nothing
        assert value_of(app, setup["lead"], setup["colours"]) == ["Red"]
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert "Industry" in page and "Energy" in page


def test_row_that_only_repeats_custom_values_is_skipped_as_unchanged(app, client, login, setup):
    login("admin")
    job_id = _start(app, client, [HEADER, ["Depot", setup["source"], "dup@example.com", "12.0",
                                           "red", "", ""]])
    preview = _preview(app, job_id)
    assert preview["counts"] == {"skip": 1}
    assert "nothing to change" in preview["samples"]["skip"][0]["reason"]


def test_update_writes_values_logs_them_and_undo_puts_back_the_old_ones(app, client, login,
                                                                        setup):
    login("admin")
    lead_id = setup["lead"]
    job_id = _start(app, client, [
        HEADER, ["Depot", setup["source"], "dup@example.com", "40", "Blue", "Retail", "yes"]])
    with app.app_context():
        version = db.session.get(Lead, lead_id).version
    _run(client, job_id)
    assert value_of(app, lead_id, setup["seats"]) == 40
    assert value_of(app, lead_id, setup["colours"]) == ["Blue"]
    assert value_of(app, lead_id, setup["industry"]) == "Retail"
    assert value_of(app, lead_id, setup["signed"]) is True
    with app.app_context():
        assert db.session.get(ImportJob, job_id).updated_count == 1
        assert db.session.get(Lead, lead_id).version == version + 1
        before = db.session.scalar(select(ImportUpdate.before)
                                   .where(ImportUpdate.job_id == job_id))
        assert before["custom"] == {"cf_seats": ["12", "40"], "cf_colours": [["Red"], ["Blue"]],
                                    "cf_industry": [None, "Retail"], "cf_signed": [None, True]}
        logged = {(row.field, row.old_value, row.new_value) for row in db.session.scalars(
            select(Activity).where(Activity.lead_id == lead_id,
                                   Activity.kind == ActivityKind.field_changed))}
        assert {("Seats", "12", "40"), ("Colours", "Red", "Blue"), ("Industry", "", "Retail"),
                ("Signed", "", "Yes")} <= logged
    # Someone answers "Signed" again after the import: undo must keep their answer.
    set_value(app, lead_id, setup["signed"], "no")
    assert client.post(f"/admin/leads/import/{job_id}/undo").status_code == 303
    assert value_of(app, lead_id, setup["seats"]) == 12
    assert value_of(app, lead_id, setup["colours"]) == ["Red"]
    assert value_of(app, lead_id, setup["signed"]) is False
    with app.app_context():
        # Industry had no value before the import: undo removes the row, not just blanks it.
        assert db.session.get(LeadFieldValue, (lead_id, setup["industry"])) is None
        undone = {row.field for row in db.session.scalars(select(Activity).where(
            Activity.lead_id == lead_id, Activity.kind == ActivityKind.field_changed))
            if (row.data or {}).get("undo_import") == job_id}
        assert undone == {"Seats", "Colours", "Industry"}


def test_update_changes_only_custom_values_of_many_leads_in_one_batch(app, client, login, setup):
    login("admin")
    with app.app_context():
        others = [LeadFactory(title=f"Lead {n}", email=f"l{n}@example.com").id
                  for n in range(5)]
    rows = [["Title", "Lead source", "Email", "Seats"]]
    rows += [[f"Lead {n}", setup["source"], f"l{n}@example.com", str(n + 1)] for n in range(5)]
    job_id = _start(app, client, rows)
    assert _preview(app, job_id)["counts"] == {"update": 5}
    _run(client, job_id)
    assert [value_of(app, lead_id, setup["seats"]) for lead_id in others] == [1, 2, 3, 4, 5]


@pytest.fixture
def required_territory(app):
    return make_field(app, "Territory", FieldKind.text, required=True)


def test_new_lead_without_a_required_custom_field_is_an_error(app, client, login, setup,
                                                              required_territory):
    login("admin")
    source = setup["source"]
    set_value(app, setup["lead"], required_territory, "North")
    job_id = _start(app, client, [
        ["Title", "Lead source", "Email", "Territory", "Seats"],
        ["Has region", source, "a@example.com", "South", ""],
        ["No region", source, "b@example.com", "", "3"],
        ["Again b", source, "b@example.com", "West", ""],  # no duplicate of the failed row
        ["Depot", source, "dup@example.com", "", "7"],  # update: empty cell = no change
    ])
    preview = _preview(app, job_id)
    assert preview["counts"] == {"create": 2, "error": 1, "update": 1}
    assert preview["samples"]["error"][0]["errors"] == [
        ["Territory", "Territory is required; fill it in for new leads."]]
    _run(client, job_id)
    with app.app_context():
        titles = set(db.session.scalars(select(Lead.title)))
        assert {"Has region", "Again b"} <= titles and "No region" not in titles
        error = db.session.scalar(select(ImportRowError).where(ImportRowError.job_id == job_id))
        assert error.row_number == 3 and "Territory is required" in error.message
    assert value_of(app, setup["lead"], required_territory) == "North"
    assert value_of(app, setup["lead"], setup["seats"]) == 7


def test_required_custom_field_without_a_column_fails_new_rows_only(app, client, login, setup,
                                                                    required_territory):
    login("admin")
    job_id = _start(app, client, [
        ["Title", "Lead source", "Email", "Seats"],
        ["Brand new", setup["source"], "new@example.com", "2"],
        ["Depot", setup["source"], "dup@example.com", "5"]])
    preview = _preview(app, job_id)
    assert preview["counts"] == {"error": 1, "update": 1}
    # No column for it: the error names the field's label.
    assert preview["samples"]["error"][0]["errors"] == [
        ["Territory", "Territory is required; fill it in for new leads."]]


def test_undo_skips_a_field_deleted_since_and_restores_the_rest(app, client, login, setup):
    login("admin")
    lead_id = setup["lead"]
    job_id = _start(app, client, [
        ["Title", "Lead source", "Email", "Seats", "Colours"],
        ["Depot", setup["source"], "dup@example.com", "40", "Blue"]])
    _run(client, job_id)
    with app.app_context():
        from leadapp.custom_fields import services
        from leadapp.custom_fields.models import CustomField

        services.delete_field(db.session.get(CustomField, setup["colours"]))
    assert client.post(f"/admin/leads/import/{job_id}/undo").status_code == 303
    assert value_of(app, lead_id, setup["seats"]) == 12
    with app.app_context():
        assert db.session.get(ImportJob, job_id).status == ImportStatus.undone
