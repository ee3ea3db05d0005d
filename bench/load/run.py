"""A bounded load test: gunicorn (2 workers) on 127.0.0.1 against the PostgreSQL dataset, a mix
of list views, lead pages, board moves and capture submissions, then a check that nothing was
lost.

    .venv/bin/python bench/load/run.py [--users 8] [--seconds 60] [--url DATABASE_URL]
                                       [--json FILE]

Each virtual user is a thread with its own keep-alive connection and cookies. Signed-in users
(sales managers) open the lead list with a random filter, search, sort or page, open lead pages
and drag cards on the board, carrying the CSRF token like the browser does; anonymous visitors
open the public capture form and submit it. Every board move works on leads that belong to that
user alone, so its last acknowledged move is the stage the lead must end in. Afterwards the
database is checked: every accepted capture (its thank-you page) is a lead with that email, and
every acknowledged move persisted. Prints requests/second, median and p95 per kind, and errors
(5xx, connection failures, and answers other than the expected ones).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import dataset  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from leadapp.extensions import db  # noqa: E402

PASSWORD = "load-password-123"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CAPTURE_TOKEN = re.compile(r'name="token" value="([^"]+)"')
# Weights of the mix per signed-in step; capture visitors run in their own threads.
MIX = {"list": 55, "lead": 25, "move": 20}
FIRST = ["Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Isabel", "Jonas"]
LAST = ["Adams", "Berg", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito"]


# --- HTTP ---------------------------------------------------------------------------------


class Client:
    """One keep-alive connection with a cookie jar: what one browser tab does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, float]:
        data = urlencode(body, doseq=True) if body is not None else None
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=data, headers=sent)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0, "", (time.perf_counter() - started) * 1000
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text, (time.perf_counter() - started) * 1000


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    captures: list[str] = field(default_factory=list)  # emails with a thank-you answer
    moves: dict[int, int] = field(default_factory=dict)  # lead id -> last acknowledged stage
    uncertain: set[int] = field(default_factory=set)  # last move of the lead got no answer
    conflicts: int = 0

    def record(self, kind: str, status: int, ms: float, expected: tuple[int, ...] = (200,),
               detail: str = "") -> bool:
        ok = status in expected
        with self.lock:
            self.timings[kind].append(ms)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{kind}: HTTP {status} {detail}"[:200])
        return ok


# --- Virtual users ------------------------------------------------------------------------


