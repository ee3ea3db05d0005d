"""Running import jobs off the web request, behind a small queue interface.

The job keeps all of its state in the database (status, counts, processed rows), so a queue only
has to deliver a job id to something that calls `services.work(job_id)` inside an app context:
a job whose mapping was just saved (status `mapped`) gets its dry run, a confirmed one (`queued`)
its run; both write their progress to the job, which the page polls. The default is one
in-process daemon thread per app. To move to an external queue (RQ, Celery, a cron'd `flask`
command), write a class with the same `enqueue(job_id)` method that posts the id to that queue,
have the queue's worker process create the app and call `work`, and return it from
`job_queue()` (for example when a config key such as IMPORT_QUEUE="rq" is set)."""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from flask import Flask, current_app

from ..extensions import db


class JobQueue(Protocol):
    def enqueue(self, job_id: int) -> None: ...


def _run(app: Flask, job_id: int) -> None:
    from .services import work

    with app.app_context(), rare_collections():
        try:
            work(job_id)
        finally:
            db.session.remove()


# A job allocates millions of short-lived containers (cells, row dicts, parameters). With
# CPython's default first threshold (700) the collector runs thousands of times per 100k rows,
# and its full passes walk every long-lived object of the process: a fifth of the dry run's
# and a sixth of the run's time. Rows are released batch by batch, so collecting rarely while
# a job runs costs little memory. The threshold is process-wide: the first job raises it and
# the last one to finish puts it back.
GC_FIRST_THRESHOLD = 50_000
_gc_lock = threading.Lock()
_gc_jobs = 0
_gc_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def rare_collections() -> Iterator[None]:
    global _gc_jobs, _gc_saved
    with _gc_lock:
        if _gc_jobs == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(GC_FIRST_THRESHOLD, _gc_saved[0]), *_gc_saved[1:])
        _gc_jobs += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_jobs -= 1
            if _gc_jobs == 0:
                gc.set_threshold(*_gc_saved)


class InlineQueue:
    """Runs the job at once, in the caller's thread (tests: IMPORT_RUN_INLINE=True)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def enqueue(self, job_id: int) -> None:
        _run(self.app, job_id)


class ThreadQueue:
    """One background thread that takes job ids from an in-memory queue, one job at a time."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.jobs: queue.Queue[int] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enqueue(self, job_id: int) -> None:
        self.jobs.put(job_id)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="import-worker",
                                                daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            job_id = self.jobs.get()
            try:
                _run(self.app, job_id)
            except Exception:  # a crash is recorded on the job; keep serving the next one
                self.app.logger.exception("Import worker failed on job %s", job_id)
            finally:
                self.jobs.task_done()

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until every queued job has finished (tests and benchmarks); False on timeout."""
        done = threading.Event()
        threading.Thread(target=lambda: (self.jobs.join(), done.set()), daemon=True).start()
        return done.wait(timeout)


def job_queue() -> JobQueue:
    """The app's queue, created on first use."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    existing = app.extensions.get("import_queue")
    if existing is None:
        existing = InlineQueue(app) if app.config.get("IMPORT_RUN_INLINE") else ThreadQueue(app)
        app.extensions["import_queue"] = existing
    return existing
