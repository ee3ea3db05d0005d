"""An import whose worker died (restart, crash) is detected; resuming writes each row once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from leadapp.db_types import utcnow
from leadapp.extensions import db
from leadapp.imports import classify, services
from leadapp.imports.models import ImportJob, ImportStatus
from leadapp.imports.writer import BatchWriter
from leadapp.models import Lead
from tests.imports.conftest import csv_bytes, job_of

HEADER = ["Title", "Email", "Lead source"]


def leads_file(count: int, duplicate_of_first: bool = False) -> bytes:
    rows = [[f"Lead {n}", f"lead{n}@example.com", "Call"] for n in range(1, count + 1)]
    if duplicate_of_first:
        rows.append(["Again", "lead1@example.com", "Call"])
    return csv_bytes([HEADER, *rows])


def imported_titles(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Lead.title)))


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(classify, "BATCH", 2)
    monkeypatch.setattr(services, "batches",
                        lambda rows, size=2: classify.batches(rows, size))


def test_a_crash_mid_run_can_be_resumed_without_writing_a_row_twice(
        app, client, login, start_import, run_job, small_batches, monkeypatch):
    login()
    job_id = start_import(leads_file(5, duplicate_of_first=True))
    real_write, calls = BatchWriter.write, []

    def dies_on_the_second_batch(self, outcomes):
        calls.append(len(outcomes))
        if len(calls) == 2:
            raise OSError("disk went away")
        real_write(self, outcomes)

    monkeypatch.setattr(BatchWriter, "write", dies_on_the_second_batch)
    run_job(job_id)
    job = job_of(app, job_id)
    assert job.status == ImportStatus.failed and job.processed_rows == 2
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert "Resume: import rows 3–6" in page
    monkeypatch.setattr(BatchWriter, "write", real_write)
    response = client.post(f"/admin/leads/import/{job_id}/resume")
    assert response.status_code == 303
    job = job_of(app, job_id)
    assert job.status == ImportStatus.done
    assert (job.created_count, job.skipped_count, job.processed_rows) == (5, 1, 6)
    assert imported_titles(app) == [f"Lead {n}" for n in range(1, 6)]


def test_a_job_without_a_heartbeat_is_marked_interrupted_when_opened(app, client, login,
                                                                     start_import):
    login()
    job_id = start_import(leads_file(3))
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.status, job.processed_rows = ImportStatus.running, 0
        job.heartbeat_at = utcnow() - timedelta(seconds=app.config["IMPORT_STALE_SECONDS"] + 5)
        db.session.commit()
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert "the process running it ended" in page and "Resume" in page
    client.post(f"/admin/leads/import/{job_id}/resume")
    assert job_of(app, job_id).status == ImportStatus.done
    assert imported_titles(app) == ["Lead 1", "Lead 2", "Lead 3"]


def test_a_running_job_with_a_fresh_heartbeat_is_left_alone(app, client, login, start_import):
    login()
    job_id = start_import(leads_file(3))
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.status, job.heartbeat_at = ImportStatus.running, utcnow()
        db.session.commit()
    client.get(f"/admin/leads/import/{job_id}/progress")
    assert job_of(app, job_id).status == ImportStatus.running
    response = client.post(f"/admin/leads/import/{job_id}/resume")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_a_job_is_claimed_once(app, login, start_import, run_job):
    login()
    job_id = start_import(leads_file(2))
    run_job(job_id)
    with app.app_context():
        services.run_import(job_id)  # a stale queue entry delivering the same id again
    assert imported_titles(app) == ["Lead 1", "Lead 2"]
