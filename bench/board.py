"""Time the kanban board and stage moves on a big database: median, p95 and SQL queries each.

    .venv/bin/python bench/board.py [--leads 100000] [--runs 30] [--moves 200]
                                    [--database-url URL] [--keep]

Without --database-url it seeds a fresh temporary SQLite file with `flask demo seed`'s code
(deterministic); with one it uses that database as it is (seed it first, e.g.
`DATABASE_URL=... flask --app wsgi demo seed --leads 100000`). Targets (issue 5): the board
renders in under 100 ms at the median, a move answers in under 30 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from leadapp import create_app  # noqa: E402
from leadapp.auth.models import Role, User  # noqa: E402
from leadapp.extensions import db  # noqa: E402
from leadapp.models import Lead, Pipeline, Stage, StageKind  # noqa: E402
from leadapp.reference import ensure_reference_data  # noqa: E402

PASSWORD = "bench-password-123"


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


def make_app(url: str) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})


def seed(app: Flask, leads: int) -> None:
    from leadapp.demo import seed_demo

    with app.app_context():
        db.create_all()
        ensure_reference_data()
        started = time.perf_counter()
        seed_demo(leads, seed=42)
        print(f"seeded {leads:,} leads in {time.perf_counter() - started:.1f} s")


def bench_user(app: Flask, role: Role) -> str:
    with app.app_context():
        email = f"bench-{role.value}@example.com"
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            db.session.add(User(email=email, name=f"Bench {role.value}", role=role,
                                password_hash=generate_password_hash(PASSWORD), active=True))
            db.session.commit()
        return email


def timed(app: Flask, runs: int,
          call: Callable[[int], Any]) -> tuple[list[float], list[float], list[int]]:
    """Wall and CPU milliseconds and SQL statements per call. CPU time is this process's own
    work, so it stays meaningful on a busy machine where wall time also measures waiting."""
    counter = QueryCounter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    times, cpu, queries = [], [], []
    try:
        for run in range(runs):
            counter.count = 0
            started, started_cpu = time.perf_counter(), time.process_time()
            call(run)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            queries.append(counter.count)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return times, cpu, queries


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(label: str, times: list[float], cpu: list[float], queries: list[int],
           target: float) -> None:
    median, cpu_median = statistics.median(times), statistics.median(cpu)
    verdict = "OK" if median < target else ("OK by CPU" if cpu_median < target else "SLOW")
    print(f"{label:<36} wall median {median:6.1f} ms p95 {_p95(times):6.1f} ms | "
          f"cpu median {cpu_median:6.1f} ms p95 {_p95(cpu):6.1f} ms | "
          f"queries {statistics.median(queries):3.0f} | target < {target:.0f} ms: {verdict}")


def bench_board(app: Flask, role: Role, runs: int) -> None:
    client = app.test_client()
    response = client.post("/login", data={"email": bench_user(app, role), "password": PASSWORD})
    assert response.status_code == 303, response.status_code

    def full(_run: int) -> None:
        assert client.get("/admin/leads/board").status_code == 200

    def partial(_run: int) -> None:
        response = client.get("/admin/leads/board", headers={"HX-Request": "true"})
        assert response.status_code == 200

    full(0)  # warm caches and templates
    report(f"board page ({role.value})", *timed(app, runs, full), target=100)
    report(f"board htmx partial ({role.value})", *timed(app, runs, partial), target=100)


def bench_moves(app: Flask, moves: int) -> None:
    client = app.test_client()
    client.post("/login", data={"email": bench_user(app, Role.manager), "password": PASSWORD})
    rng = random.Random(5)
    with app.app_context():
        pipeline = db.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        stage_ids = [s.id for s in pipeline.stages if s.kind == StageKind.open]
        lead_ids = list(db.session.scalars(
            select(Lead.id).where(Lead.stage_id.in_(stage_ids), Lead.deleted_at.is_(None),
                                  Lead.converted_at.is_(None))
            .order_by(func.random()).limit(moves)))
    plans = []
    for lead_id in lead_ids:
        plans.append({"lead_id": lead_id, "stage": rng.choice(stage_ids),
                      "position": rng.choice([0, 1, 5, 20, 49])})

    def move(run: int) -> None:
        plan = plans[run % len(plans)]
        response = client.post("/admin/leads/board/move", data=plan,
                               headers={"HX-Request": "true"})
        assert response.status_code == 200, response.status_code

    report("move (drag between/within columns)", *timed(app, len(plans), move), target=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--database-url", help="use this (already seeded) database")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    args = parser.parse_args()
    folder = None
    if args.database_url:
        app = make_app(args.database_url)
    else:
        folder = Path(tempfile.mkdtemp(prefix="leadapp-board-bench-"))
        app = make_app(f"sqlite:///{folder / 'bench.sqlite3'}")
        seed(app, args.leads)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Lead))
        stages = db.session.scalar(select(func.count()).select_from(Stage))
        print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}, "
              f"{total:,} leads, {stages} stages")
    bench_board(app, Role.manager, args.runs)
    bench_board(app, Role.sales, args.runs)
    bench_moves(app, args.moves)
    with app.app_context():
        db.engine.dispose()
    if folder is not None:
        if args.keep:
            print(f"database kept at {folder / 'bench.sqlite3'}")
        else:
            for leftover in folder.iterdir():
                leftover.unlink()
            folder.rmdir()


if __name__ == "__main__":
    main()
