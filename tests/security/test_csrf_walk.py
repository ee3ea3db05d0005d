"""CSRF on every state change: every non-GET route, called by a signed-in admin without a token,
is refused with 400 and changes nothing. The exemptions are listed and asserted exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from leadapp.auth.models import Role
from leadapp.errors import CSRF_MESSAGE
from leadapp.extensions import db
from leadapp.leads.models import Lead
from leadapp.reference import ensure_reference_data
from tests.conftest import SQLITE, make_app
from tests.security.conftest import changed_tables, sign_in, snapshot
from tests.security.dataset import Dataset, seed
from tests.security.routes import all_routes, build_url

# No session cookie is read on these, so a cross-site form cannot ride on one:
# the JSON API authenticates by the authtoken header; the public capture form and its API are
# meant to be posted from other sites and carry their own signed token / form API key.
EXEMPT_BLUEPRINTS = {"api", "capture_api", "capture_public"}


@pytest.fixture
def csrf_app(app: Flask, tmp_path: Any) -> Iterator[tuple[Flask, Dataset]]:
    """CSRF switched on, with its own seeded database (the `app` fixture cleans PostgreSQL)."""
    csrf_app = make_app(WTF_CSRF_ENABLED=True, UPLOAD_DIR=str(tmp_path / "csrf-uploads"))
    with csrf_app.app_context():
        if SQLITE:
            db.create_all()
        ensure_reference_data()
        dataset = seed()
    yield csrf_app, dataset
    with csrf_app.app_context():
        db.session.remove()
        db.engine.dispose()


def _form_token(client: FlaskClient, base_url: str = "http://localhost") -> str:
    html = client.get("/login", base_url=base_url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "the login form carries a CSRF token"
    return match.group(1)


def _signed_in(app: Flask, role: Role = Role.admin) -> FlaskClient:
    client = app.test_client()
    sign_in(client, role, csrf_token=_form_token(client))
    return client


def _writes(app: Flask) -> list[Any]:
    return [route for route in all_routes(app) if route.method not in ("GET", "OPTIONS")]


def test_every_write_without_token_is_refused_and_changes_nothing(csrf_app) -> None:
    app, dataset = csrf_app
    client = _signed_in(app)
    refused, not_refused, problems = set(), set(), []
    for route in _writes(app):
        before = snapshot(app)
        for htmx in (False, True):
            response = client.open(build_url(app, route, dataset.ids), method=route.method,
                                   data={"title": "x", "name": "x"},
                                   headers={"HX-Request": "true"} if htmx else {})
            text = response.get_data(as_text=True) + response.headers.get("HX-Trigger", "")
            response.close()
            if response.status_code == 400 and CSRF_MESSAGE in text:
                refused.add(route.endpoint)
            else:
                not_refused.add(route.endpoint)
        if route.endpoint in refused and changed_tables(before, snapshot(app)):
            problems.append(f"{route.label}: refused but changed the database")
    exempt = {endpoint for endpoint in not_refused
              if endpoint.split(".")[0] in EXEMPT_BLUEPRINTS}
    assert problems == []
    assert not_refused == exempt, f"writes that skip CSRF: {sorted(not_refused - exempt)}"
    assert refused & not_refused == set()
    assert len(refused) >= 100
    # Exactly the deliberate exemptions: the token API, the public form and the site capture.
    assert {endpoint.split(".")[0] for endpoint in exempt} == EXEMPT_BLUEPRINTS


def test_a_token_from_another_session_is_refused(csrf_app) -> None:
    app, dataset = csrf_app
    victim = _signed_in(app)
    attacker_token = _form_token(app.test_client())
    response = victim.post("/admin/leads/sources", data={"name": "Planted", "csrf_token":
                                                         attacker_token})
    assert response.status_code == 400
    with app.app_context():
        from leadapp.sources.models import LeadSource

        assert db.session.scalar(select(LeadSource).where(LeadSource.name == "Planted")) is None


def test_the_page_token_in_the_header_is_accepted(csrf_app) -> None:
    """The refusals above are about the token: the same write with it goes through."""
    app, _ = csrf_app
    client = _signed_in(app)
    html = client.get("/admin/leads/sources").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    response = client.post("/admin/leads/sources", data={"name": "Header token"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code in (200, 201, 303)
    with app.app_context():
        from leadapp.sources.models import LeadSource

        assert db.session.scalar(select(LeadSource).where(LeadSource.name == "Header token"))


def test_https_write_from_a_foreign_referer_is_refused(csrf_app) -> None:
    """Over https Flask-WTF also checks the Referer is this site (a stolen token is not enough)."""
    app, _ = csrf_app
    client = app.test_client()
    token = _form_token(client, "https://localhost")
    response = client.post("/login", base_url="https://localhost",
                           data={"email": "admin@demo.leadapp.example",
                                 "password": "demo-password", "csrf_token": token},
                           headers={"Referer": "https://evil.example/"})
    assert response.status_code == 400


def test_api_ignores_the_session_cookie(csrf_app) -> None:
    """Why the API may skip CSRF: a signed-in browser without a token header gets 401."""
    app, _ = csrf_app
    client = _signed_in(app)
    response = client.post("/api/lead_sources", json={"name": "Via cookie"})
    assert response.status_code == 401
    assert client.delete("/api/leads/1").status_code == 401


def test_public_capture_without_its_token_makes_no_lead(csrf_app) -> None:
    app, dataset = csrf_app
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Lead))
    response = app.test_client().post(
        f"/f/{dataset.ids['public_key']}",
        data={"first_name": "Eve", "email": "eve@example.com"})
    assert response.status_code < 500
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)) == before
