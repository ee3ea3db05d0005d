"""The whole life of a lead over the API: create -> list -> update -> move -> convert ->
delete -> restore, each step checked in the response and in the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from leadapp.extensions import db
from leadapp.leads.models import Activity, Lead
from leadapp.models import Opportunity


def test_round_trip_create_list_update_move_convert_delete_restore(
        app: Flask, api: Callable[..., Any]) -> None:
    created = api("post", "/api/leads", json={
        "title": "Solar roof for the depot", "source": "Website form", "budget": "25000",
        "currency": "EUR", "city": "Leipzig", "tags": ["solar", "Depot"],
        "new_company_name": "Depot Energy GmbH", "company_website": "depot-energy.example",
        "first_name": "Mara", "last_name": "Keller", "email": "mara@depot.example"})
    assert created.status_code == 201, created.get_json()
    lead = created.get_json()["data"]
    lead_id = lead["id"]
    assert created.headers["Location"].endswith(f"/api/leads/{lead_id}")
    assert lead["source"]["name"] == "Website form" and lead["budget"] == "25000.00"
    assert lead["tags"] == ["Depot", "solar"] and lead["company"]["name"] == "Depot Energy GmbH"
    assert lead["contacts"][0]["name"] == "Mara Keller" and lead["contacts"][0]["is_primary"]

    listed = api("get", "/api/leads?search=solar+roof").get_json()
    assert [item["id"] for item in listed["data"]] == [lead_id]
    assert listed["meta"]["total"] == 1 and listed["meta"]["open_leads_count"] == 1

    etag = api("get", f"/api/leads/{lead_id}").headers["ETag"]
    updated = api("patch", f"/api/leads/{lead_id}", json={"title": "Solar roof, phase 1"},
                  headers={"If-Match": etag})
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["data"]["title"] == "Solar roof, phase 1"
    assert updated.headers["ETag"] != etag

    moved = api("post", f"/api/leads/{lead_id}/move", json={"stage": "In process"})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["data"]["stage"]["name"] == "In process"

    converted = api("post", f"/api/leads/{lead_id}/convert", json={})
    assert converted.status_code == 200, converted.get_json()
    body = converted.get_json()
    assert body["created"]["opportunity"]["name"] == "Solar roof, phase 1"
    assert body["data"]["active"] == 3 and body["data"]["conversion"]["company"]
    again = api("post", f"/api/leads/{lead_id}/convert", json={})
    assert again.status_code == 409 and again.get_json()["status"] is False

    assert api("get", "/api/leads").get_json()["meta"]["total"] == 0  # converted: hidden
    assert api("get", "/api/leads?converted=only").get_json()["meta"]["total"] == 1

    assert api("delete", f"/api/leads/{lead_id}").status_code == 200
    assert api("get", f"/api/leads/{lead_id}").status_code == 404
    assert api("get", "/api/leads?deleted=true&converted=true").get_json()["meta"]["total"] == 1
    restored = api("post", f"/api/leads/{lead_id}/restore")
    assert restored.status_code == 200 and restored.get_json()["data"]["deleted"] is False

    with app.app_context():
        saved = db.session.get(Lead, lead_id)
        assert saved.deleted_at is None and saved.converted_at is not None
        assert db.session.query(Opportunity).filter_by(lead_id=lead_id).count() == 1
        kinds = {row.kind.value for row in db.session.query(Activity).filter_by(lead_id=lead_id)}
        assert {"created", "field_changed", "stage_moved", "converted", "deleted",
                "restored"} <= kinds
