"""/admin/settings: the hub's links by role, and my own name and password."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from leadapp.auth.models import User
from leadapp.extensions import db
from tests.conftest import TEST_PASSWORD


def user(app: Flask, user_id: int) -> User:
    with app.app_context():
        found = db.session.get(User, user_id)
        db.session.expunge(found)
        return found


def test_settings_signed_out_redirects_to_login(client: FlaskClient) -> None:
    response = client.get("/admin/settings")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_settings_admin_sees_users_and_teams_links(client: FlaskClient, login: Callable) -> None:
    login("admin")
    html = client.get("/admin/settings").get_data(as_text=True)
    assert 'href="/admin/users"' in html and 'href="/admin/teams"' in html
    assert "My account" in html


@pytest.mark.parametrize("role", ["manager", "sales", "marketeer"])
def test_settings_non_admin_sees_no_user_admin_links(client: FlaskClient, login: Callable,
                                                     role: str) -> None:
    login(role)
    response = client.get("/admin/settings")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/admin/users"' not in html and 'href="/admin/teams"' not in html
    assert 'name="current_password"' in html


def test_settings_links_only_endpoints_that_exist(app: Flask, client: FlaskClient,
                                                  login: Callable) -> None:
    login("admin")
    html = client.get("/admin/settings").get_data(as_text=True)
    for label, endpoint in [("Pipelines", "pipeline.pipelines"),
                            ("Loss reasons", "pipeline.loss_reasons"),
                            ("API tokens", "api_admin.api_management"),
                            ("Capture forms", "capture.index")]:
        shown = f'<span class="hub-link-label">{label}</span>' in html
        assert shown == (endpoint in app.view_functions), label


def test_update_profile_htmx_returns_card_with_confirmation(app: Flask, hx: FlaskClient,
                                                            login: Callable) -> None:
    user_id = login("sales", client_=hx)
    response = hx.post("/admin/settings/profile", data={"name": "  Nina Newname "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="account-profile"')
    assert "Your name is saved." in html and 'value="Nina Newname"' in html
    assert user(app, user_id).name == "Nina Newname"


def test_update_profile_blank_name_returns_422(app: Flask, hx: FlaskClient,
                                               login: Callable) -> None:
    user_id = login("sales", client_=hx, name="Kept")
    response = hx.post("/admin/settings/profile", data={"name": ""})
    assert response.status_code == 422
    assert "Enter your name." in response.get_data(as_text=True)
    assert user(app, user_id).name == "Kept"


def test_update_profile_plain_post_redirects_with_flash(client: FlaskClient,
                                                        login: Callable) -> None:
    login("marketeer")
    response = client.post("/admin/settings/profile", data={"name": "Mark"})
    assert response.status_code == 303
    assert "Your name is saved." in client.get("/admin/settings").get_data(as_text=True)


def test_change_password_with_current_password_works(app: Flask, client: FlaskClient,
                                                     login: Callable) -> None:
    user_id = login("sales")
    response = client.post("/admin/settings/password", data={
        "current_password": TEST_PASSWORD, "new_password": "a-new-secret",
        "confirm": "a-new-secret"})
    assert response.status_code == 303
    assert check_password_hash(user(app, user_id).password_hash, "a-new-secret")
    client.post("/logout")
    response = client.post("/login", data={"email": user(app, user_id).email,
                                           "password": "a-new-secret"})
    assert response.status_code == 303


def test_change_password_wrong_current_returns_422(app: Flask, hx: FlaskClient,
                                                   login: Callable) -> None:
    user_id = login("sales", client_=hx)
    response = hx.post("/admin/settings/password", data={
        "current_password": "not-it-at-all", "new_password": "a-new-secret",
        "confirm": "a-new-secret"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<section id="account-password"')
    assert "That is not your current password." in html
    assert check_password_hash(user(app, user_id).password_hash, TEST_PASSWORD)


@pytest.mark.parametrize(("new", "confirm", "message"), [
    ("short", "short", "Use at least 8 characters."),
    ("long-enough-1", "long-enough-2", "The two passwords differ."),
    (TEST_PASSWORD, TEST_PASSWORD, "Choose a password different from the current one."),
])
def test_change_password_invalid_new_password_returns_422(
        app: Flask, hx: FlaskClient, login: Callable, new: str, confirm: str,
        message: str) -> None:
    user_id = login("sales", client_=hx)
    response = hx.post("/admin/settings/password", data={
        "current_password": TEST_PASSWORD, "new_password": new, "confirm": confirm})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert check_password_hash(user(app, user_id).password_hash, TEST_PASSWORD)


def test_change_password_plain_post_error_renders_full_page(client: FlaskClient,
                                                            login: Callable) -> None:
    login("sales")
    response = client.post("/admin/settings/password", data={
        "current_password": "", "new_password": "", "confirm": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in html and "Enter your current password." in html
