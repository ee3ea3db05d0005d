"""CSRF is on for every state change: a POST without a token is refused, the #page token works."""

from __future__ import annotations

import io
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


def test_import_upload_above_app_limit_passes_the_csrf_check_under_its_own_limit(csrf_app):
    """The CSRF check reads the form before the view runs: the import's larger limit must
    already apply then, or every file above MAX_CONTENT_LENGTH would be a 413."""
    csrf_app.config.update(MAX_CONTENT_LENGTH=4096, IMPORT_MAX_BYTES=1024 * 1024)
    with csrf_app.app_context():
        email = UserFactory(role="admin").email
    client = csrf_app.test_client()
    token = _form_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token})
    form_token = _page_token(client.get("/admin/leads/import").get_data(as_text=True))
    rows = "Title,Source\n" + "".join(f"{'x' * 100} {n},Call\n" for n in range(100))

    response = client.post("/admin/leads/import", content_type="multipart/form-data",
                           data={"csrf_token": form_token,
                                 "file": (io.BytesIO(rows.encode()), "big.csv")})

    assert response.status_code == 303, response.get_data(as_text=True)[:300]
