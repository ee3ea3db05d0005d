"""Build (or reuse) the deterministic benchmark databases with `flask demo seed`.

    .venv/bin/python bench/dataset.py sqlite     [--leads 100000]  [--path FILE] [--rebuild]
    .venv/bin/python bench/dataset.py postgresql [--leads 1000000] [--url URL]   [--rebuild]

Both run the real command, `flask --app wsgi demo seed --leads N --seed S --anchor DATE`, on a
schema made by `db.create_all()` (so indexes declared in the models but not yet migrated are
there too), then refresh the planner statistics. The fixed seed and anchor make every build the
same rows, so figures from different runs compare. A build is reused while its recorded
parameters match; `--rebuild` drops it first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402
from sqlalchemy.schema import CreateIndex  # noqa: E402

from leadapp import create_app  # noqa: E402
from leadapp.extensions import db  # noqa: E402
from leadapp.leads import search_index  # noqa: E402

SEED = 42
ANCHOR = "2026-11-20"  # fixed, so a rebuild next week gives the same dates
SQLITE_PATH = Path("/tmp/leadapp-bench/bench-100k.sqlite3")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m"
DEFAULTS = {"sqlite": 100_000, "postgresql": 1_000_000}


def app_for(url: str) -> Any:
    # Limits stay on; they are only set high enough for a benchmark's request rate.
    return create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                       "WTF_CSRF_ENABLED": False, "API_RATE_LIMIT": "1000000 per minute",
                       "CAPTURE_RATE_LIMIT": "1000000 per minute",
                       "CAPTURE_SOFT_LIMIT": "1000000 per minute",
                       "CAPTURE_API_RATE_LIMIT": "1000000 per minute"})


def url_for_kind(kind: str, path: Path | None, url: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{(path or SQLITE_PATH).resolve()}"
    return url or PG_URL


def _marker(url: str) -> Path:
    """Where the parameters of a build are recorded (next to the file, or in /tmp for PG)."""
    if url.startswith("sqlite"):
        return Path(url.removeprefix("sqlite:///") + ".json")
    return Path("/tmp/leadapp-bench") / (url.rsplit("/", 1)[1] + ".json")


def wanted(leads: int) -> dict[str, Any]:
    return {"leads": leads, "seed": SEED, "anchor": ANCHOR}


def ensure(kind: str, leads: int | None = None, *, path: Path | None = None,
           url: str | None = None, rebuild: bool = False) -> str:
    """The database URL of a built dataset, building it when missing or different."""
    leads = DEFAULTS[kind] if leads is None else leads
    url = url_for_kind(kind, path, url)
    marker = _marker(url)
    if not rebuild and marker.exists() and json.loads(marker.read_text()) == wanted(leads):
        _add_missing_indexes(url)
        return url
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    build(url, leads)
    marker.write_text(json.dumps(wanted(leads)))
    return url


def create_database(url: str) -> None:
    """PostgreSQL: create the benchmark database on a new machine (from the server's own
    `postgres` database); nothing to do when it exists."""
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": target.database})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        engine.dispose()


def build(url: str, leads: int) -> None:
    if url.startswith("postgresql"):
        create_database(url)
    app = app_for(url)
    with app.app_context():
        if url.startswith("postgresql"):
            # Migrations create this extension; create_all does not (the trigram indexes need it).
            with db.engine.begin() as connection:
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        else:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    print(f"seeding {leads:,} leads into {url} …", flush=True)
    started = time.perf_counter()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 32}
    subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "demo", "seed", "--leads",
                    str(leads), "--seed", str(SEED), "--anchor", ANCHOR], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    analyze(app)


def analyze(app: Any) -> None:
    """PostgreSQL: planner statistics and the visibility map, as autovacuum keeps them.

    SQLite is left without ANALYZE on purpose: nothing in the app runs it, and with
    sqlite_stat1 present its planner picks worse plans for some list filters (source 11 ->
    86 ms, team 17 -> 71 ms, city 32 -> 102 ms at 100k leads), so figures would not be the
    ones a deployment sees."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        db.engine.dispose()


def _add_missing_indexes(url: str) -> None:
    """A reused build may predate tables and indexes added to the models since."""
    app = app_for(url)
    created = 0
    with app.app_context():
        db.create_all()  # only the missing tables (with their indexes)
    with app.app_context(), db.engine.begin() as connection:
        existing = set(connection.scalars(text(
            "SELECT name FROM sqlite_master WHERE type = 'index'"
            if connection.dialect.name == "sqlite" else
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")))
        for table in db.metadata.sorted_tables:
            for index in table.indexes:
                if index.name not in existing and _applies(index, connection.dialect.name):
                    connection.execute(CreateIndex(index))
                    created += 1
    with app.app_context():
        if db.engine.dialect.name == "sqlite" and search_index.ensure():
            db.session.commit()
            print("built the search table (migration 0011)")
        db.engine.dispose()
    if created:
        print(f"created {created} index(es) added to the models since the build")
        analyze(app)


def _applies(index: Any, dialect: str) -> bool:
    """False for an index the models restrict to another database (`ddl_if(dialect=...)`)."""
    condition = getattr(index, "_ddl_if", None)
    return condition is None or condition.dialect is None or dialect in (
        [condition.dialect] if isinstance(condition.dialect, str) else condition.dialect)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(DEFAULTS))
    parser.add_argument("--leads", type=int)
    parser.add_argument("--path", type=Path, help=f"SQLite file (default {SQLITE_PATH})")
    parser.add_argument("--url", help=f"PostgreSQL URL (default {PG_URL})")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    print(ensure(args.kind, args.leads, path=args.path, url=args.url, rebuild=args.rebuild))


if __name__ == "__main__":
    main()
