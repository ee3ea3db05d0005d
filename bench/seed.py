"""Time `flask demo seed` on a fresh temporary SQLite file: wall time and leads per second.

    .venv/bin/python bench/seed.py [--leads 100000] [--seed 42] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leadapp import create_app  # noqa: E402
from leadapp.demo import seed_demo  # noqa: E402
from leadapp.extensions import db  # noqa: E402
from leadapp.reference import ensure_reference_data  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the database file and print it")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="leadapp-bench-"))
    path = folder / "bench.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        ensure_reference_data()
        started, cpu_started = time.perf_counter(), time.process_time()
        report = seed_demo(args.leads, seed=args.seed)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        db.engine.dispose()
    size_mb = path.stat().st_size / 1e6
    print(f"seeded {report.leads:,} leads ({report.companies:,} companies, "
          f"{report.contacts:,} contacts, {report.opportunities:,} opportunities)")
    print(f"wall time {elapsed:.1f} s, {report.leads / elapsed:,.0f} leads/s, "
          f"database {size_mb:.0f} MB")
    # CPU time of this process (SQLite runs in it): the wall time on an otherwise idle machine.
    print(f"cpu time {cpu:.1f} s; load average now {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    if args.keep:
        print(f"database kept at {path}")
    else:
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
