"""Time the source performance report at scale: median and p95 per case, and SQL queries.

    .venv/bin/python bench/report.py [DB_PATH] [--leads 100000] [--runs 15]
                                     [--only "last 12 months"] [--timezone Europe/Berlin]

Builds DB_PATH with `demo seed` (the code behind `flask --app wsgi demo seed --leads N`) when the
file does not exist, else reuses it. Each case is a whole request/response cycle through the
Flask test client (routing, SQL, charts, templates), signed in as an admin, after warm-up runs.
--timezone sets APP_TIMEZONE: a zone with clock changes makes SQLite compute local dates (days
to won; the touch models' chart days) with one CASE branch per UTC offset in the range, the
slowest path of the local-date SQL. The source model's chart counts each week between two UTC
instants instead, so it takes no such path.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from _harness import seeded_app, signed_in_client, time_cases
from sqlalchemy import func, select

from leadapp.auth.models import Team
from leadapp.extensions import db
from leadapp.leads.models import Lead
from leadapp.sources.models import LeadSource

DEFAULT_DB = Path(__file__).resolve().parents[1] / "instance" / "bench_report.sqlite3"
BUDGET_MS = 200


def sample_values(app: Any) -> dict[str, Any]:
    with app.app_context():
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
        ("12 months, EUR revenue", f"{year}&currency=EUR", True),
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
    parser.add_argument("--only", action="append", default=[],
                        help="time only cases whose name contains this text (repeatable)")
    parser.add_argument("--timezone", default="UTC", help="APP_TIMEZONE for the run")
    args = parser.parse_args()
    app = seeded_app(args.db, args.leads)
    app.config["APP_TIMEZONE"] = args.timezone
    client = signed_in_client(app)
    values = sample_values(app)
    urls = [(name, _url(name, query), partial) for name, query, partial in cases(values)
            if not args.only or any(text in name for text in args.only)]
    time_cases(app, client, urls, runs=args.runs, warmup=args.warmup, budget_ms=BUDGET_MS,
               heading=f"{values['total']:,} leads · SQLite {args.db} · {args.timezone}")


if __name__ == "__main__":
    main()
