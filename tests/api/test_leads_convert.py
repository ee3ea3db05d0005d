"""POST /api/leads/<id>/convert checks its body with the page's Convert form: the same lengths,
email, website, TIN, phone and amount rules, and nothing is created when one fails."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from leadapp.companies.models import Company, Contact, Opportunity
from leadapp.extensions import db
from leadapp.leads.models import Lead
from tests.factories import LeadFactory

NEW_COMPANY = {"name": "Pump Works"}
NEW_CONTACT = {"first_name": "Eva", "last_name": "Roth"}


@pytest.fixture
def lead_id(app: Flask) -> int:
    with app.app_context():
        return LeadFactory(title="Heat pump", first_name="Eva", last_name="Roth",
                           company_name="Roth GmbH").id


@pytest.mark.parametrize(("body", "field"), [
    ({"company": {"name": "x" * 201}}, "company.name"),
    ({"company": {**NEW_COMPANY, "website": "not a website"}}, "company.website"),
    ({"company": {**NEW_COMPANY, "tin": "12"}}, "company.tin"),
    ({"company": {**NEW_COMPANY, "industry": "x" * 121}}, "company.industry"),
    ({"company": {"name": ["Pump"]}}, "company.name"),
    ({"company": {**NEW_COMPANY, "colour": "red"}}, "company.colour"),
    ({"contact": {**NEW_CONTACT, "email": "nope"}}, "contact.email"),
    ({"contact": {**NEW_CONTACT, "email": "a" * 250 + "@x.io"}}, "contact.email"),
    ({"contact": {**NEW_CONTACT, "phone": "12"}}, "contact.phone"),
    ({"contact": {**NEW_CONTACT, "mobile": "12"}}, "contact.mobile"),
    ({"contact": {"last_name": "x" * 101}}, "contact.last_name"),
    ({"contact": {"first_name": "", "last_name": None}}, "contact.last_name"),
    ({"opportunity_name": ["Pump"]}, "opportunity_name"),
    ({"opportunity_name": "x" * 256}, "opportunity_name"),
    ({"amount": "NaN"}, "amount"), ({"amount": "sNaN"}, "amount"),
    ({"amount": "Infinity"}, "amount"), ({"amount": "-Infinity"}, "amount"),
    ({"amount": "1e400"}, "amount"), ({"amount": float("inf")}, "amount"),
    ({"amount": "1000000000000"}, "amount"), ({"amount": -1}, "amount"),
    ({"amount": True}, "amount"), ({"expected_close": "31/01/2026"}, "expected_close"),
    ({"company_id": 10**22}, "company_id"), ({"contact_id": "3"}, "contact_id"),
    ({"owner": 999999}, "owner"),
])
def test_convert_refuses_what_the_form_refuses(app: Flask, api: Any, lead_id: int,
                                               body: dict, field: str) -> None:
    response = api("post", f"/api/leads/{lead_id}/convert", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"], response.get_json()
    with app.app_context():
        assert db.session.get(Lead, lead_id).converted_at is None
        assert db.session.scalar(select(db.func.count()).select_from(Company)) == 0
        assert db.session.scalar(select(db.func.count()).select_from(Opportunity)) == 0


def test_convert_normalises_like_the_form(app: Flask, api: Any, lead_id: int) -> None:
    response = api("post", f"/api/leads/{lead_id}/convert", json={
        "company": {"name": " Pump Works ", "website": "pump.example", "tin": "123-456-789"},
        "contact": {**NEW_CONTACT, "phone": "+1 202 555 0143", "mobile": "+1 202 555 0144"},
        "amount": "999999999999.99", "opportunity_name": "Pump install"})
    assert response.status_code == 200, response.get_json()
    created = response.get_json()["created"]
    with app.app_context():
        company = db.session.get(Company, created["company"]["id"])
        contact = db.session.get(Contact, created["contact"]["id"])
        opportunity = db.session.get(Opportunity, created["opportunity"]["id"])
        assert (company.name, company.website, company.tin) == (
            "Pump Works", "https://pump.example", "123456789")
        assert (contact.phone, contact.mobile) == ("+12025550143", "+12025550144")
        assert str(opportunity.amount) == "999999999999.99"


def test_convert_with_the_default_proposal_still_works(app: Flask, api: Any,
                                                       lead_id: int) -> None:
    response = api("post", f"/api/leads/{lead_id}/convert", json={})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"]["company"]["name"] == "Roth GmbH"
