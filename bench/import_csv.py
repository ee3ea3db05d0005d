"""Benchmark the CSV import: generate N rows, dry-run and import them into a temp SQLite file.

    .venv/bin/python bench/import_csv.py [--rows 100000] [--tracemalloc] [--updates 20000] [--keep]

Prints rows/second for the dry run and the import, and peak memory (process peak RSS; with
--tracemalloc also the Python heap peak of each phase, which is slower to measure). Run it with
two sizes to see that memory does not grow with the file. With --updates N it then imports N
of the same rows again with a new city and budget in update mode, and times the undo of that
update import (which puts every old value back). The temporary folder goes afterwards unless
--keep.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leadapp import create_app  # noqa: E402
from leadapp.extensions import db  # noqa: E402
from leadapp.reference import ensure_reference_data  # noqa: E402

HEADER = ["Title", "First Name", "Last Name", "E-mail", "Phone", "Company", "Lead Source", "City",
          "Budget", "Tags"]
SOURCES = ["Trade show", "Website form", "Referral", "Partner", "Expo 2026"]
CITIES = ["Berlin", "Köln", "Paris", "Lyon", "Kraków", "Austin", "Leeds"]


def write_csv(path: Path, rows: int, changed: bool = False) -> None:
    """`changed`: the same people (same emails) with another city and budget."""
    rng = random.Random(9 if changed else 8)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            writer.writerow([
                f"Lead {n}", f"First{n}", f"Last{n}", f"lead{n}@example.com",
                f"+1 202 {200 + n // 10000:03d} {n % 10000:04d}", f"Company {n % 5000}",
                rng.choice(SOURCES), rng.choice(CITIES), f"{rng.randint(0, 50000)}.00",
                rng.choice(["", "vip", "hot;cold", "expo"]),
            ])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--updates", type=int, default=0,
                        help="then update this many leads by import and time its undo")
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    args = parser.parse_args()
    figures: dict[str, dict[str, float]] = {}
    folder = Path(tempfile.mkdtemp(prefix="leadapp-bench-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
                      "UPLOAD_DIR": str(folder / "uploads"), "IMPORT_RUN_INLINE": True,
                      "IMPORT_MAX_BYTES": 500 * 1024 * 1024})
    source = folder / "leads.csv"
    write_csv(source, args.rows)
    print(f"{args.rows:,} rows, {source.stat().st_size / 1e6:.1f} MB CSV; "
          f"baseline peak RSS {peak_rss_mb():.0f} MB")
    with app.app_context():
        from leadapp.auth.models import User
        from leadapp.imports import services, worker
        from leadapp.imports.mapping import guess_mapping
        from leadapp.imports.reading import read_header

        db.create_all()
        ensure_reference_data()
        user = User(email="bench@example.com", name="Bench", role="admin", password_hash="x")
        db.session.add(user)
        db.session.commit()
        with source.open("rb") as stream:
            job = services.create_job(user, stream, "leads.csv")
        headers, _ = read_header(services.path_of(job), "csv", encoding=job.encoding,
                                 delimiter=job.delimiter)
        mapping = guess_mapping(headers)

        def dry_run() -> None:
            problems = services.save_mapping(job, sheet="", mapping=mapping, match_keys=["email"],
                                             mode="skip", default_source_id=None)
            assert not problems, problems
            worker.InlineQueue(app).enqueue(job.id)  # the worker's own path: the dry run

        def run() -> None:
            db.session.refresh(job)
            services.start(job, {})
            worker.InlineQueue(app).enqueue(job.id)

        for label, phase in (("dry run", dry_run), ("import", run)):
            if args.tracemalloc:
                tracemalloc.start()
            started, cpu = time.perf_counter(), time.process_time()
            phase()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            heap = ""
            if args.tracemalloc:
                heap = f", Python heap peak {tracemalloc.get_traced_memory()[1] / 1e6:.1f} MB"
                tracemalloc.stop()
            print(f"{label:8}: {seconds:6.2f} s  {args.rows / seconds:9,.0f} rows/s  "
                  f"(CPU {cpu:.2f} s)  peak RSS {peak_rss_mb():.0f} MB{heap}")
            figures[label] = {"rows": args.rows, "seconds": seconds, "cpu_seconds": cpu,
                              "rows_per_s": args.rows / seconds, "peak_rss_mb": peak_rss_mb()}
        db.session.refresh(job)
        print(f"job {job.status.value}: {job.created_count:,} created, {job.failed_count:,} "
              f"failed, {job.skipped_count:,} skipped")
        if args.updates:
            figures.update(update_and_undo(folder, user, mapping, min(args.updates, args.rows)))
        db.engine.dispose()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if args.keep:
        print(f"database and files kept in {folder}")
    else:
        shutil.rmtree(folder)  # ~165 MB per run at 100k rows


def update_and_undo(folder: Path, user: Any, mapping: Any, rows: int) -> dict[str, Any]:
    """Import `rows` changed rows in update mode, then undo that import: seconds of each."""
    from flask import current_app

    from leadapp.imports import services, worker

    changed = folder / "changed.csv"
    write_csv(changed, rows, changed=True)
    with changed.open("rb") as stream:
        job = services.create_job(user, stream, "changed.csv")
    problems = services.save_mapping(job, sheet="", mapping=mapping, match_keys=["email"],
                                     mode="update", default_source_id=None)
    assert not problems, problems
    worker.InlineQueue(current_app._get_current_object()).enqueue(job.id)
    db.session.refresh(job)
    started = time.perf_counter()
    services.start(job, {})
    worker.InlineQueue(current_app._get_current_object()).enqueue(job.id)
    update_seconds = time.perf_counter() - started
    db.session.refresh(job)
    started = time.perf_counter()
    summary = services.undo(job, user)
    undo_seconds = time.perf_counter() - started
    print(f"update  : {update_seconds:6.2f} s  {rows / update_seconds:9,.0f} rows/s  "
          f"({job.updated_count:,} leads updated)")
    print(f"undo    : {undo_seconds:6.2f} s  {rows / undo_seconds:9,.0f} leads/s  "
          f"({summary.restored:,} restored, {summary.kept:,} kept)")
    return {"update": {"rows": rows, "seconds": update_seconds,
                       "rows_per_s": rows / update_seconds},
            "undo of updates": {"rows": rows, "seconds": undo_seconds,
                                "rows_per_s": rows / undo_seconds}}


if __name__ == "__main__":
    main()
