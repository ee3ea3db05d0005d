"""Every request the issue names, timed through the app against the bare SQL it runs.

    .venv/bin/python bench/endpoints.py sqlite     [--runs 20] [--only list,board,...] [--json F]
    .venv/bin/python bench/endpoints.py postgresql [--runs 20] ...

Uses the dataset of bench/dataset.py (built on first use: 100,000 leads on SQLite, 1,000,000 on
PostgreSQL). Per case: median and p95 wall ms, CPU ms of this process, SQL statements per
request, the bare replay of those statements (bench/_measure.py) and the ratio to it. Groups:
list (no filter, each filter, search, each sort, deep pages), counts (the exact counts a long
list loads after its page), lead (the lead page), board (page,
partial, a move), report, api (lead_sources list/get/create; /api/leads when it exists), capture
(the public form's submit and create-from-site).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dataset  # noqa: E402
from _measure import Figure, load_average, measure, print_table  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from leadapp.auth.models import Role, User  # noqa: E402
from leadapp.auth.services import hash_password  # noqa: E402
from leadapp.auth.tokens import create_token  # noqa: E402
from leadapp.extensions import db  # noqa: E402
from leadapp.leads.models import Activity, Lead  # noqa: E402
from leadapp.pipeline.models import Pipeline, StageKind  # noqa: E402
from leadapp.sources.models import LeadSource  # noqa: E402

BENCH_EMAIL = "bench-admin@bench.leadapp.example"
BENCH_PASSWORD = "bench-password-123"
GROUPS = ("list", "counts", "lead", "board", "report", "api", "capture")
# (SQLite, PostgreSQL) medians the issue sets; None: no target, only measured.
TARGETS = {"list": (30, 100), "lead": (30, None), "board": (100, None), "report": (200, None)}
MAX_RATIO = {"list": 3.0, "lead": 3.0}


@dataclass
class Case:
    group: str
    name: str
    call: Callable[[int], Any]


def bench_user(app: Any) -> int:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == BENCH_EMAIL))
        if user is None:
            user = User(email=BENCH_EMAIL, name="Bench Admin", role=Role.admin, active=True,
                        password_hash=hash_password(BENCH_PASSWORD), preferences={})
            db.session.add(user)
            db.session.commit()
        return user.id


def signed_in(app: Any) -> Any:
    client = app.test_client()
    response = client.post("/login", data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD})
    assert response.status_code == 303, response.status_code
    return client


def get(client: Any, url: str, partial: bool = False, **headers: str) -> Callable[[int], Any]:
    if partial:
        headers["HX-Request"] = "true"
    return lambda _run: client.get(url, headers=headers)


# --- the cases --------------------------------------------------------------------------------


def list_cases(app: Any, client: Any) -> list[Case]:
    from lead_list import cases, sample_values

    values = sample_values(app)
    return [Case("list", name, get(client, "/admin/leads" + (f"?{query}" if query else ""),
                                   partial))
            for name, query, partial in cases(values)]


def counts_cases(app: Any, client: Any) -> list[Case]:
    """The exact counts a long list asks for after its page (leads.list_counts): not part of
    the page's time, but what the user waits for before "1,000+" becomes a number."""
    from lead_list import cases, sample_values

    values = sample_values(app)
    return [Case("counts", f"counts: {name}", get(client, "/admin/leads/counts"
                                                  + (f"?{query}" if query else ""), True))
            for name, query, _partial in cases(values)
            if name == "list rows (htmx)" or name.startswith(("filter", "search"))]


def lead_cases(app: Any, client: Any) -> list[Case]:
    """A busy lead (most timeline rows among recent ones) and an ordinary one."""
    with app.app_context():
        recent = select(Lead.id).where(Lead.deleted_at.is_(None)).order_by(Lead.id.desc()) \
            .limit(2000).subquery()
        busy = db.session.scalar(select(Activity.lead_id).where(Activity.lead_id.in_(
            select(recent.c.id))).group_by(Activity.lead_id)
            .order_by(func.count().desc()).limit(1))
        plain = db.session.scalar(select(Lead.id).where(Lead.deleted_at.is_(None))
                                  .order_by(Lead.id).limit(1))
    return [Case("lead", "lead page (busy timeline)", get(client, f"/admin/leads/{busy}")),
            Case("lead", "lead page (oldest lead)", get(client, f"/admin/leads/{plain}"))]


