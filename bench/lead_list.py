"""Time the lead list server-side at scale: median and p95 per case, plus SQL queries per render.

    .venv/bin/python bench/lead_list.py [DB_PATH] [--leads 100000] [--runs 20]

Builds DB_PATH with `demo seed` (the same code as `flask demo seed --leads N`) when the file does
not exist, else reuses it. Each case is requested with the Flask test client, signed in as an
admin, `--warmup` times and then `--runs` times; the numbers are whole request/response cycles
(routing, SQL, templates), without network.
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

from leadapp import create_app  # noqa: E402
from leadapp.auth.models import Role, Team, User  # noqa: E402
from leadapp.auth.services import hash_password  # noqa: E402
from leadapp.demo import seed_demo  # noqa: E402
from leadapp.extensions import db  # noqa: E402
from leadapp.leads.models import Lead, Tag  # noqa: E402
from leadapp.pipeline.models import Stage  # noqa: E402
from leadapp.reference import ensure_reference_data  # noqa: E402
from leadapp.sources.models import Campaign, LeadSource  # noqa: E402

BENCH_EMAIL = "bench-admin@bench.leadapp.example"
BENCH_PASSWORD = "bench-password-123"
DEFAULT_DB = Path(__file__).resolve().parents[1] / "instance" / "bench_lead_list.sqlite3"


def build(app: Any, path: Path, leads: int) -> None:
    if path.exists():
        print(f"reusing {path}")
        return
    print(f"seeding {leads:,} leads into {path} …", flush=True)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        ensure_reference_data()
        seed_demo(leads)
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def bench_user(app: Any) -> None:
    with app.app_context():
        if db.session.scalar(select(User).where(User.email == BENCH_EMAIL)) is None:
            db.session.add(User(email=BENCH_EMAIL, name="Bench Admin", role=Role.admin,
                                password_hash=hash_password(BENCH_PASSWORD)))
            db.session.commit()


def sample_values(app: Any) -> dict[str, Any]:
    """Real ids and words from the database, so every filter matches something."""
    with app.app_context():
        def first(statement: Any) -> Any:
            return db.session.scalar(statement.limit(1))

        lead = first(select(Lead).where(Lead.city != "", Lead.last_name != "",
                                        Lead.email.contains("@"))
                     .order_by(Lead.id.desc()))
        return {
            "source": first(select(LeadSource.id).order_by(LeadSource.id)),
            "campaign": first(select(Campaign.id).order_by(Campaign.id)),
            "stage": first(select(Stage.id).order_by(Stage.position)),
            "owner": first(select(Lead.owner_id).where(Lead.owner_id.is_not(None))),
            "team": first(select(Team.id).order_by(Team.id)),
            "tag": first(select(Tag.id).order_by(Tag.id)),
            "city": lead.city, "last_name": lead.last_name, "email": lead.email.split("@")[1],
            "phone": "".join(ch for ch in lead.phone if ch.isdigit())[-4:] or "55",
            "company": (lead.company_name or "a").split()[0],
            "total": db.session.scalar(select(func.count()).select_from(Lead)),
        }


def cases(v: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(name, query string, htmx partial?)."""
    out = [("list page (full)", "", False), ("list rows (htmx)", "", True)]
    out += [
        ("search surname", f"q={v['last_name']}", True),
        ("search company word", f"q={v['company']}", True),
        ("search phone digits", f"q={v['phone']}", True),
        ("search two words", f"q={v['last_name']}+{v['city']}", True),
        ("search no match", "q=zzqxv", True),
    ]
    out += [(f"filter {key}", f"{key}={v[key]}", True)
            for key in ("source", "campaign", "stage", "owner", "team", "tag", "city")]
    out += [
        ("filter status=lost", "status=lost", True),
        ("filter owner=me", "owner=me", True),
        ("filter owner=unassigned", "owner=unassigned", True),
        ("filter email", f"email={v['email']}", True),
        ("filter created range", "created_from=2025-01-01&created_to=2025-03-31", True),
        ("filter budget range", "budget_min=5000&budget_max=20000", True),
        ("show converted", "converted=1", True),
        ("filters combined", f"source={v['source']}&status=open&budget_min=1000", True),
    ]
    for key in ("title", "contact", "company", "source", "stage", "owner", "budget", "tags",
                "created"):
        out += [(f"sort {key} asc", f"sort={key}&dir=asc", True),
                (f"sort {key} desc", f"sort={key}&dir=desc", True)]
    out += [("deep page 2000 (25/page)", "page=2000", True),
            ("last page (100/page)", "per_page=100&page=100000", True)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{args.db.resolve()}"})
    build(app, args.db, args.leads)
    bench_user(app)
    values = sample_values(app)
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
    # CPU ms (this process only) shows the server-side cost even when other work shares the
    # machine; on an idle machine it is close to the wall-clock median.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'case':32} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8} "
          f"{'status':>7}")
    slow = []
    for name, query, partial in cases(values):
        headers = {"HX-Request": "true"} if partial else {}
        url = "/admin/leads" + (f"?{query}" if query else "")
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
        print(f"{name:32} {median:10.1f} {p95:8.1f} {statistics.median(cpu):8.1f} "
              f"{queries['n']:8d} {response.status_code:7d}", flush=True)
        if median >= 50:
            slow.append(name)
    print("all cases under 50 ms at the median" if not slow
          else f"over 50 ms at the median: {', '.join(slow)}")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
