"""What the request benchmarks share: a seeded SQLite file, a signed-in client, and a table of
median / p95 / CPU / SQL-query figures per case."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.schema import CreateIndex, DropIndex  # noqa: E402

from leadapp import create_app  # noqa: E402
from leadapp.auth.models import Role, User  # noqa: E402
from leadapp.auth.services import hash_password  # noqa: E402
from leadapp.demo import seed_demo  # noqa: E402
from leadapp.extensions import db  # noqa: E402
from leadapp.leads import search_index  # noqa: E402
from leadapp.reference import ensure_reference_data  # noqa: E402

BENCH_EMAIL = "bench-admin@bench.leadapp.example"
BENCH_PASSWORD = "bench-password-123"

# (name, URL, htmx partial?)
Case = tuple[str, str, bool]


def seeded_app(path: Path, leads: int) -> Any:
    """The app on a SQLite file, seeded with `demo seed`'s code unless the file exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path.resolve()}"})
    if path.exists():
        print(f"reusing {path}")
        _add_missing_indexes(app)
        return app
    print(f"seeding {leads:,} leads into {path} …", flush=True)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        ensure_reference_data()
        seed_demo(leads)
    print(f"seeded in {time.perf_counter() - started:.0f} s")
    return app


def _add_missing_indexes(app: Any) -> None:
    """An older file may lack indexes (or the search table) added to the models since it was
    built. Indexes meant for another database (PostgreSQL's trigram ones) are dropped: an
    earlier version of this function created them here as plain indexes, which changed
    SQLite's plans."""
    with app.app_context(), db.engine.begin() as connection:
        for table in db.metadata.sorted_tables:
            for index in table.indexes:
                condition = getattr(index, "_ddl_if", None)  # set by Index.ddl_if()
                if condition is None or condition.dialect in (None, connection.dialect.name):
                    connection.execute(CreateIndex(index, if_not_exists=True))
                else:
                    connection.execute(DropIndex(index, if_exists=True))
    with app.app_context():
        if db.engine.dialect.name == "sqlite" and search_index.ensure():
            db.session.commit()


def signed_in_client(app: Any) -> Any:
    """A test client signed in as a bench admin (created on first use)."""
    with app.app_context():
        if db.session.scalar(select(User).where(User.email == BENCH_EMAIL)) is None:
            db.session.add(User(email=BENCH_EMAIL, name="Bench Admin", role=Role.admin,
                                password_hash=hash_password(BENCH_PASSWORD)))
            db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD})
    assert response.status_code == 303, response.status_code
    return client


def time_cases(app: Any, client: Any, cases: Iterable[Case], *, runs: int, warmup: int,
               budget_ms: float, heading: str) -> None:
    """Request each case `warmup` then `runs` times; print one row per case and the misses."""
    queries = {"n": 0}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        queries["n"] += 1

    print(f"{heading} · {runs} runs after {warmup} warm-up")
    # CPU ms (this process only) shows the server-side cost even when other work shares the
    # machine; on an idle machine it is close to the wall-clock median.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'case':34} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8} "
          f"{'status':>7}")
    slow = []
    for name, url, partial in cases:
        headers = {"HX-Request": "true"} if partial else {}
        for _ in range(warmup):
            client.get(url, headers=headers)
        timings, cpu = [], []
        for _ in range(runs):
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
        if median >= budget_ms:
            slow.append(name)
    print(f"all cases under {budget_ms:g} ms at the median" if not slow
          else f"over {budget_ms:g} ms at the median: {', '.join(slow)}")
    with app.app_context():
        db.engine.dispose()
