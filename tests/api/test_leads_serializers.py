"""lead_to_dict works outside a request (webhooks call it from workers) and names everything."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask

from leadapp.api.lead_serializers import lead_summary, lead_to_dict
from leadapp.extensions import db
from leadapp.leads.models import Lead, LeadContact
from tests.factories import CommentFactory, ContactFactory, LeadFactory, TagFactory


def test_lead_to_dict_outside_request_has_relations_and_counts(app: Flask) -> None:
    with app.app_context():
        lead = LeadFactory(title="Roof repair", budget=Decimal("1234567890.50"), city="Oslo",
                           tags=[TagFactory(name="vip")])
        contact = ContactFactory(first_name="Ada", last_name="Lovelace")
        db.session.add(LeadContact(lead=lead, contact=contact, is_primary=True))
        db.session.commit()
        CommentFactory(lead=lead, body="Called")
        lead_id = lead.id
    with app.app_context():  # a fresh context, no request pushed
        data = lead_to_dict(db.session.get(Lead, lead_id))
    assert data["id"] == lead_id and data["title"] == "Roof repair"
    assert data["budget"] == "1234567890.50"
    assert data["stage"]["name"] == "New" and data["status"] == "New" and data["active"] == 1
    assert data["pipeline"]["name"] and data["source"]["name"]
    assert data["tags"] == ["vip"]
    assert data["contacts"][0]["name"] == "Ada Lovelace" and data["contacts"][0]["is_primary"]
    assert data["comments_count"] == 1 and data["attachments_count"] == 0
    assert data["conversion"] is None and data["converted"] is False
    assert data["version"] >= 1


def test_lead_summary_leaves_out_contacts_and_counts(app: Flask) -> None:
    with app.app_context():
        data = lead_summary(LeadFactory())
    assert "contacts" not in data and "comments_count" not in data
    assert {"id", "title", "owner", "stage", "tags", "created_at"} <= set(data)
