"""Every route x every role (and anonymous) against the permission matrix.

The expectations come from tests/security/routes.py: `require()` declarations plus explicit lists
for the signed-in-only, public and API routes. A refused write must leave every table unchanged.
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
from tests.security.routes import Route, all_routes, build_url, unclassified

ACTORS = [None, *Role]


def test_every_route_is_classified(app: Flask) -> None:
    assert unclassified(app) == []


def _request(client: FlaskClient, route: Route, url: str, token: str | None):
    headers = {"authtoken": token} if token else {}
    kwargs = {} if route.method == "GET" else {"data": {}}
    response = client.open(url, method=route.method, headers=headers, **kwargs)
    response.close()
    return response


def _problem(route: Route, role: Role | None, response, before, app: Flask) -> str | None:
    """What is wrong with this response for this actor, or None."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if route.kind == "public":
        return None
    allowed = role is not None and role in route.allowed
    if allowed:
        if status in (401, 403) or (status == 302 and "/login" in response.location):
            return f"allowed role refused ({status})"
        return None
    if role is None:
        expected_ok = (status == 401) if route.kind == "api" else (
            status == 302 and response.location.startswith("/login"))
    else:
        expected_ok = status == 403
    if not expected_ok:
        return f"expected refusal, got {status}"
    if before is not None:
        changed = changed_tables(before, snapshot(app))
        if changed:
            return f"refused but changed {changed}"
    return None


@pytest.mark.parametrize("role", ACTORS, ids=lambda role: role.value if role else "anonymous")
def test_walk_every_route_matches_permission_matrix(app: Flask, dataset: Dataset,
                                                    client_as: Callable, role: Role | None
                                                    ) -> None:
    client = client_as(role)
    token = dataset.tokens.get(role) if role else None
    problems, statuses = [], Counter()
    for route in all_routes(app):
        url = build_url(app, route, dataset.ids)
        refused = role is None or role not in route.allowed
        before = snapshot(app) if refused and route.method != "GET" else None
        response = _request(client, route, url, token if route.kind == "api" else None)
        statuses[response.status_code] += 1
        problem = _problem(route, role, response, before, app)
        if problem:
            problems.append(f"{route.label} [{route.endpoint}]: {problem}")
        if route.endpoint == "auth.logout" and role is not None:
            sign_in(client, role)  # the walk goes on signed in
    assert problems == [], "\n".join(problems)
    assert sum(statuses.values()) >= 240
    # The walk saw real pages, not only refusals.
    if role is Role.admin:
        assert statuses[200] >= 100, statuses