def board_cases(app: Any, client: Any) -> list[Case]:
    rng = random.Random(5)
    with app.app_context():
        pipeline = db.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        stage_ids = [s.id for s in pipeline.stages if s.kind == StageKind.open]
        lead_ids = list(db.session.scalars(
            select(Lead.id).where(Lead.stage_id.in_(stage_ids), Lead.deleted_at.is_(None),
                                  Lead.converted_at.is_(None)).order_by(Lead.id.desc())
            .limit(500)))
    plans = [{"lead_id": lead_id, "stage": rng.choice(stage_ids),
              "position": rng.choice([0, 1, 5, 20, 49])} for lead_id in lead_ids]

    def move(run: int) -> Any:
        return client.post("/admin/leads/board/move", data=plans[run % len(plans)],
                           headers={"HX-Request": "true"})

    return [Case("board", "board page", get(client, "/admin/leads/board")),
            Case("board", "board columns (htmx)", get(client, "/admin/leads/board", True)),
            Case("board", "move a card (POST)", move)]


def report_cases(_app: Any, client: Any) -> list[Case]:
    base = "/admin/reports/sources"
    return [Case("report", "source report, this month", get(client, base)),
            Case("report", "source report, 12 months (htmx)",
                 get(client, f"{base}?range=last_12_months", True))]


def api_cases(app: Any, client: Any) -> list[Case]:
    with app.app_context():
        _token, plain = create_token(bench_user(app), "bench")
        source_id = db.session.scalar(select(LeadSource.id).order_by(LeadSource.id))
        lead_id = db.session.scalar(select(Lead.id).where(Lead.deleted_at.is_(None))
                                    .order_by(Lead.id.desc()).limit(1))
        rules = {rule.rule for rule in app.url_map.iter_rules()}
    auth = {"authtoken": plain}
    marker = random.Random().randrange(10**9)  # fresh names on a reused database

    def create_source(run: int) -> Any:
        return client.post("/api/lead_sources", headers=auth,
                           json={"name": f"Bench source {marker}-{run}"})

    cases = [Case("api", "GET /api/lead_sources", get(client, "/api/lead_sources", **auth)),
             Case("api", "GET /api/lead_sources?page=1",
                  get(client, "/api/lead_sources?page=1&per_page=25", **auth)),
             Case("api", "GET /api/lead_sources/<id>",
                  get(client, f"/api/lead_sources/{source_id}", **auth)),
             Case("api", "POST /api/lead_sources", create_source)]
    if "/api/leads" in rules:  # helper A's leads API, once it has landed
        def create_lead(run: int) -> Any:
            # A new company and contact, as an integration creating a fresh lead would send.
            return client.post("/api/leads", headers=auth, json={
                "title": f"Bench API lead {marker}-{run}", "source_id": source_id,
                "new_company_name": f"Bench API Works {marker}-{run}",
                "company_website": "https://bench-api.example.com", "first_name": "Ada",
                "last_name": "Bench", "email": f"api-{marker}-{run}@bench.example.com"})

        cases += [Case("api", "GET /api/leads", get(client, "/api/leads", **auth)),
                  Case("api", "GET /api/leads?offset=50000",
                       get(client, "/api/leads?limit=25&offset=50000", **auth)),
                  Case("api", "GET /api/leads/<id>", get(client, f"/api/leads/{lead_id}",
                                                          **auth)),
                  Case("api", "POST /api/leads", create_lead)]
    return cases


