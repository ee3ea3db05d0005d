"""The permission matrix applies to tokens as to pages: 404 for leads the user may not see,
403 for actions the role may not take."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from leadapp.auth.services import issue_token
from leadapp.extensions import db
from leadapp.models import User
from tests.factories import LeadFactory, UserFactory


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """A sales user with a token, their own lead, an unassigned one and someone else's."""
    with app.app_context():
        sales, other = UserFactory(role="sales"), UserFactory(role="sales")
        ids = {"own": LeadFactory(owner=sales, title="Mine").id,
               "open": LeadFactory(owner=None, title="Nobody's").id,
               "theirs": LeadFactory(owner=other, title="Theirs").id,
               "sales_id": sales.id, "other_id": other.id}
        ids["token"] = issue_token(db.session.get(User, sales.id), "sales script")[1]
        return ids


def test_sales_token_lists_only_visible_leads(api: Any, world: dict) -> None:
    body = api("get", "/api/leads", token=world["token"]).get_json()
    assert sorted(item["title"] for item in body["data"]) == ["Mine", "Nobody's"]
    assert body["meta"]["total"] == 2
    everything = api("get", "/api/leads").get_json()  # an admin token
    assert everything["meta"]["total"] == 3


@pytest.mark.parametrize(("method", "suffix", "kwargs"), [
    ("get", "", {}), ("patch", "", {"json": {"city": "X"}}), ("delete", "", {}),
    ("get", "/comments", {}), ("post", "/move", {"json": {"stage": "Assigned"}}),
    ("post", "/convert", {"json": {}}), ("get", "/contacts", {}), ("get", "/activity", {})])
def test_invisible_lead_is_404_for_every_endpoint(api: Any, world: dict, method: str,
                                                  suffix: str, kwargs: dict) -> None:
    response = api(method, f"/api/leads/{world['theirs']}{suffix}", token=world["token"],
                   **kwargs)
    assert response.status_code in (403, 404)
    if method == "get" or suffix in ("/move", "/convert") or method == "patch":
        assert response.status_code == 404


def test_sales_may_edit_own_but_not_delete_or_assign_others(api: Any, world: dict) -> None:
    own = f"/api/leads/{world['own']}"
    assert api("patch", own, json={"city": "Kiel"}, token=world["token"]).status_code == 200
    assert api("delete", own, token=world["token"]).status_code == 403
    refused = api("patch", own, json={"owner_id": world["other_id"]}, token=world["token"])
    assert refused.status_code == 403
    created = api("post", "/api/leads", token=world["token"], json={
        "title": "Self-made", "source": "Chat", "new_company_name": "Own Co",
        "company_website": "own.example", "first_name": "A", "last_name": "B"})
    assert created.status_code == 201
    assert created.get_json()["data"]["owner"]["id"] == world["sales_id"]


def test_marketeer_sees_all_but_may_not_edit(api: Any, world: dict) -> None:
    assert api("get", "/api/leads", role="marketeer").get_json()["meta"]["total"] == 3
    for method, suffix, body in (("patch", "", {"city": "X"}), ("put", "", {"title": "X"}),
                                 ("post", "/move", {"stage": "Assigned"}),
                                 ("post", "/convert", {}), ("delete", "", None)):
        response = api(method, f"/api/leads/{world['own']}{suffix}", role="marketeer",
                       json=body)
        assert response.status_code == 403, (method, suffix)
        assert response.get_json()["status"] is False


def test_manager_may_delete_and_restore(api: Any, world: dict) -> None:
    url = f"/api/leads/{world['theirs']}"
    assert api("delete", url, role="manager").status_code == 200
    assert api("post", f"{url}/restore", role="manager").status_code == 200
