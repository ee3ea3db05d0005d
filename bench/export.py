"""Benchmark the lead export: seed N leads (`demo seed`) into a temp SQLite file, then stream them
as CSV (and optionally XLSX) with every column, through the same code the export URL uses.

    .venv/bin/python bench/export.py [--leads 100000] [--xlsx] [--database-url URL] [--json F]

With --database-url it exports that (already seeded) database instead, e.g. the dataset of
bench/dataset.py.

Prints seconds, leads per second, bytes written and the Python heap peak during the export
(tracemalloc), so a flat memory profile shows as a peak far below the file size.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from leadapp import create_app  # noqa: E402
from leadapp.auth.models import Role, User  # noqa: E402
from leadapp.demo import seed_demo  # noqa: E402
from leadapp.extensions import db  # noqa: E402
from leadapp.imports import export  # noqa: E402
from leadapp.reference import ensure_reference_data  # noqa: E402


def measure(label: str, produce: Callable[[], int]) -> dict[str, float]:
    """Time a run without tracemalloc (it slows Python down), then trace a second run's heap."""
    started, cpu = time.perf_counter(), time.process_time()
    size = produce()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.start()
    produce()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label}: {seconds:6.2f} s (CPU {cpu:.2f} s), {size / 1e6:6.1f} MB written, "
          f"heap peak {peak / 1e6:.1f} MB, peak RSS {peak_rss_mb():.0f} MB")
    return {"seconds": seconds, "cpu_seconds": cpu, "bytes": size, "heap_peak_mb": peak / 1e6,
            "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true")
    parser.add_argument("--database-url", help="export this (already seeded) database")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="leadapp-export-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    figures: dict[str, dict[str, float]] = {}
    with app.app_context():
        if not args.database_url:
            db.create_all()
            ensure_reference_data()
            started = time.perf_counter()
            seed_demo(args.leads)
            print(f"seeded {args.leads:,} leads in {time.perf_counter() - started:.1f} s")
        admin = db.session.scalar(select(User).where(User.role == Role.admin))
        query, _ = export.lead_query(MultiDict({"converted": "1"}), admin)
        keys = list(export.COLUMN_KEYS)
        count = db.session.scalar(select(db.func.count()).select_from(
            query.with_only_columns(export.Lead.id).order_by(None).subquery()))

        def csv_export() -> int:
            return sum(len(chunk) for chunk in export.stream_csv(query, keys))

        def xlsx_export() -> int:
            handle = export.write_xlsx(query, keys)
            return sum(len(chunk) for chunk in export.file_chunks(handle))

        figures["csv"] = measure(f"CSV  {count:,} leads, {len(keys)} columns", csv_export)
        print(f"      {count / figures['csv']['seconds']:,.0f} leads/s")
        if args.xlsx:
            figures["xlsx"] = measure(f"XLSX {count:,} leads, {len(keys)} columns", xlsx_export)
        for row in figures.values():
            row.update(rows=count, rows_per_s=count / row["seconds"])
        db.engine.dispose()
    shutil.rmtree(folder)  # the seeded SQLite file, unless another database was exported
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
