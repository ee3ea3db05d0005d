"""The API management page: admins create tokens (shown once), list and revoke them."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from leadapp.auth.models import ApiToken
from leadapp.auth.services import hash_token, issue_token
from leadapp.extensions import db
from leadapp.models import User

URL = "/admin/api/api_management"


def _token_for(app, user_id: int, name: str = "sync") -> int:
    with app.app_context():
        return issue_token(db.session.get(User, user_id), name)[0].id


@pytest.mark.parametrize("role", ["manager", "sales", "marketeer"])
def test_api_management_for_non_admin_returns_403(client, login, role):
    login(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data={"name": "x"}).status_code == 403


def test_api_management_signed_out_redirects_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_api_management_lists_tokens_with_user_and_prefix(app, client, login, make_user):
    login("admin")
    owner = make_user("sales", name="Sam Sales")
    _token_for(app, owner, "Nightly sync")
    html = client.get(URL).get_data(as_text=True)
    assert "Nightly sync" in html and "Sam Sales" in html and "la_" in html
    assert "Never" in html and "No expiry" in html


def test_create_token_shows_it_once_and_stores_only_hash(app, hx, login, make_user):
    login("admin", client_=hx)
    owner = make_user("marketeer")
    expiry = (date.today() + timedelta(days=30)).isoformat()
    response = hx.post(URL, data={"user_id": owner, "name": "Zapier", "expires_on": expiry})
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {"tokens-changed": True}
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    plain = re.search(r'value="(la_[^"]+)"', html).group(1)
    assert "will not be shown again" in html
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Zapier"))
        assert token.token_hash == hash_token(plain) and plain not in token.token_hash
        assert token.user_id == owner and token.expires_on.isoformat() == expiry
    assert plain not in hx.get(URL).get_data(as_text=True)


def test_created_token_works_on_the_api_with_its_user_role(app, client, hx, login, make_user):
    login("admin", client_=hx)
    owner = make_user("sales")
    html = hx.post(URL, data={"user_id": owner, "name": "Reader"}).get_data(as_text=True)
    plain = re.search(r'value="(la_[^"]+)"', html).group(1)
    assert client.get("/api/lead_sources", headers={"authtoken": plain}).status_code == 200
    response = client.post("/api/lead_sources", headers={"authtoken": plain}, json={"name": "N"})
    assert response.status_code == 403


def test_create_token_without_name_returns_422_and_keeps_input(hx, login, make_user):
    login("admin", client_=hx)
    owner = make_user("sales")
    response = hx.post(URL, data={"user_id": owner, "name": "", "expires_on": "2099-01-31"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the token a name" in html and 'value="2099-01-31"' in html
    assert f'<option selected value="{owner}">' in html


def test_create_token_with_past_expiry_returns_422(hx, login, make_user):
    login("admin", client_=hx)
    owner = make_user("sales")
    response = hx.post(URL, data={"user_id": owner, "name": "Old",
                                  "expires_on": (date.today() - timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    assert "cannot be in the past" in response.get_data(as_text=True)


def test_create_token_without_user_returns_422(hx, login):
    login("admin", client_=hx)
    response = hx.post(URL, data={"user_id": "", "name": "Orphan"})
    assert response.status_code == 422
    assert "Pick the user" in response.get_data(as_text=True)


def test_create_token_without_htmx_renders_full_page_with_token(client, login, make_user):
    login("admin")
    owner = make_user("sales")
    response = client.post(URL, data={"user_id": owner, "name": "Plain form"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and re.search(r'value="la_', html)


def test_revoke_token_marks_row_revoked_and_api_refuses_it(app, client, hx, login, make_user):
    login("admin", client_=hx)
    owner = make_user("sales")
    with app.app_context():
        token, plain = issue_token(db.session.get(User, owner), "to revoke")
        token_id = token.id
    response = hx.delete(f"/admin/api/tokens/{token_id}")
    assert response.status_code == 200
    assert "Revoked" in response.get_data(as_text=True)
    assert "toast" in json.loads(response.headers["HX-Trigger"])
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is not None
    assert client.get("/api/lead_sources", headers={"authtoken": plain}).status_code == 401


def test_revoke_unknown_token_returns_404(hx, login):
    login("admin", client_=hx)
    assert hx.delete("/admin/api/tokens/999999").status_code == 404


def test_token_table_partial_for_htmx_refresh(app, hx, login):
    login("admin", client_=hx)
    html = hx.get(URL).get_data(as_text=True)
    assert 'id="token-table"' in html and "<html" not in html