def sign_in(client: Client, email: str) -> str:
    """Sign in through the form; returns the CSRF token htmx requests carry."""
    _status, page, _ = client.request("GET", "/login")
    token = FORM_CSRF.search(page)
    status, _, _ = client.request("POST", "/login", {
        "email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""})
    if status != 303:
        raise RuntimeError(f"sign-in of {email} answered {status}")
    _status, page, _ = client.request("GET", "/admin/leads")
    found = CSRF.search(page)
    if not found:
        raise RuntimeError("no CSRF token on the lead list")
    return found.group(1)


def list_query(rng: random.Random, plan: dict[str, Any]) -> str:
    choice = rng.randrange(6)
    if choice == 0:
        return ""
    if choice == 1:
        return urlencode({"q": rng.choice(LAST).lower()})
    if choice == 2:
        return urlencode({"source": rng.choice(plan["sources"])})
    if choice == 3:
        return urlencode({"stage": rng.choice(plan["stages"])})
    if choice == 4:
        return urlencode({"sort": rng.choice(["title", "company", "created", "budget"]),
                          "dir": rng.choice(["asc", "desc"])})
    return urlencode({"page": rng.randint(2, 400)})


def staff_user(port: int, index: int, plan: dict[str, Any], results: Results,
               stop: float) -> None:
    rng = random.Random(index)
    client = Client(port)
    token = sign_in(client, plan["emails"][index % len(plan["emails"])])
    mine = plan["move_leads"][index]
    htmx = {"HX-Request": "true", "X-CSRFToken": token}
    while time.perf_counter() < stop:
        kind = rng.choices(list(MIX), list(MIX.values()))[0]
        if kind == "list":
            query = list_query(rng, plan)
            status, _, ms = client.request("GET", "/admin/leads" + (f"?{query}" if query else ""),
                                           headers={"HX-Request": "true"})
            results.record("list", status, ms, detail=query)
        elif kind == "lead":
            lead_id = rng.choice(plan["view_leads"])
            status, _, ms = client.request("GET", f"/admin/leads/{lead_id}")
            results.record("lead page", status, ms, detail=str(lead_id))
        else:
            lead_id, stage = rng.choice(mine), rng.choice(plan["stages"])
            status, body, ms = client.request("POST", "/admin/leads/board/move", {
                "lead_id": lead_id, "stage": stage, "position": rng.randint(0, 20)}, htmx)
            # 409: another user's move changed the column first; the board refuses and says
            # so (nothing written). Not an error, and not an acknowledged move either.
            acknowledged = results.record("board move", status, ms, expected=(200, 409),
                                          detail=body[:120]) and status == 200
            with results.lock:
                if status == 409:
                    results.conflicts += 1
                elif acknowledged:
                    results.moves[lead_id] = stage
                    results.uncertain.discard(lead_id)
                else:  # no answer: the move may or may not have happened
                    results.uncertain.add(lead_id)
    client.connection.close()  # else gunicorn's graceful stop waits for the idle keep-alive


def visitor(port: int, index: int, public_key: str, results: Results, stop: float) -> None:
    rng = random.Random(10_000 + index)
    number = 0
    while time.perf_counter() < stop:
        client = Client(port)  # a new visitor each time: no cookies, like an embedded form
        status, page, ms = client.request("GET", f"/f/{public_key}")
        results.record("capture form", status, ms)
        token = CAPTURE_TOKEN.search(page)
        number += 1
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.load{index}x{number}.{rng.randrange(10**6)}@loadtest.example.com"
        status, body, ms = client.request("POST", f"/f/{public_key}", {
            "first_name": first, "last_name": last, "email": email.lower(),
            "phone": f"+49 30 {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
            "company": f"{last} Logistics GmbH", "message": "Please send me a quote.",
            "token": token.group(1) if token else ""})
        if results.record("capture submit", status, ms, detail=body[:120]) \
                and "cf-thanks" in body:
            with results.lock:
                results.captures.append(email.lower())
        client.connection.close()


# --- Setup, server, verification ----------------------------------------------------------


def prepare(app: Any, users: int) -> dict[str, Any]:
    """Load-test users, a capture form, and the leads each user may move."""
    from leadapp.auth.models import Role, User
    from leadapp.auth.services import hash_password
    from leadapp.capture.fields import DEFAULT_FIELDS
    from leadapp.capture.services import FormSettings, create_form
    from leadapp.leads.models import Lead
    from leadapp.pipeline.models import Pipeline, StageKind
    from leadapp.sources.models import LeadSource

    with app.app_context():
        password_hash = hash_password(PASSWORD)
        emails = []
        for index in range(users):
            email = f"load-manager-{index}@bench.leadapp.example"
            if db.session.scalar(select(User.id).where(User.email == email)) is None:
                db.session.add(User(email=email, name=f"Load Manager {index}", role=Role.manager,
                                    active=True, password_hash=password_hash, preferences={}))
            emails.append(email)
        db.session.commit()
        pipeline = db.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        stages = [s.id for s in pipeline.stages if s.kind == StageKind.open]
        open_leads = list(db.session.scalars(
            select(Lead.id).where(Lead.stage_id.in_(stages), Lead.deleted_at.is_(None),
                                  Lead.converted_at.is_(None))
            .order_by(Lead.id.desc()).limit(users * 40)))
        sources = list(db.session.scalars(select(LeadSource.id).order_by(LeadSource.id)))
        form, _ = create_form(FormSettings(
            name=f"Load test form {int(time.time())}", fields=DEFAULT_FIELDS, consent_text="",
            source_id=sources[0], campaign_id=None, owner_id=None, team_id=None,
            thank_you_text="Thanks.", redirect_url="", allowed_origins="", spam_threshold=50,
            min_fill_seconds=0))
        total = db.session.scalar(select(func.count()).select_from(Lead))
        return {"emails": emails, "stages": stages, "sources": sources,
                "move_leads": [open_leads[i::users] for i in range(users)],
                "view_leads": open_leads, "public_key": form.public_key, "total": total}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, port: int) -> subprocess.Popen:
    # Limits stay on, set high enough for one load-generating address.
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-" + "y" * 40,
           "LOGIN_RATE_LIMIT": "10000 per minute", "CAPTURE_RATE_LIMIT": "100000 per minute",
           "CAPTURE_SOFT_LIMIT": "100000 per minute", "API_RATE_LIMIT": "100000 per minute"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--graceful-timeout", "20", "--access-logfile", "/dev/null",
         "--error-logfile", "/tmp/leadapp-bench/gunicorn-load.log", "wsgi:app"], cwd=ROOT, env=env)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start; see /tmp/leadapp-bench/gunicorn-load.log")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:  # a worker stuck past the graceful timeout
        server.kill()
        server.wait()


