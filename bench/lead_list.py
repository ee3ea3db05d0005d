"""Time the lead list server-side at scale: median and p95 per case, plus SQL queries per render.

    .venv/bin/python bench/lead_list.py [DB_PATH] [--leads 100000] [--runs 20]

Builds DB_PATH with `demo seed` (the same code as `flask demo seed --leads N`) when the file does
not exist, else reuses it. Each case is requested with the Flask test client, signed in as an
admin, `--warmup` times and then `--runs` times; the numbers are whole request/response cycles
(routing, SQL, templates), without network.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from _harness import seeded_app, signed_in_client, time_cases
from sqlalchemy import func, select

from leadapp.auth.models import Team
from leadapp.extensions import db
from leadapp.leads.models import Lead, Tag
from leadapp.pipeline.models import Stage
from leadapp.sources.models import Campaign, LeadSource

DEFAULT_DB = Path(__file__).resolve().parents[1] / "instance" / "bench_lead_list.sqlite3"


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
    app = seeded_app(args.db, args.leads)
    client = signed_in_client(app)
    values = sample_values(app)
    urls = [(name, "/admin/leads" + (f"?{query}" if query else ""), partial)
            for name, query, partial in cases(values)]
    time_cases(app, client, urls, runs=args.runs, warmup=args.warmup, budget_ms=50,
               heading=f"{values['total']:,} leads · SQLite {args.db}")


if __name__ == "__main__":
    main()
