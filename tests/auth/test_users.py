"""/admin/users: list, create, edit, inline role and active changes, password reset, guard rails."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from leadapp.auth.models import Role, User
from leadapp.auth.services import find_user_by_email
from leadapp.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.factories import TeamFactory, UserFactory


def get_user(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_index_lists_users_with_role_status_teams_and_last_sign_in(
        app: Flask, client: FlaskClient, login: Callable) -> None:
    login("admin", name="Ada Admin")
    with app.app_context():
        team = TeamFactory(name="North")
        user = UserFactory(name="Sam Sales", email="sam@example.com", active=False)
        team.members.append(user)
        db.session.commit()
        sam_id = user.id
    response = client.get("/admin/users")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="user-{sam_id}"' in html
    assert "sam@example.com" in html and "North" in html and "Deactivated" in html
    assert "Never" in html  # Sam never signed in; Ada did, so her row has a <time>
    assert "<time datetime=" in html
    assert html.index("Ada Admin") < html.index("Sam Sales")  # active users first


def test_index_htmx_returns_table_fragment(hx: FlaskClient, login: Callable) -> None:
    login("admin", client_=hx)
    html = hx.get("/admin/users").get_data(as_text=True)
    assert html.lstrip().startswith('<div id="users-table"')
    assert "<html" not in html


@pytest.mark.parametrize("role", ["manager", "sales", "marketeer"])
def test_index_non_admin_gets_403(client: FlaskClient, login: Callable, role: str) -> None:
    login(role)
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/new", data={}).status_code == 403


def test_create_valid_user_saves_lowercased_email_and_redirects(
        app: Flask, client: FlaskClient, login: Callable) -> None:
    login("admin")
    response = client.post("/admin/users/new", data={
        "name": " Nora New ", "email": " Nora@Example.COM ", "role": "marketeer",
        "password": "long-enough-1"})
    assert response.status_code == 303
    assert response.location == "/admin/users"
    assert "Created Nora New (Marketeer)" in client.get("/admin/users").get_data(as_text=True)
    with app.app_context():
        user = find_user_by_email("nora@example.com")
        assert (user.email, user.name, user.role, user.active) == (
            "nora@example.com", "Nora New", Role.marketeer, True)
        assert check_password_hash(user.password_hash, "long-enough-1")
        assert user.password_hash.startswith("scrypt:")


def test_create_duplicate_email_other_case_returns_409_and_keeps_values(
        app: Flask, client: FlaskClient, login: Callable) -> None:
    login("admin")
    with app.app_context():
        UserFactory(email="taken@example.com")
    response = client.post("/admin/users/new", data={
        "name": "Second Person", "email": "TAKEN@example.com", "role": "sales",
        "password": "long-enough-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "A user with the email taken@example.com already exists." in html
    assert 'value="Second Person"' in html and 'value="TAKEN@example.com"' in html
    assert 'id="email-error"' in html


def test_create_invalid_fields_return_422_with_messages(client: FlaskClient,
                                                        login: Callable) -> None:
    login("admin")
    response = client.post("/admin/users/new", data={
        "name": "", "email": "not-an-email", "role": "owner", "password": "short"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the person&#39;s name." in html
    assert "Enter a valid email address." in html
    assert "Not a valid choice" in html
    assert "Use at least 8 characters." in html
    assert 'value="not-an-email"' in html


def test_new_page_renders_form(client: FlaskClient, login: Callable) -> None:
    login("admin")
    html = client.get("/admin/users/new").get_data(as_text=True)
    assert 'name="password"' in html and 'name="role"' in html


def test_update_role_htmx_returns_row(app: Flask, hx: FlaskClient, login: Callable,
                                      make_user: Callable) -> None:
    login("admin", client_=hx)
    user_id = make_user("sales")
    response = hx.post(f"/admin/users/{user_id}/role", data={"role": "manager"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="user-{user_id}"')
    assert '<option value="manager" selected>' in html
    assert get_user(app, user_id).role == Role.manager


def test_update_role_plain_post_redirects_to_list(app: Flask, client: FlaskClient,
                                                  login: Callable, make_user: Callable) -> None:
    login("admin")
    user_id = make_user("sales")
    response = client.post(f"/admin/users/{user_id}/role", data={"role": "marketeer"})
    assert response.status_code == 303
    assert response.location == "/admin/users"
    assert get_user(app, user_id).role == Role.marketeer


def test_update_role_unknown_value_returns_422_row(app: Flask, hx: FlaskClient, login: Callable,
                                                   make_user: Callable) -> None:
    login("admin", client_=hx)
    user_id = make_user("sales")
    response = hx.post(f"/admin/users/{user_id}/role", data={"role": "owner"})
    assert response.status_code == 422
    assert "Choose one of the listed roles." in response.get_data(as_text=True)
    assert get_user(app, user_id).role == Role.sales


def test_update_role_demoting_last_admin_returns_409(app: Flask, hx: FlaskClient,
                                                     login: Callable) -> None:
    admin_id = login("admin", client_=hx)
    with app.app_context():
        UserFactory(role=Role.admin, active=False)  # an inactive admin does not count
    response = hx.post(f"/admin/users/{admin_id}/role", data={"role": "manager"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "last active admin" in html
    assert '<option value="admin" selected>' in html
    assert get_user(app, admin_id).role == Role.admin


def test_update_role_last_admin_plain_post_rerenders_list_with_message(
        app: Flask, client: FlaskClient, login: Callable) -> None:
    admin_id = login("admin")
    response = client.post(f"/admin/users/{admin_id}/role", data={"role": "sales"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f'id="user-{admin_id}-error"' in html and "last active admin" in html


def test_update_role_demoting_myself_with_other_admin_sends_me_away(
        app: Flask, hx: FlaskClient, login: Callable, make_user: Callable) -> None:
    admin_id = login("admin", client_=hx)
    make_user("admin")
    response = hx.post(f"/admin/users/{admin_id}/role", data={"role": "manager"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/admin"
    assert get_user(app, admin_id).role == Role.manager
    assert hx.get("/admin/users").status_code == 403


def test_update_active_deactivates_and_reactivates(app: Flask, hx: FlaskClient, login: Callable,
                                                   make_user: Callable) -> None:
    login("admin", client_=hx)
    user_id = make_user("sales")
    response = hx.post(f"/admin/users/{user_id}/active", data={"active": "0"})
    assert response.status_code == 200
    assert "Reactivate" in response.get_data(as_text=True)
    assert get_user(app, user_id).active is False
    response = hx.post(f"/admin/users/{user_id}/active", data={"active": "1"})
    assert "Deactivate" in response.get_data(as_text=True)
    assert get_user(app, user_id).active is True


def test_update_active_deactivating_myself_returns_422(
        app: Flask, hx: FlaskClient, login: Callable, make_user: Callable) -> None:
    admin_id = login("admin", client_=hx)
    make_user("admin")
    response = hx.post(f"/admin/users/{admin_id}/active", data={"active": "0"})
    assert response.status_code == 422
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert get_user(app, admin_id).active is True


def test_update_active_bad_value_returns_422(hx: FlaskClient, login: Callable,
                                             make_user: Callable) -> None:
    login("admin", client_=hx)
    user_id = make_user("sales")
    response = hx.post(f"/admin/users/{user_id}/active", data={"active": "maybe"})
    assert response.status_code == 422


def test_deactivated_user_session_stops_working(app: Flask, client: FlaskClient,
                                                login: Callable) -> None:
    admin = app.test_client()
    login("admin", client_=admin)
    sales_id = login("sales")
    assert client.get("/admin").status_code == 200
    assert admin.post(f"/admin/users/{sales_id}/active", data={"active": "0"}).status_code == 303
    assert client.get("/admin").status_code == 302
    email = get_user(app, sales_id).email
    response = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 422


def test_edit_page_shows_forms(client: FlaskClient, login: Callable, make_user: Callable) -> None:
    login("admin")
    user_id = make_user("sales", name="Eve Edit")
    html = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'value="Eve Edit"' in html
    assert "Reset password" in html and "Deactivate Eve Edit" in html


def test_edit_unknown_user_returns_404(app: Flask, client: FlaskClient, login: Callable) -> None:
    admin_id = login("admin")
    assert client.get(f"/admin/users/{admin_id + 1000}").status_code == 404


def test_update_details_saves_name_email_and_role(app: Flask, client: FlaskClient,
                                                  login: Callable, make_user: Callable) -> None:
    login("admin")
    user_id = make_user("sales")
    response = client.post(f"/admin/users/{user_id}", data={
        "name": "Renamed", "email": "New.Address@Example.com", "role": "manager"})
    assert response.status_code == 303
    user = get_user(app, user_id)
    assert (user.name, user.email, user.role) == ("Renamed", "new.address@example.com",
                                                  Role.manager)


def test_update_details_taken_email_returns_409_and_keeps_input(
        app: Flask, client: FlaskClient, login: Callable, make_user: Callable) -> None:
    login("admin")
    make_user("sales", email="first@example.com")
    user_id = make_user("sales", email="second@example.com", name="Second")
    response = client.post(f"/admin/users/{user_id}", data={
        "name": "Second Renamed", "email": "FIRST@example.com", "role": "sales"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already exists" in html and 'value="Second Renamed"' in html
    assert get_user(app, user_id).email == "second@example.com"


def test_reset_password_sets_new_password(app: Flask, client: FlaskClient, login: Callable,
                                          make_user: Callable) -> None:
    login("admin")
    user_id = make_user("sales")
    response = client.post(f"/admin/users/{user_id}/password", data={
        "password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert response.status_code == 303
    assert check_password_hash(get_user(app, user_id).password_hash, "brand-new-pass")


def test_reset_password_short_or_mismatched_returns_422(app: Flask, client: FlaskClient,
                                                        login: Callable,
                                                        make_user: Callable) -> None:
    login("admin")
    user_id = make_user("sales", name="Kept Name")
    response = client.post(f"/admin/users/{user_id}/password", data={
        "password": "short", "confirm": "other"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Use at least 8 characters." in html and "The two passwords differ." in html
    assert 'value="Kept Name"' in html  # the details form still shows the saved values
    assert check_password_hash(get_user(app, user_id).password_hash, TEST_PASSWORD)


def test_row_forms_work_with_csrf_from_page_and_fail_without(
        app: Flask, hx: FlaskClient, login: Callable, make_user: Callable) -> None:
    import re

    login("admin", client_=hx)
    user_id = make_user("sales")
    app.config["WTF_CSRF_ENABLED"] = True
    page = hx.get("/admin/users", headers={"HX-Boosted": "true"}).get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    assert hx.post(f"/admin/users/{user_id}/role", data={"role": "manager"}).status_code == 400
    response = hx.post(f"/admin/users/{user_id}/role", data={"role": "manager"},
                       headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert get_user(app, user_id).role == Role.manager
