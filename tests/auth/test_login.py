"""Sign-in and sign-out: credentials, rate limit, `next`, cookies, and signed-out htmx requests."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from leadapp.auth.models import User
from leadapp.extensions import db
from tests.conftest import TEST_PASSWORD

BAD_CREDENTIALS = "That email and password do not match an active account."


def email_of(app: Flask, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def sign_in(client: FlaskClient, email: str, password: str = TEST_PASSWORD, **extra: str):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_root_signed_out_redirects_to_login(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.location == "/login"


def test_root_signed_in_redirects_to_dashboard(client: FlaskClient, login: Callable) -> None:
    login("sales")
    response = client.get("/")
    assert response.status_code == 302
    assert response.location == "/admin"


def test_login_good_password_signs_in_and_records_time(app: Flask, client: FlaskClient,
                                                       make_user: Callable) -> None:
    user_id = make_user("sales", email="Ann@Example.com")
    response = sign_in(client, "  ann@EXAMPLE.com ")
    assert response.status_code == 303
    assert response.location == "/admin"
    assert client.get("/admin").status_code == 200
    with app.app_context():
        assert db.session.get(User, user_id).last_login_at is not None


def test_login_bad_password_returns_422_with_message_and_keeps_email(
        app: Flask, client: FlaskClient, make_user: Callable) -> None:
    email = email_of(app, make_user("sales"))
    response = sign_in(client, email, "wrong-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert BAD_CREDENTIALS in html
    assert f'value="{email}"' in html
    assert 'value="wrong-password"' not in html
    assert client.get("/admin").status_code == 302


def test_login_unknown_email_returns_422_with_same_message(client: FlaskClient) -> None:
    response = sign_in(client, "nobody@example.com")
    assert response.status_code == 422
    assert BAD_CREDENTIALS in response.get_data(as_text=True)


def test_login_empty_fields_return_422_with_field_messages(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your email." in html
    assert "Enter your password." in html


def test_login_inactive_user_is_refused(app: Flask, client: FlaskClient,
                                        make_user: Callable) -> None:
    email = email_of(app, make_user("admin", active=False))
    response = sign_in(client, email)
    assert response.status_code == 422
    assert BAD_CREDENTIALS in response.get_data(as_text=True)


def test_deactivating_user_ends_existing_session(app: Flask, client: FlaskClient,
                                                 login: Callable) -> None:
    user_id = login("manager")
    assert client.get("/admin").status_code == 200
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    response = client.get("/admin")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_login_rate_limit_returns_429_after_failures(app: Flask, client: FlaskClient,
                                                     make_user: Callable) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    email = email_of(app, make_user("sales"))
    for _ in range(3):
        assert sign_in(client, email, "wrong-password").status_code == 422
    response = sign_in(client, email, "wrong-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in html
    assert f'value="{email}"' in html
    assert int(response.headers["Retry-After"]) > 0
    assert sign_in(client, email).status_code == 429  # even the right password waits


def test_login_rate_limit_ignores_successful_logins(app: Flask, client: FlaskClient,
                                                    make_user: Callable) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    email = email_of(app, make_user("sales"))
    assert sign_in(client, email, "wrong-password").status_code == 422
    assert sign_in(client, email, "wrong-password").status_code == 422
    for _ in range(4):
        assert sign_in(client, email).status_code == 303
        client.post("/logout")
    assert sign_in(client, email, "wrong-password").status_code == 422
    assert sign_in(client, email, "wrong-password").status_code == 429


@pytest.mark.parametrize("target", ["/admin/teams", "/admin/settings?tab=account"])
def test_login_next_local_path_is_honoured(app: Flask, client: FlaskClient,
                                           make_user: Callable, target: str) -> None:
    email = email_of(app, make_user("admin"))
    response = sign_in(client, email, next=target)
    assert response.status_code == 303
    assert response.location == target


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil", "/\\/evil.com",
                                    "javascript:alert(1)", "http:/evil.com"])
def test_login_next_foreign_target_is_ignored(app: Flask, client: FlaskClient,
                                              make_user: Callable, target: str) -> None:
    email = email_of(app, make_user("admin"))
    response = sign_in(client, email, next=target)
    assert response.status_code == 303
    assert response.location == "/admin"


def test_login_page_carries_next_into_form(client: FlaskClient) -> None:
    html = client.get("/login?next=/admin/teams").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/admin/teams"' in html


def test_protected_page_signed_out_redirects_with_next(client: FlaskClient) -> None:
    response = client.get("/admin/users?active=1")
    assert response.status_code == 302
    parts = urlsplit(response.location)
    assert parts.path == "/login"
    assert parse_qs(parts.query)["next"] == ["/admin/users?active=1"]


def test_logout_signs_out(client: FlaskClient, login: Callable) -> None:
    login("sales")
    response = client.post("/logout")
    assert response.status_code == 303
    assert response.location == "/login"
    assert "You are signed out." in client.get("/login").get_data(as_text=True)
    assert client.get("/admin").status_code == 302


def test_logout_get_is_not_allowed(client: FlaskClient, login: Callable) -> None:
    login("sales")
    assert client.get("/logout").status_code == 405
    assert client.get("/admin").status_code == 200


def test_login_session_cookie_is_httponly_and_lax(app: Flask, client: FlaskClient,
                                                  make_user: Callable) -> None:
    response = sign_in(client, email_of(app, make_user("sales")))
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("session="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "secure" not in flags


def test_login_session_cookie_secure_when_configured(app: Flask, client: FlaskClient,
                                                     make_user: Callable) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True
    response = sign_in(client, email_of(app, make_user("sales")), remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    session = next(value for value in cookies if value.startswith("session="))
    assert "secure" in [part.strip().lower() for part in session.split(";")]
    remember = next(value for value in cookies if value.startswith("remember_token="))
    assert "httponly" in [part.strip().lower() for part in remember.split(";")]


def test_htmx_request_signed_out_gets_401_with_hx_redirect(hx: FlaskClient) -> None:
    response = hx.get("/admin/users", headers={
        "HX-Current-URL": "http://localhost/admin/teams?page=2"})
    assert response.status_code == 401
    assert response.get_data() == b""
    parts = urlsplit(response.headers["HX-Redirect"])
    assert parts.path == "/login"
    assert parse_qs(parts.query)["next"] == ["/admin/teams?page=2"]


def test_htmx_request_without_current_url_uses_request_path(hx: FlaskClient) -> None:
    response = hx.post("/admin/settings/profile", data={"name": "X"})
    assert response.status_code == 401
    assert parse_qs(urlsplit(response.headers["HX-Redirect"]).query)["next"] == [
        "/admin/settings/profile"]


def test_login_page_with_next_explains_why(client: FlaskClient) -> None:
    assert "Sign in to continue" in client.get("/login?next=/admin/teams").get_data(as_text=True)
    assert "Sign in to continue" not in client.get("/login").get_data(as_text=True)
