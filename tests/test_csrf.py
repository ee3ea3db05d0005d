"""CSRF is on for every state change: a POST without a token is refused, the #page token works."""

from __future__ import annotations

import re

import pytest

from leadapp.extensions import db
from tests.conftest import TEST_PASSWORD, make_app
from tests.factories import UserFactory


@pytest.fixture
def csrf_app(app):
    """The same database as `app`, but with CSRF checks switched on."""
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with csrf_app.app_context():
            db.create_all()
    yield csrf_app
    with csrf_app.app_context():
        db.engine.dispose()


def _page_token(html: str) -> str:
    match = re.search(r'id="page" hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', html)
    assert match, "the #page wrapper carries the CSRF header"
    return match.group(1)


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_login_without_token_is_refused_with_400(csrf_app):
    with csrf_app.app_context():
        email = UserFactory(role="admin").email
    response = csrf_app.test_client().post("/login", data={"email": email,
                                                           "password": TEST_PASSWORD})
    assert response.status_code == 400


def test_post_with_token_from_page_header_is_accepted(csrf_app):
    with csrf_app.app_context():
        email = UserFactory(role="admin").email
    client = csrf_app.test_client()
    token = _form_token(client.get("/login").get_data(as_text=True))
    signed_in = client.post("/login", data={"email": email, "password": TEST_PASSWORD,
                                            "csrf_token": token})
    assert signed_in.status_code == 303
    header_token = _page_token(client.get("/admin").get_data(as_text=True))

    refused = client.post("/logout", headers={"HX-Request": "true"})
    accepted = client.post("/logout", headers={"X-CSRFToken": header_token})

    assert refused.status_code == 400
    assert accepted.status_code == 303