def capture_cases(app: Any, client: Any) -> list[Case]:
    from leadapp.capture import tokens
    from leadapp.capture.fields import DEFAULT_FIELDS
    from leadapp.capture.services import FormSettings, create_form

    with app.app_context():
        source_id = db.session.scalar(select(LeadSource.id).order_by(LeadSource.id))
        # No minimum fill time: the benchmark posts right after issuing the form token.
        form, api_key = create_form(FormSettings(
            name=f"Bench form {random.Random().randrange(10**9)}", fields=DEFAULT_FIELDS,
            consent_text="", source_id=source_id, campaign_id=None, owner_id=None, team_id=None,
            thank_you_text="Thanks.", redirect_url="", allowed_origins="", spam_threshold=50,
            min_fill_seconds=0))
        public_key = form.public_key
    anonymous = app.test_client()
    rng = random.Random(11)

    def person(run: int) -> dict[str, str]:
        first, last = rng.choice(["Anna", "Ben", "Carla", "David"]), rng.choice(["Berg", "Ito"])
        return {"first_name": first, "last_name": last, "company": "Bench Works Ltd",
                "email": f"{first}.{last}.{run}.{rng.randrange(10**6)}@bench-example.com".lower(),
                "phone": "+49 30 555 0100", "message": "Please call me about a quote."}

    def submit(run: int) -> Any:
        with app.app_context():
            token = tokens.issue(public_key)
        return anonymous.post(f"/f/{public_key}", data={**person(run), "token": token})

    def from_site(run: int) -> Any:
        return anonymous.post(f"/api/leads/create-from-site/?apikey={api_key}", data=person(run))

    return [Case("capture", "public form submit (POST /f/<key>)", submit),
            Case("capture", "create-from-site (POST)", from_site)]


BUILDERS = {"list": list_cases, "counts": counts_cases, "lead": lead_cases, "board": board_cases,
            "report": report_cases, "api": api_cases, "capture": capture_cases}


def run(kind: str, groups: list[str], runs: int, warmup: int, *, path: Path | None = None,
        url: str | None = None) -> list[Figure]:
    url = dataset.ensure(kind, path=path, url=url)
    app = dataset.app_for(url)
    bench_user(app)
    client = signed_in(app)
    target_index = 0 if kind == "sqlite" else 1
    figures = []
    for group in groups:
        for case in BUILDERS[group](app, client):
            target = TARGETS.get(group, (None, None))[target_index]
            figures.append(measure(app, case.group, case.name, case.call, runs=runs,
                                   warmup=warmup, target_ms=target,
                                   max_ratio=MAX_RATIO.get(group) if kind == "sqlite" else None))
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Lead))
        db.engine.dispose()
    print_table(figures, f"{kind}, {total:,} leads · {runs} runs after {warmup} warm-up · "
                         f"{load_average()}")
    return figures


def _short(statement: str) -> str:
    """The statement on one line, its long column list elided."""
    flat = " ".join(statement.split())
    head, _, tail = flat.partition(" FROM ")
    return (head[:60] + " … FROM " + tail if tail else flat)[:400]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(dataset.DEFAULTS))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated groups out of {', '.join(GROUPS)}")
    parser.add_argument("--path", type=Path, help="SQLite dataset file (bench/dataset.py)")
    parser.add_argument("--url", help="PostgreSQL dataset URL (bench/dataset.py)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--slow", action="store_true",
                        help="also print each case's three slowest statements")
    args = parser.parse_args()
    groups = [group for group in args.only.split(",") if group]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown group(s) {', '.join(sorted(unknown))}; use {', '.join(GROUPS)}")
    figures = run(args.kind, groups, args.runs, args.warmup, path=args.path, url=args.url)
    if args.slow:
        for figure in figures:
            print(f"\n{figure.group} / {figure.name}")
            for ms, statement in figure.slowest:
                print(f"  {ms:7.2f} ms  {_short(statement)}")
    if args.json:
        args.json.write_text(json.dumps([f.as_dict() for f in figures], indent=1))


if __name__ == "__main__":
    main()