def verify(app: Any, results: Results) -> dict[str, int]:
    """Count accepted captures without a lead and acknowledged moves that did not persist."""
    from leadapp.leads.models import Lead

    with app.app_context():
        found: set[str] = set()
        for start in range(0, len(results.captures), 500):
            chunk = results.captures[start:start + 500]
            found.update(db.session.scalars(select(func.lower(Lead.email))
                                            .where(func.lower(Lead.email).in_(chunk))))
        stages = dict(db.session.execute(select(Lead.id, Lead.stage_id)
                                         .where(Lead.id.in_(list(results.moves)))).tuples().all())
        db.engine.dispose()
    checked = {lead_id: stage for lead_id, stage in results.moves.items()
               if lead_id not in results.uncertain}
    return {"captures_accepted": len(results.captures),
            "captures_missing": sum(1 for email in results.captures if email not in found),
            "moves_acknowledged": len(checked), "moves_unanswered": len(results.uncertain),
            "move_conflicts": results.conflicts,
            "moves_lost": sum(1 for lead_id, stage in checked.items()
                              if stages.get(lead_id) != stage)}


def summary(results: Results, seconds: float, checks: dict[str, int]) -> dict[str, Any]:
    kinds = {}
    for kind, values in sorted(results.timings.items()):
        ordered = sorted(values)
        kinds[kind] = {"requests": len(values), "rps": len(values) / seconds,
                       "median_ms": statistics.median(ordered),
                       "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
                       "errors": results.errors.get(kind, 0)}
    everything = sorted(ms for values in results.timings.values() for ms in values)
    return {"seconds": seconds, "requests": len(everything), "rps": len(everything) / seconds,
            "median_ms": statistics.median(everything) if everything else 0,
            "p95_ms": everything[round(0.95 * (len(everything) - 1))] if everything else 0,
            "errors": sum(results.errors.values()), "kinds": kinds, **checks,
            "error_samples": results.error_samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8, help="signed-in users (threads)")
    parser.add_argument("--visitors", type=int, default=2, help="capture-form visitors")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--url", help=f"PostgreSQL dataset URL (default {dataset.PG_URL})")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    url = dataset.ensure("postgresql", url=args.url)
    app = dataset.app_for(url)
    plan = prepare(app, args.users)
    port = free_port()
    server = start_server(url, port)
    results = Results()
    try:
        started = time.perf_counter()
        stop = started + args.seconds
        threads = [threading.Thread(target=staff_user, args=(port, i, plan, results, stop))
                   for i in range(args.users)]
        threads += [threading.Thread(target=visitor,
                                     args=(port, i, plan["public_key"], results, stop))
                    for i in range(args.visitors)]
        load_before = os.getloadavg()[0]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        load_after = os.getloadavg()[0]
    finally:
        stop_server(server)
    report = summary(results, elapsed, verify(app, results))
    # Board renumbering leaves dead rows behind; clean up so the next benchmark on this
    # dataset does not measure them (autovacuum would, later).
    dataset.analyze(app)
    report.update(leads=plan["total"], users=args.users, visitors=args.visitors,
                  load_before=load_before, load_after=load_after)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


def print_report(report: dict[str, Any]) -> None:
    print(f"load test: gunicorn 2 workers x 4 threads, PostgreSQL {report['leads']:,} leads, "
          f"{report['users']} signed-in users + {report['visitors']} capture visitors, "
          f"{report['seconds']:.0f} s; load average {report['load_before']:.2f} before, "
          f"{report['load_after']:.2f} at the end on {os.cpu_count()} CPUs")
    print(f"{'kind':16} {'requests':>9} {'req/s':>7} {'median':>8} {'p95':>8} {'errors':>7}")
    for kind, row in report["kinds"].items():
        print(f"{kind:16} {row['requests']:9d} {row['rps']:7.1f} {row['median_ms']:8.1f} "
              f"{row['p95_ms']:8.1f} {row['errors']:7d}")
    print(f"{'all':16} {report['requests']:9d} {report['rps']:7.1f} {report['median_ms']:8.1f} "
          f"{report['p95_ms']:8.1f} {report['errors']:7d}")
    print(f"captures accepted {report['captures_accepted']}, without a lead "
          f"{report['captures_missing']}; moves acknowledged (last per lead) "
          f"{report['moves_acknowledged']}, not persisted {report['moves_lost']}; "
          f"409 conflicts {report['move_conflicts']}; leads whose last move got no answer "
          f"{report['moves_unanswered']} (not checked)")
    for sample in report["error_samples"]:
        print(f"  error: {sample}")


if __name__ == "__main__":
    main()
