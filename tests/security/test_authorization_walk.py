"""Every route x every role (and anonymous) against the permission matrix.

The expectations come from the hand-written tables in tests/security/routes.py (PAGES, PUBLIC,
API), not from the routes' own `require()`: a route declaring the wrong permission fails both the
table check below and the walk. A refused write must leave every table unchanged. The walk runs
twice: as a plain browser request and as an htmx request (`HX-Request: true`), whose branch of
each view must refuse the same actors (anonymous: 401 with `HX-Redirect` to the login page).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from leadapp.auth.models import Role
from tests.security.conftest import changed_tables, sign_in, snapshot
from tests.security.dataset import Dataset
from tests.security.routes import (
    API,
    PAGES,
    PUBLIC,
    Route,
    all_routes,
    build_url,
    permission_mismatches,
    unclassified,
)

ACTORS = [None, *Role]


def test_every_route_is_classified(app: Flask) -> None:
    assert unclassified(app) == []


def test_each_endpoint_is_in_exactly_one_table() -> None:
    pages, api = set(PAGES), set(API)
    assert pages & PUBLIC == set() and pages & api == set() and PUBLIC & api == set()


def test_require_declares_what_the_table_expects(app: Flask) -> None:
    assert permission_mismatches(app) == []


def test_table_check_catches_a_wrong_declaration(app: Flask, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    """The check above can fail: a view declaring a broader action is reported."""
    view = app.view_functions["users.index"]
    monkeypatch.setattr(view, "permission", "leads.create")
    assert permission_mismatches(app) == [
        "users.index: require('leads.create'), the table says 'users.manage'"]


def _request(client: FlaskClient, route: Route, url: str, token: str | None, hx: bool):
    headers = {"authtoken": token} if token else {}
    if hx:
        headers.update({"HX-Request": "true", "HX-Current-URL": "http://localhost/admin/leads"})
    kwargs = {} if route.method == "GET" else {"data": {}}
    response = client.open(url, method=route.method, headers=headers, **kwargs)
    response.close()
    return response


def _to_login(response) -> bool:
    """A redirect to the sign-in page, the plain (302) or the htmx (401 + HX-Redirect) way."""
    if response.status_code == 302:
        return response.location.startswith("/login")
    return response.status_code == 401 and response.headers.get(
        "HX-Redirect", "").startswith("/login")


def _problem(route: Route, role: Role | None, response, before, app: Flask, hx: bool
             ) -> str | None:
    """What is wrong with this response for this actor, or None."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if route.kind == "public":
        # (The capture API's 401 is its own form key, not a sign-in.)
        if route.endpoint not in ("auth.logout", "auth.home") and _to_login(response):
            return f"public route sent to the sign-in page ({status})"
        return None
    allowed = role is not None and role in route.allowed
    if allowed:
        if status in (401, 403) or _to_login(response):
            return f"allowed role refused ({status})"
        return None
    if role is None:
        if route.kind == "api":
            expected_ok = status == 401
        elif hx:
            expected_ok = status == 401 and response.headers.get(
                "HX-Redirect", "").startswith("/login?next=")
        else:
            expected_ok = status == 302 and response.location.startswith("/login")
    else:
        expected_ok = status == 403
    if not expected_ok:
        return f"expected refusal, got {status}"
    if before is not None:
        changed = changed_tables(before, snapshot(app))
        if changed:
            return f"refused but changed {changed}"
    return None


@pytest.mark.parametrize("hx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("role", ACTORS, ids=lambda role: role.value if role else "anonymous")
def test_walk_every_route_matches_permission_matrix(app: Flask, dataset: Dataset,
                                                    client_as: Callable, role: Role | None,
                                                    hx: bool) -> None:
    client = client_as(role)
    token = dataset.tokens.get(role) if role else None
    problems, statuses = [], Counter()
    for route in all_routes(app):
        url = build_url(app, route, dataset.ids)
        refused = role is None or role not in route.allowed
        before = snapshot(app) if refused and route.method != "GET" else None
        response = _request(client, route, url, token if route.kind == "api" else None, hx)
        statuses[response.status_code] += 1
        problem = _problem(route, role, response, before, app, hx)
        if problem:
            problems.append(f"{route.label} [{route.endpoint}]: {problem}")
        if route.endpoint == "auth.logout" and role is not None:
            sign_in(client, role)  # the walk goes on signed in
    assert problems == [], "\n".join(problems)
    assert sum(statuses.values()) >= 240
    # The walk saw real pages, not only refusals.
    if role is Role.admin:
        assert statuses[200] >= 100, statuses
