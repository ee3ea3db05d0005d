"""Contacts, comments, attachments, activity, move, convert and the look-up endpoints."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask

from leadapp.extensions import db
from leadapp.leads.models import Lead
from tests.factories import CommentFactory, ContactFactory, LeadFactory


@pytest.fixture
def lead_id(app: Flask) -> int:
    with app.app_context():
        return LeadFactory(title="Heat pump", first_name="Eva", last_name="Roth").id


@pytest.fixture
def contact_ids(app: Flask) -> list[int]:
    with app.app_context():
        return [ContactFactory(first_name=name).id for name in ("Ada", "Bo", "Cy")]


def names(response: Any) -> list[tuple[str, bool]]:
    assert response.status_code == 200, response.get_json()
    return [(item["first_name"], item["is_primary"]) for item in response.get_json()["data"]]


def test_contacts_bind_primary_set_list_and_unbind(api: Any, lead_id: int,
                                                   contact_ids: list[int]) -> None:
    a, b, c = contact_ids
    base = f"/api/leads/{lead_id}/contacts"
    assert names(api("post", f"{base}/{a}")) == [("Ada", True)]
    assert names(api("post", f"{base}/{b}")) == [("Ada", True), ("Bo", False)]
    assert names(api("post", f"{base}/{b}", json={"primary": True})) == [("Ada", False),
                                                                         ("Bo", True)]
    refused = api("delete", f"{base}/{b}")
    assert refused.status_code == 422  # make another primary first
    assert names(api("delete", f"{base}/{a}")) == [("Bo", True)]
    assert names(api("put", base, json={"contacts": [c, b]})) == [("Bo", False), ("Cy", True)]
    assert names(api("get", base)) == [("Bo", False), ("Cy", True)]
    assert api("post", f"{base}/999999").status_code == 404
    assert api("delete", f"{base}/{a}").status_code == 404
    assert api("put", base, json={"contacts": [999999]}).status_code == 422
    assert api("put", base, json={}).status_code == 422


def test_comments_add_edit_delete_and_authorship(app: Flask, api: Any, lead_id: int) -> None:
    base = f"/api/leads/{lead_id}/comments"
    created = api("post", base, json={"body": "  Site visit booked "}, role="sales")
    assert created.status_code == 201 and created.get_json()["data"]["body"] == "Site visit booked"
    comment_id = created.get_json()["data"]["id"]
    assert api("post", base, json={"body": "   "}).get_json()["errors"]["body"] == \
        "Write something before posting."
    assert api("post", base, json={"body": 5}).status_code == 422
    edited = api("put", f"{base}/{comment_id}", json={"body": "Visit moved"}, role="sales")
    assert edited.status_code == 200 and edited.get_json()["data"]["body"] == "Visit moved"
    assert api("put", f"{base}/{comment_id}", json={"body": "x"},
               role="marketeer").status_code == 403
    assert [item["body"] for item in api("get", base).get_json()["data"]] == ["Visit moved"]
    with app.app_context():
        other = CommentFactory(lead=LeadFactory()).id
    assert api("delete", f"{base}/{other}").status_code == 404
    assert api("delete", f"{base}/{comment_id}").status_code == 200
    assert api("get", base).get_json()["data"] == []


def test_attachments_upload_list_download_delete(api: Any, lead_id: int) -> None:
    base = f"/api/leads/{lead_id}/attachments"
    uploaded = api("post", base, data={"file": (io.BytesIO(b"plan v1"), "plan.txt")},
                   content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.get_json()
    attachment = uploaded.get_json()["data"]
    assert attachment["filename"] == "plan.txt" and attachment["size"] == 7
    assert [item["id"] for item in api("get", base).get_json()["data"]] == [attachment["id"]]
    download = api("get", f"{base}/{attachment['id']}")
    assert download.status_code == 200 and download.data == b"plan v1"
    download.close()  # send_file streams from an open file
    assert api("post", base, json={"file": "x"}).status_code == 422
    empty = api("post", base, data={"file": (io.BytesIO(b""), "e.txt")},
                content_type="multipart/form-data")
    assert empty.status_code == 422 and empty.get_json()["errors"]["file"] == "The file is empty."
    assert api("delete", f"{base}/{attachment['id']}").status_code == 200
    assert api("get", f"{base}/{attachment['id']}").status_code == 404


def test_activity_is_paged_newest_first(api: Any, lead_id: int) -> None:
    for city in ("A-town", "B-town", "C-town"):
        api("patch", f"/api/leads/{lead_id}", json={"city": city})
    page = api("get", f"/api/leads/{lead_id}/activity?per_page=2").get_json()
    assert [row["new_value"] for row in page["data"]] == ["C-town", "B-town"]
    assert page["meta"]["has_more"] is True
    assert api("get", f"/api/leads/{lead_id}/activity?page=x").status_code == 422


def test_move_follows_the_board_rules(app: Flask, api: Any, lead_id: int) -> None:
    url = f"/api/leads/{lead_id}/move"
    lost = api("post", url, json={"stage": "Closed"})
    assert lost.status_code == 422 and lost.get_json()["errors"]["loss_reason"] == \
        "Choose a loss reason."
    assert api("post", url, json={"stage": "Nowhere"}).get_json()["errors"]["stage"]
    assert api("post", url, json={"stage": "Closed", "loss_reason": "Sunspots"}).status_code == 422
    assert api("post", url, json={"stage": "Assigned", "position": -1}).status_code == 422
    moved = api("post", url, json={"stage": "Closed", "loss_reason": "No budget",
                                   "closing_comment": "Next year"})
    assert moved.status_code == 200, moved.get_json()
    data = moved.get_json()["data"]
    assert data["active"] == 2 and data["loss_reason"]["name"] == "No budget"
    assert data["closing_comment"] == "Next year"
    stale = api("post", url, json={"stage": "New", "version": 1})
    assert stale.status_code == 409 and stale.get_json()["data"]["stage"]["name"] == "Closed"


def test_convert_creates_or_links_and_names_them(app: Flask, api: Any, lead_id: int) -> None:
    with app.app_context():
        contact = ContactFactory(first_name="Linus")
        contact_id, company_id = contact.id, contact.company_id
    bad = api("post", f"/api/leads/{lead_id}/convert", json={"amount": "many", "colour": 1})
    assert bad.status_code == 422 and {"amount", "colour"} <= set(bad.get_json()["errors"])
    response = api("post", f"/api/leads/{lead_id}/convert", json={
        "contact_id": contact_id, "company": {"name": "Pump Works"}, "amount": "9000",
        "opportunity_name": "Pump install"})
    assert response.status_code == 200, response.get_json()
    created = response.get_json()["created"]
    assert created["company"] == {**created["company"], "name": "Pump Works", "created": True}
    assert created["contact"] == {"id": contact_id, "name": "Linus Smith", "created": False}
    assert created["opportunity"]["name"] == "Pump install"
    assert company_id != created["company"]["id"]
    with app.app_context():
        assert db.session.get(Lead, lead_id).converted_at is not None


def test_lookups_fields_pipelines_loss_reasons_users(api: Any) -> None:
    fields = {item["name"]: item for item in api("get", "/api/leads/fields").get_json()["data"]}
    assert fields["title"]["required"] is True and fields["title"]["label"] == "Title"
    assert any(choice["name"] == "Chat" for choice in fields["source_id"]["choices"])
    assert "EUR" in [choice["id"] for choice in fields["currency"]["choices"]]
    assert fields["id"]["writable"] == []
    pipelines = api("get", "/api/pipelines").get_json()["data"]
    assert [stage["name"] for stage in pipelines[0]["stages"]][:2] == ["New", "Assigned"]
    reasons = api("get", "/api/loss_reasons").get_json()["data"]
    assert "No budget" in [reason["name"] for reason in reasons]
    users = api("get", "/api/users", role="sales").get_json()["data"]
    assert users and {"id", "name", "role"} <= set(users[0])


def test_attachment_size_follows_the_lead_page_limit(app: Flask, api: Any, lead_id: int) -> None:
    app.config["LEAD_ATTACHMENT_MAX_BYTES"] = 200 * 1024
    base = f"/api/leads/{lead_id}/attachments"
    big = api("post", base, data={"file": (io.BytesIO(b"x" * 150_000), "big.bin")},
              content_type="multipart/form-data")
    assert big.status_code == 201, big.get_json()
    too_big = api("post", base, data={"file": (io.BytesIO(b"x" * 400_000), "huge.bin")},
                  content_type="multipart/form-data")
    assert too_big.status_code == 413 and too_big.is_json
    json_body = api("patch", f"/api/leads/{lead_id}", json={"description": "x" * 150_000})
    assert json_body.status_code == 413  # JSON bodies keep the API's own limit
