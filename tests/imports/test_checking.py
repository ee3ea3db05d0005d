"""The dry run runs in the worker: the mapping POST only queues it, the page polls "Checking
rows… n / total", and a check that lost its worker (or was superseded) is detected."""

from __future__ import annotations

import json
from datetime import timedelta

from leadapp.db_types import utcnow
from leadapp.extensions import db
from leadapp.imports import services
from leadapp.imports.models import ImportJob, ImportStatus
from tests.imports.conftest import csv_bytes, job_id_from, job_of, upload

HEADER = ["Title", "Email", "Lead source"]
FORM = {"col-0": "title", "col-1": "email", "col-2": "source", "match_keys": ["email"],
        "duplicate_mode": "skip"}


def leads_file(count: int) -> bytes:
    return csv_bytes([HEADER, *[[f"Lead {n}", f"l{n}@example.com", "Call"]
                                for n in range(count)]])


class RecordingQueue:
    """A queue that only remembers the ids it was given (the worker never runs)."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, job_id: int) -> None:
        self.ids.append(job_id)


def test_saving_the_mapping_queues_the_dry_run_instead_of_running_it(app, client, login):
    login()
    queue = app.extensions["import_queue"] = RecordingQueue()
    job_id = job_id_from(upload(client, leads_file(30)))
    response = client.post(f"/admin/leads/import/{job_id}/mapping", data=FORM)
    assert response.status_code == 303 and queue.ids == [job_id]
    job = job_of(app, job_id)
    assert job.status == ImportStatus.mapped and job.preview == {}
    assert job.mapping == {"0": "title", "1": "email", "2": "source"}
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert 'id="import-checking"' in page and "Waiting to check the rows" in page
    assert 'hx-trigger="every 1s"' in page


def test_checking_progress_polls_with_rows_checked_of_the_estimate(app, hx, login):
    login(client_=hx)
    app.extensions["import_queue"] = RecordingQueue()
    response = upload(hx, leads_file(5000))
    job_id = int(json.loads(response.headers["HX-Location"])["path"].rsplit("/", 1)[1])
    hx.post(f"/admin/leads/import/{job_id}/mapping", data=FORM)
    with app.app_context():
        claim = services._claim_check(job_id)
        assert db.session.get(ImportJob, job_id).total_rows == 5000  # the estimate
        services._check_progress(job_id, claim, 2000)
    body = hx.get(f"/admin/leads/import/{job_id}/progress").get_data(as_text=True)
    assert 'id="import-checking"' in body and 'hx-trigger="every 1s"' in body
    assert "Checking rows… 2,000 / 5,000" in body and 'value="2000"' in body
    with app.app_context():
        services._end_check(job_id, claim, status=ImportStatus.previewed,
                            preview={"total": 5000, "counts": {"create": 5000}},
                            total_rows=5000, processed_rows=0)
    done = hx.get(f"/admin/leads/import/{job_id}/progress")
    assert done.status_code == 200 and "every 1s" not in done.get_data(as_text=True)
    assert json.loads(done.headers["HX-Location"]) == {
        "path": f"/admin/leads/import/{job_id}", "target": "#main"}
    preview = hx.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert "Preview: nothing has been stored yet" in preview


def test_worker_checks_every_row_then_the_preview_shows(app, client, login):
    login()
    job_id = job_id_from(upload(client, leads_file(25)))
    client.post(f"/admin/leads/import/{job_id}/mapping", data=FORM)  # inline worker
    job = job_of(app, job_id)
    assert job.status == ImportStatus.previewed and job.total_rows == 25
    assert job.processed_rows == 0 and job.started_at is None  # ready for the run
    assert job.preview["counts"] == {"create": 25}


def test_a_job_id_delivered_twice_is_checked_once(app, client, login, monkeypatch):
    login()
    queue = app.extensions["import_queue"] = RecordingQueue()
    job_id = job_id_from(upload(client, leads_file(3)))
    client.post(f"/admin/leads/import/{job_id}/mapping", data=FORM)
    calls: list[int] = []
    real = services.dry_run
    monkeypatch.setattr(services, "dry_run", lambda *args: calls.append(1) or real(*args))
    with app.app_context():
        services.work(queue.ids[0])
        services.work(queue.ids[0])
    assert calls == [1] and job_of(app, job_id).status == ImportStatus.previewed


def test_a_check_superseded_by_a_new_mapping_writes_nothing(app, client, login):
    login()
    app.extensions["import_queue"] = RecordingQueue()
    job_id = job_id_from(upload(client, leads_file(3)))
    client.post(f"/admin/leads/import/{job_id}/mapping", data=FORM)
    with app.app_context():
        old_claim = services._claim_check(job_id)
    again = client.post(f"/admin/leads/import/{job_id}/mapping",
                        data={**FORM, "col-1": "", "match_keys": []})
    assert again.status_code == 303
    with app.app_context():
        services._end_check(job_id, old_claim, status=ImportStatus.previewed,
                            preview={"total": 1})
    job = job_of(app, job_id)
    assert job.status == ImportStatus.mapped and job.preview == {}
    assert job.mapping == {"0": "title", "1": "", "2": "source"}


def test_a_check_that_lost_its_worker_goes_back_to_the_mapping_to_resume(app, client, login):
    login()
    app.extensions["import_queue"] = RecordingQueue()
    job_id = job_id_from(upload(client, leads_file(3)))
    client.post(f"/admin/leads/import/{job_id}/mapping", data=FORM)
    with app.app_context():
        claim = services._claim_check(job_id)
        services._check_progress(job_id, claim, 2)
        job = db.session.get(ImportJob, job_id)
        job.heartbeat_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert 'id="check-error"' in page
    assert "Checking the rows stopped after 2 rows" in page and "check every row again" in page
    assert 'value="email" selected' in page  # the saved mapping is offered again
    job = job_of(app, job_id)
    assert job.status == ImportStatus.uploaded and job.started_at is None
    with app.app_context():  # the lost worker, should it wake up, writes nothing
        services._end_check(job_id, claim, status=ImportStatus.previewed, preview={"total": 1})
    assert job_of(app, job_id).status == ImportStatus.uploaded
    app.extensions["import_queue"] = None
    del app.extensions["import_queue"]  # the inline worker again: checking again resumes
    client.post(f"/admin/leads/import/{job_id}/mapping", data=FORM)
    job = job_of(app, job_id)
    assert job.status == ImportStatus.previewed and job.error == ""
    assert job.preview["counts"] == {"create": 3}


def test_check_writes_its_progress_at_most_every_half_second(app, client, login, monkeypatch):
    from leadapp.imports import classify

    login()
    monkeypatch.setattr(services, "batches", lambda rows, size=2: classify.batches(rows, size))
    written: list[int] = []
    real = services._check_progress
    monkeypatch.setattr(services, "_check_progress",
                        lambda job_id, claim, done: written.append(done) or real(job_id, claim,
                                                                                 done))
    job_id = job_id_from(upload(client, leads_file(7)))
    client.post(f"/admin/leads/import/{job_id}/mapping", data=FORM)
    assert written == []  # a quick check commits nothing but its result
    monkeypatch.setattr(services, "PROGRESS_SECONDS", 0)
    client.post(f"/admin/leads/import/{job_id}/mapping", data=FORM)
    assert written == [2, 4, 6, 7]
    assert job_of(app, job_id).status == ImportStatus.previewed


def test_worker_collects_garbage_rarely_while_a_job_runs_then_restores(app, monkeypatch):
    import gc

    from leadapp.imports import worker

    seen: list[int] = []
    monkeypatch.setattr(services, "work", lambda job_id: seen.append(gc.get_threshold()[0]))
    before = gc.get_threshold()
    with worker.rare_collections():  # a second job already running: nested
        worker._run(app, 1)
        assert gc.get_threshold()[0] == worker.GC_FIRST_THRESHOLD
    assert seen == [worker.GC_FIRST_THRESHOLD] and gc.get_threshold() == before
