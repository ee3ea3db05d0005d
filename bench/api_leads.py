"""Time GET /api/leads at scale: no filter and each single filter, median and p95 per case.

    .venv/bin/python bench/api_leads.py [DB_PATH] [--leads 100000] [--runs 20] [--url PG_URL]

Builds DB_PATH with `demo seed` (the code of `flask demo seed --leads N`) when it does not exist,
else reuses it; with --url, the same on PostgreSQL (bench/dataset.py). Requests go through the
Flask test client with an admin's API token; the figures are whole request/response cycles
(auth, SQL, JSON), without network. Target: < 50 ms median.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from urllib.parse import quote

from _harness import seeded_app, signed_in_client, time_cases
from lead_list import sample_values
from sqlalchemy import select

from leadapp.auth.models import User
from leadapp.auth.services import issue_token
from leadapp.extensions import db
from leadapp.leads.models import Lead, Tag
from leadapp.pipeline.models import Stage
from leadapp.sources.models import LeadSource

DEFAULT_DB = Path(__file__).resolve().parents[1] / "instance" / "bench_api_leads.sqlite3"


def api_cases(v: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, query string): no filter, then every filter of the API on its own."""
    return [
        ("no filter", ""),
        ("search surname", f"search={v['last_name']}"),
        ("name", f"name={v['last_name']}"),
        ("title word", f"title={v['title_word']}"),
        ("source id", f"source={v['source']}"),
        ("source name", f"source={v['source_name']}"),
        ("campaign", f"campaign={v['campaign']}"),
        ("status=lost", "status=lost"),
        ("stage name", f"stage={v['stage_name']}"),
        ("pipeline", f"pipeline={v['pipeline']}"),
        ("owner", f"owner={v['owner']}"),
        ("owner=none", "owner=none"),
        ("team", f"team={v['team']}"),
        ("tags (one)", f"tags={v['tag_name']}"),
        ("tags (two)", f"tags={v['tag_name']},{v['tag_name2']}"),
        ("city", f"city={v['city']}"),
        ("email", f"email={v['email']}"),
        ("created_after", "created_after=2025-06-01"),
        ("created_before", "created_before=2025-03-01"),
        ("updated_after (recent)", f"updated_after={v['recent']}"),
        ("converted=true", "converted=true"),
        ("converted=only", "converted=only"),
        ("deleted=true", "deleted=true"),
        ("sort title", "sort=title"),
        ("sort -budget", "sort=-budget"),
        ("limit 100", "limit=100"),
        ("offset 50000", "offset=50000"),
    ]


def api_values(app: Any) -> dict[str, Any]:
    values = sample_values(app)
    with app.app_context():
        stage = db.session.get(Stage, values["stage"])
        source = db.session.get(LeadSource, values["source"])
        tags = list(db.session.scalars(select(Tag.name).order_by(Tag.id).limit(2)))
        # A sync client's "since my last run": the moment about 100 changes ago.
        recent = db.session.scalar(select(Lead.updated_at).order_by(Lead.updated_at.desc())
                                   .offset(100).limit(1))
        title = db.session.scalar(select(Lead.title).order_by(Lead.id.desc()).limit(1))
    values.update(stage_name=stage.name, pipeline=stage.pipeline_id, source_name=source.name,
                  tag_name=tags[0], tag_name2=tags[-1],
                  recent=quote(recent.isoformat() if recent else "2026-01-01"),
                  title_word=max(title.split(), key=len))
    return values


def token_for_bench_admin(app: Any) -> str:
    from _harness import BENCH_EMAIL

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == BENCH_EMAIL))
        return issue_token(user, "bench")[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--url", help="time PostgreSQL instead: a database URL, built with "
                        "bench/dataset.py's code when it lacks the dataset (e.g. "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/bench_100k)")
    args = parser.parse_args()
    if args.url:
        from dataset import app_for, ensure

        app, where = app_for(ensure("postgresql", args.leads, url=args.url)), args.url
    else:
        app, where = seeded_app(args.db, args.leads), f"SQLite {args.db}"
    signed_in_client(app)  # creates the bench admin
    client = app.test_client()
    client.environ_base["HTTP_AUTHTOKEN"] = token_for_bench_admin(app)
    values = api_values(app)
    urls = [(name, "/api/leads" + (f"?{query}" if query else ""), False)
            for name, query in api_cases(values)]
    time_cases(app, client, urls, runs=args.runs, warmup=args.warmup, budget_ms=50,
               heading=f"GET /api/leads · {values['total']:,} leads · {where}")


if __name__ == "__main__":
    main()
