"""POST /api/leads: a lead without an owner gets the rule's owner, an explicit owner is kept."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.assignment import services
from leadapp.assignment.services import RuleSettings
from leadapp.extensions import db
from leadapp.models import Activity, ActivityKind, Notification
from tests.factories import UserFactory

NEW = {"title": "Kitchen refit", "source": "Website form", "new_company_name": "Refit AG",
       "company_website": "https://refit.example", "first_name": "Ida", "last_name": "Lind",
       "city": "Bonn"}


def _rule_for(app, city: str = "") -> tuple[int, int]:
    with app.app_context():
        owner = UserFactory(name="Rule Owner")
        rule = services.create_rule(RuleSettings(name="Bonn", city=city, user_id=owner.id))
        return owner.id, rule.id


def test_api_lead_without_owner_is_assigned_by_the_rule(app, api):
    owner_id, rule_id = _rule_for(app, city="bonn")
    response = api("post", "/api/leads", json=NEW)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["owner"]["id"] == owner_id
    with app.app_context():
        row = db.session.scalar(select(Activity).where(Activity.lead_id == data["id"],
                                                       Activity.kind == ActivityKind.assigned))
        assert row.data == {"rule_id": rule_id, "rule": "Bonn"}
        (note,) = db.session.scalars(select(Notification)).all()
        assert (note.user_id, note.text) == (
            owner_id, "Kitchen refit was assigned to you by the assignment rule “Bonn”.")


def test_api_lead_with_an_owner_keeps_it(app, api, make_user):
    _rule_for(app)
    chosen = make_user("sales")
    response = api("post", "/api/leads", json={**NEW, "owner": chosen})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["owner"]["id"] == chosen
