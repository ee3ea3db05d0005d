"""Company and contact services: usage, delete refusals, merges."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from leadapp.companies import services
from leadapp.companies.models import Company, Contact, Opportunity
from leadapp.errors import Conflict, RuleViolation
from leadapp.extensions import db
from leadapp.leads.models import Lead, LeadContact
from tests.factories import CompanyFactory, ContactFactory, LeadFactory


def test_merge_companies_moves_everything_to_the_winner(app_ctx: Flask) -> None:
    winner = CompanyFactory(name="Acme", website="", tin="")
    loser = CompanyFactory(name="ACME Inc", tin="123456789", industry="Rockets")
    lead = LeadFactory(company=loser)
    converted = LeadFactory(converted_company=loser)
    contact = ContactFactory(company=loser)
    db.session.add(Opportunity(name="Deal", company=loser))
    db.session.commit()
    version = lead.version
    loser_id = loser.id
    moved = services.merge_companies(winner, loser, None)
    assert moved == {"leads": 1, "converted leads": 1, "contacts": 1, "opportunities": 1}
    db.session.expire_all()
    assert db.session.get(Company, loser_id) is None
    assert db.session.get(Lead, lead.id).company_id == winner.id
    assert db.session.get(Lead, lead.id).version == version + 1
    assert db.session.get(Lead, converted.id).converted_company_id == winner.id
    assert db.session.get(Contact, contact.id).company_id == winner.id
    assert db.session.scalar(select(Opportunity)).company_id == winner.id
    assert (winner.tin, winner.industry) == ("123456789", "Rockets")


def test_merge_company_into_itself_is_refused(app_ctx: Flask) -> None:
    company = CompanyFactory()
    with pytest.raises(RuleViolation):
        services.merge_companies(company, company, None)


def test_merge_contacts_keeps_one_primary_link_per_lead(app_ctx: Flask) -> None:
    winner, loser = ContactFactory(phone=""), ContactFactory(phone="+12025550143")
    shared, only_loser = LeadFactory(), LeadFactory()
    db.session.add_all([LeadContact(lead=shared, contact=winner, is_primary=False),
                        LeadContact(lead=shared, contact=loser, is_primary=True),
                        LeadContact(lead=only_loser, contact=loser, is_primary=True)])
    db.session.add(Opportunity(name="Deal", contact=loser))
    db.session.commit()
    loser_id = loser.id
    services.merge_contacts(winner, loser, None)
    db.session.expire_all()
    assert db.session.get(Contact, loser_id) is None
    links = db.session.scalars(select(LeadContact).order_by(LeadContact.lead_id)).all()
    assert [(link.lead_id, link.contact_id, link.is_primary) for link in links] == [
        (shared.id, winner.id, True), (only_loser.id, winner.id, True)]
    assert db.session.scalar(select(Opportunity)).contact_id == winner.id
    assert winner.phone == "+12025550143"


def test_delete_company_in_use_names_every_user(app_ctx: Flask) -> None:
    company = CompanyFactory(name="Busy")
    LeadFactory(company=company)
    LeadFactory(company=company)
    ContactFactory(company=company)
    with pytest.raises(Conflict, match=r"“Busy” is still used by 2 leads, 1 contact\."):
        services.delete_company(company)


def test_delete_opportunity_from_a_lead_is_refused(app_ctx: Flask) -> None:
    opportunity = Opportunity(name="From lead", lead=LeadFactory())
    db.session.add(opportunity)
    db.session.commit()
    with pytest.raises(Conflict):
        services.delete_opportunity(opportunity)


def test_merge_route_moves_and_redirects_to_winner(app: Flask, hx: Any, login: Any) -> None:
    login("manager", client_=hx)
    with app.app_context():
        winner, loser = CompanyFactory(), CompanyFactory()
        ContactFactory(company=loser)
        winner_id, loser_id = winner.id, loser.id
    response = hx.post(f"/admin/companies/{loser_id}/merge", data={"target_id": str(winner_id)})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/admin/companies/{winner_id}"
    with app.app_context():
        assert db.session.get(Company, loser_id) is None
    page = hx.get(response.headers["HX-Redirect"], headers={"HX-Boosted": "true"})
    assert "merged into" in page.get_data(as_text=True) and "(1 contact moved)" in page.get_data(
        as_text=True)


def test_merge_route_without_target_is_refused(app: Flask, hx: Any, login: Any) -> None:
    login("manager", client_=hx)
    with app.app_context():
        company_id = CompanyFactory().id
    response = hx.post(f"/admin/companies/{company_id}/merge", data={"target_id": ""})
    assert response.status_code == 422
    assert "Choose the company to keep." in response.get_data(as_text=True)
