"""Time the source performance report at scale: median and p95 per case, and SQL queries.

    .venv/bin/python bench/report.py [DB_PATH] [--leads 100000] [--runs 15]

Builds DB_PATH with `demo seed` (the code behind `flask --app wsgi demo seed --leads N`) when the
file does not exist, else reuses it. Each case is a whole request/response cycle through the
Flask test client (routing, SQL, charts, templates), signed in as an admin, after warm-up runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.schema import CreateIndex  # noqa: E402

from leadapp import create_app  # noqa: E402
from leadapp.auth.models import Role, Team, User  # noqa: E402
from leadapp.auth.services import hash_password  # noqa: E402
from leadapp.demo import seed_demo  # noqa: E402
from leadapp.extensions import db  # noqa: E402
from leadapp.leads.models import Lead  # noqa: E402
from leadapp.reference import ensure_reference_data  # noqa: E402
from leadapp.sources.models import LeadSource  # noqa: E402

BENCH_EMAIL = "bench-admin@bench.leadapp.example"
BENCH_PASSWORD = "bench-password-123"
DEFAULT_DB = Path(__file__).resolve().parents[1] / "instance" / "bench_report.sqlite3"
BUDGET_MS = 200


def build(app: Any, path: Path, leads: int) -> None:
    if path.exists():
        print(f"reusing {path}")
        with app.app_context(), db.engine.begin() as connection:
            # An older file may lack indexes added since it was built.
            for table in db.metadata.sorted_tables:
                for index in table.indexes:
                    connection.execute(CreateIndex(index, if_not_exists=True))
        return
    print(f"seeding {leads:,} leads into {path} …", flush=True)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        ensure_reference_data()
        seed_demo(leads)
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def setup(app: Any) -> dict[str, Any]:
    with app.app_context():
        if db.session.scalar(select(User).where(User.email == BENCH_EMAIL)) is None:
            db.session.add(User(email=BENCH_EMAIL, name="Bench Admin", role=Role.admin,
                                password_hash=hash_password(BENCH_PASSWORD)))
            db.session.commit()
        return {"total": db.session.scalar(select(func.count()).select_from(Lead)),
                "source": db.session.scalar(select(LeadSource.id).order_by(LeadSource.id)),
                "team": db.session.scalar(select(Team.id).order_by(Team.id)),
                "owner": db.session.scalar(select(Lead.owner_id)
                                           .where(Lead.owner_id.is_not(None)).limit(1))}


def cases(v: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(name, query string, htmx partial?)."""
    year = "range=last_12_months"
    return [
        ("this month (full page)", "", False),
        ("this month (htmx)", "", True),
        ("last month", "range=last_month", True),
        ("this quarter", "range=this_quarter", True),
        ("last 12 months", year, True),
        ("last 12 months, full page", year, False),
        ("all time (custom, 5 years)", "range=custom&start=2021-12-01&end=2026-11-30", True),
        ("12 months, sort by CPA", f"{year}&sort=cpa&dir=asc", True),
        ("12 months, one source expanded", f"{year}&expand={v['source']}", True),
        ("12 months, team filter", f"{year}&team={v['team']}", True),
        ("12 months, owner filter", f"{year}&owner={v['owner']}", True),
        ("12 months, first touch", f"{year}&model=first_touch", True),
        ("12 months, last touch", f"{year}&model=last_touch", True),
        ("12 months, CSV export", f"{year}", False),
        ("12 months, print view", f"{year}", False),
    ]


def _url(name: str, query: str) -> str:
    path = "/admin/reports/sources"
    if "CSV" in name:
        path += "/export.csv"
    elif "print" in name:
        path += "/print"
    return path + (f"?{query}" if query else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{args.db.resolve()}"})
    build(app, args.db, args.leads)
    values = setup(app)
    client = app.test_client()
    response = client.post("/login", data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD})
    assert response.status_code == 303, response.status_code
    queries = {"n": 0}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        queries["n"] += 1

    print(f"{values['total']:,} leads · {args.runs} runs after {args.warmup} warm-up · "
          f"SQLite {args.db}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'case':34} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8} "
          f"{'status':>7}")
    slow = []
    for name, query, partial in cases(values):
        headers = {"HX-Request": "true"} if partial else {}
        url = _url(name, query)
        for _ in range(args.warmup):
            client.get(url, headers=headers)
        timings, cpu = [], []
        for _ in range(args.runs):
            queries["n"] = 0
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        timings.sort()
        median = statistics.median(timings)
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        print(f"{name:34} {median:10.1f} {p95:8.1f} {statistics.median(cpu):8.1f} "
              f"{queries['n']:8d} {response.status_code:7d}", flush=True)
        if median >= BUDGET_MS:
            slow.append(name)
    print(f"all cases under {BUDGET_MS} ms at the median" if not slow
          else f"over {BUDGET_MS} ms at the median: {', '.join(slow)}")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
