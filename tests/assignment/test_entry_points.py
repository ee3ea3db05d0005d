"""Rules apply to new leads from the lead form and capture forms (imports: test_import.py)."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.assignment import services
from leadapp.assignment.services import RuleSettings
from leadapp.extensions import db
from leadapp.models import CaptureForm, Lead, LeadSource, User
from tests.factories import TeamFactory, UserFactory


def _rule(app, **values) -> None:
    with app.app_context():
        services.create_rule(RuleSettings(name=values.pop("name", "Rule"), **values))


def _user(app, **fields) -> int:
    with app.app_context():
        return UserFactory(**fields).id


def _form_data(app, **extra):
    with app.app_context():
        source_id = db.session.scalar(select(LeadSource.id).where(LeadSource.active.is_(True)))
    data = {"title": "Rebrand", "source_id": source_id, "currency": "USD",
            "new_company": "y", "new_company_name": "Globex", "company_website": "globex.io",
            "new_contact": "y",
            "first_name": "Hank", "last_name": "Scorpio", "email": "hank@globex.io",
            "city": "Berlin", "action": "exit"}
    data.update(extra)
    return data


def _only_lead(app) -> Lead:
    with app.app_context():
        lead = db.session.scalars(select(Lead)).one()
        db.session.expunge(lead)
        return lead


def test_lead_form_without_owner_gets_the_rule_owner(app, client, login):
    login("admin")
    ann = _user(app)
    _rule(app, city="berlin", user_id=ann)
    response = client.post("/admin/leads/new", data=_form_data(app, owner_id=""))
    assert response.status_code == 303
    assert _only_lead(app).owner_id == ann


def test_lead_form_with_an_owner_keeps_it(app, client, login):
    login("admin")
    ann, bob = _user(app), _user(app)
    _rule(app, user_id=ann)
    client.post("/admin/leads/new", data=_form_data(app, owner_id=str(bob)))
    assert _only_lead(app).owner_id == bob


def test_capture_form_without_owner_uses_the_rules(app, make_form, post_form):
    ann = _user(app)
    made = make_form()
    _rule(app, capture_form_id=made.id, user_id=ann)
    response = post_form(made.public_key, {"first_name": "Ann", "email": "ann@example.org"})
    assert response.status_code in (200, 303)
    assert _only_lead(app).owner_id == ann


def test_capture_form_with_its_own_team_keeps_its_rotation(app, make_form, post_form):
    ann, bob = _user(app), _user(app)
    with app.app_context():
        team = TeamFactory()
        team.members = [db.session.get(User, bob)]
        db.session.commit()
        team_id = team.id
    made = make_form(team_id=team_id)
    _rule(app, user_id=ann)
    post_form(made.public_key, {"first_name": "Ann", "email": "ann@example.org"})
    assert _only_lead(app).owner_id == bob
    with app.app_context():
        assert db.session.get(CaptureForm, made.id).last_assigned_user_id == bob


def test_rule_for_one_capture_form_ignores_leads_from_the_lead_form(app, client, login,
                                                                       make_form):
    login("admin")
    ann = _user(app)
    made = make_form()
    _rule(app, capture_form_id=made.id, user_id=ann)
    client.post("/admin/leads/new", data=_form_data(app, owner_id=""))
    assert _only_lead(app).owner_id is None


def test_lead_page_timeline_names_the_rule(app, client, login):
    login("admin")
    ann = _user(app, name="Ann Rule")
    _rule(app, name="Berlin desk", city="Berlin", user_id=ann)
    response = client.post("/admin/leads/new", data=_form_data(app, owner_id=""))
    html = client.get(response.location).get_data(as_text=True)
    assert "Assignment rule “Berlin desk”" in html and "<q>Ann Rule</q>" in html
