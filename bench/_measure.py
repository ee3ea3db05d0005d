"""Timing one benchmark case: the request through the app, and the bare SQL it ran.

A case is a function of the run number that makes one request with the Flask test client and
returns the response. `measure` runs it (warm-up first), counting SQL statements with a
`before_cursor_execute` listener and keeping the statements of the last run. Those statements
are then replayed on a raw DB-API connection, with the same parameters and every row fetched,
inside a transaction that is rolled back (writes leave nothing behind). That replay is "the bare
SQL that fetches the same rows": the ratio app / bare is what routing, the ORM, forms and
templates add on top of the database.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import event

from leadapp.extensions import db

Call = Callable[[int], Any]


@dataclass
class Figure:
    group: str
    name: str
    median_ms: float
    p95_ms: float
    cpu_ms: float
    queries: int
    status: int
    bare_ms: float | None
    target_ms: float | None = None
    max_ratio: float | None = None
    notes: list[str] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return self.median_ms / self.bare_ms if self.bare_ms else None

    @property
    def verdict(self) -> str:
        misses = []
        if self.target_ms is not None and self.median_ms >= self.target_ms:
            misses.append(f">{self.target_ms:g}ms")
        if self.max_ratio is not None and self.ratio is not None and self.ratio >= self.max_ratio:
            misses.append(f">{self.max_ratio:g}x")
        if self.status >= 400:
            misses.append(f"HTTP {self.status}")
        if misses:
            return "MISS " + " ".join(misses)
        return "ok" if self.target_ms is not None or self.max_ratio is not None else ""

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "verdict": self.verdict}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Recorder:
    """Counts statements; keeps those of the current run for the bare replay."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any, bool]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any,
                 _context: Any, executemany: bool) -> None:
        self.statements.append((statement, parameters, executemany))


def measure(app: Any, group: str, name: str, call: Call, *, runs: int, warmup: int,
            target_ms: float | None = None, max_ratio: float | None = None,
            offset: int = 0) -> Figure:
    """Time `call(run)` `runs` times after `warmup` calls; replay the last run's SQL bare."""
    for run in range(warmup):
        call(offset + run)
    recorder = Recorder()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", recorder)
    timings, cpu, counts, status = [], [], [], 0
    try:
        for run in range(runs):
            recorder.statements = []
            started, started_cpu = time.perf_counter(), time.process_time()
            response = call(offset + warmup + run)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            counts.append(len(recorder.statements))
            status = response.status_code
    finally:
        event.remove(engine, "before_cursor_execute", recorder)
    figure = Figure(group, name, statistics.median(timings), p95(timings),
                    statistics.median(cpu), round(statistics.median(counts)), status, None,
                    target_ms, max_ratio)
    try:
        figure.bare_ms = bare_sql_ms(engine, recorder.statements, runs, figure.slowest)
    except Exception as error:  # noqa: BLE001 - a replay that cannot run is reported, not fatal
        figure.notes.append(f"bare replay failed: {type(error).__name__}")
    return figure


def bare_sql_ms(engine: Any, statements: list[tuple[str, Any, bool]], runs: int,
                slowest: list[tuple[float, str]] | None = None) -> float:
    """Median ms to run the statements on a raw DB-API connection and fetch every row.

    Each run is one transaction, rolled back. A write replayed after the app's own one may hit
    a unique key (a source name, a submission key): it runs in a savepoint and its failed
    attempt still counts, as it did the same index lookups. `slowest` collects the three
    slowest statements (median ms, SQL) for --slow."""
    if not statements:
        return 0.0
    sqlite = engine.dialect.name == "sqlite"
    integrity_error = engine.dialect.dbapi.IntegrityError
    connection = engine.raw_connection()
    timings: list[float] = []
    per_statement: list[list[float]] = [[] for _ in statements]
    try:
        for _ in range(max(runs, 5)):
            cursor = connection.cursor()
            if sqlite:
                cursor.execute("BEGIN")
            started = time.perf_counter()
            for index, (statement, parameters, many) in enumerate(statements):
                began = time.perf_counter()
                _replay(cursor, statement, parameters, many, integrity_error)
                per_statement[index].append((time.perf_counter() - began) * 1000)
            timings.append((time.perf_counter() - started) * 1000)
            cursor.close()
            connection.rollback()
    finally:
        connection.rollback()
        connection.close()
    if slowest is not None:
        ranked = sorted(((statistics.median(ms), statements[i][0])
                         for i, ms in enumerate(per_statement)), reverse=True)
        slowest.extend(ranked[:3])
    return statistics.median(timings)


def _replay(cursor: Any, statement: str, parameters: Any, many: bool,
            integrity_error: type[Exception]) -> None:
    reads = statement.lstrip()[:6].upper() in ("SELECT", "WITH R", "PRAGMA")
    if not reads:
        cursor.execute("SAVEPOINT bench_replay")
    try:
        if many:
            cursor.executemany(statement, parameters)
        else:
            cursor.execute(statement, parameters)
        if cursor.description is not None:
            cursor.fetchall()
    except integrity_error:
        cursor.execute("ROLLBACK TO SAVEPOINT bench_replay")
    if not reads:
        cursor.execute("RELEASE SAVEPOINT bench_replay")


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f}) on {os.cpu_count()} CPUs"


def print_table(figures: list[Figure], heading: str) -> None:
    print(f"\n{heading}")
    print(f"{'group':8} {'case':36} {'median':>7} {'p95':>7} {'cpu':>6} {'SQL':>4} "
          f"{'bare':>6} {'x bare':>6} {'HTTP':>4}  verdict")
    for f in figures:
        bare = f"{f.bare_ms:6.1f}" if f.bare_ms is not None else "   n/a"
        ratio = f"{f.ratio:6.1f}" if f.ratio is not None else "   n/a"
        print(f"{f.group:8} {f.name[:36]:36} {f.median_ms:7.1f} {f.p95_ms:7.1f} {f.cpu_ms:6.1f} "
              f"{f.queries:4d} {bare} {ratio} {f.status:4d}  {f.verdict} {' '.join(f.notes)}",
              flush=True)
