"""Error answers per audience: a page in the shell, an htmx toast, or API JSON."""

from __future__ import annotations

import json

import pytest
from flask import Response, abort

from leadapp.auth.permissions import require
from leadapp.errors import CSRF_MESSAGE, Conflict
from leadapp.extensions import db
from leadapp.models import Tag
from tests.conftest import make_app


def _toast(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["toast"]


@pytest.fixture
def routes(app):
    """Test-only routes, registered before the first request."""

    @app.get("/admin/_test/forbidden")
    @require("users.manage")
    def forbidden_view() -> str:
        return "secret"

    @app.get("/admin/_test/conflict")
    def conflict_view() -> str:
        raise Conflict("Someone renamed this source meanwhile.")

    @app.get("/api/_test/ping")
    def api_ping() -> dict:
        return {"status": True}

    @app.get("/admin/_test/gone")
    def gone_view() -> str:
        abort(404, description="That lead was deleted.")

    @app.get("/f/_test/limited")
    def limited_view() -> str:
        abort(Response("A page that may be framed", status=429, headers={"Retry-After": "60"}))

    return app


@pytest.fixture
def crashing(app):
    """Routes that fail unexpectedly; errors are handled, not propagated to the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/admin/_test/crash")
    def crash_view() -> str:
        # Names are unique ignoring case: the flush fails and leaves the session needing a
        # rollback, so the error page (which loads the signed-in user) renders only after one.
        db.session.add_all([Tag(name="dup"), Tag(name="DUP")])
        db.session.flush()
        return "unreachable"

    @app.get("/api/_test/crash")
    def api_crash_view() -> str:
        raise RuntimeError("boom")

    return app


def test_get_unknown_page_signed_in_renders_404_in_shell(client, login):
    login("sales")
    response = client.get("/admin/no-such-page")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "We could not find that page" in body
    assert 'aria-label="Main"' in body  # the signed-in navigation stays
    assert "Go to the dashboard" in body


def test_get_unknown_page_anonymous_offers_sign_in(client):
    response = client.get("/no-such-page")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert 'aria-label="Main"' not in body
    assert 'href="/login"' in body


def test_get_page_aborted_with_message_shows_that_message(client, login, routes):
    login("admin")
    response = client.get("/admin/_test/gone")
    assert response.status_code == 404
    assert "That lead was deleted." in response.get_data(as_text=True)


def test_get_page_role_not_allowed_renders_403(client, login, routes):
    login("sales")
    response = client.get("/admin/_test/forbidden")
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You do not have access" in body
    assert "Your role does not allow this action." in body
    assert "secret" not in body


def test_post_to_get_only_page_renders_405_with_allow(client, login):
    login("admin")
    response = client.post("/admin")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "That action is not available here" in response.get_data(as_text=True)


def test_error_carrying_its_own_response_is_answered_with_it(client, routes):
    response = client.get("/f/_test/limited")
    assert response.status_code == 429
    assert response.get_data(as_text=True) == "A page that may be framed"
    assert response.headers["Retry-After"] == "60"


def test_htmx_unknown_url_gets_empty_404_with_toast(hx, app):
    response = hx.get("/admin/no-such-page")
    assert response.status_code == 404
    assert response.get_data(as_text=True) == ""
    toast = _toast(response)
    assert toast["level"] == "error"
    assert toast["message"].startswith("The link may be out of date")


def test_htmx_role_not_allowed_gets_403_toast(app, hx, login, routes):
    login("sales", client_=hx)
    response = hx.get("/admin/_test/forbidden")
    assert response.status_code == 403
    assert response.get_data(as_text=True) == ""
    assert _toast(response)["message"] == "Your role does not allow this action."


def test_api_unknown_url_gets_json_404(client):
    response = client.get("/api/xyz")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["status"] is False
    assert response.get_json()["message"]


def test_api_unknown_url_from_htmx_still_gets_json(hx):
    response = hx.get("/api/xyz")
    assert response.status_code == 404
    assert response.get_json()["status"] is False


def test_api_wrong_method_gets_json_405_with_allow(client, routes):
    response = client.delete("/api/_test/ping")
    assert response.status_code == 405
    assert response.get_json() == {"status": False, "message": response.get_json()["message"]}
    assert "GET" in response.headers["Allow"]


def test_uncaught_domain_error_answers_with_its_status(client, hx, login, routes):
    login("admin")
    page = client.get("/admin/_test/conflict")
    assert page.status_code == 409
    assert "Someone renamed this source meanwhile." in page.get_data(as_text=True)
    login("admin", client_=hx)
    partial = hx.get("/admin/_test/conflict")
    assert partial.status_code == 409
    assert _toast(partial)["message"] == "Someone renamed this source meanwhile."


def test_unhandled_exception_renders_500_page_and_rolls_back(app, client, login, crashing):
    login("admin")
    response = client.get("/admin/_test/crash")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "IntegrityError" not in body and "Traceback" not in body
    assert 'aria-label="Main"' in body  # the shell rendered: the session was rolled back
    with app.app_context():
        assert db.session.query(Tag).filter(Tag.name.in_(["dup", "DUP"])).count() == 0
    assert client.get("/admin").status_code == 200  # the next request is unaffected


def test_unhandled_exception_htmx_gets_500_toast(app, hx, login, crashing):
    login("admin", client_=hx)
    response = hx.get("/admin/_test/crash")
    assert response.status_code == 500
    assert response.get_data(as_text=True) == ""
    assert _toast(response)["message"].startswith("The error was logged.")


def test_unhandled_exception_api_gets_json_500(client, crashing):
    response = client.get("/api/_test/crash")
    assert response.status_code == 500
    assert response.get_json()["status"] is False
    assert "boom" not in response.get_json()["message"]


def test_htmx_post_without_csrf_token_gets_400_toast():
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/logout", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert _toast(response)["message"] == CSRF_MESSAGE
    page = client.post("/logout")
    assert page.status_code == 400
    assert CSRF_MESSAGE in page.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
