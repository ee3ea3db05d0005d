"""Conversion: company, contact and opportunity created or linked in one transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from leadapp.auth.models import User
from leadapp.companies.models import Company, Contact, Opportunity
from leadapp.errors import Conflict, NotAllowed
from leadapp.extensions import db
from leadapp.leads import conversion
from leadapp.leads.models import Activity, ActivityKind, Lead, LeadContact
from leadapp.pipeline.models import StageKind
from tests.factories import CompanyFactory, ContactFactory, LeadFactory, UserFactory


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _lead(**fields: Any) -> Lead:
    fields.setdefault("company_name", "Northwind Traders")
    fields.setdefault("website", "https://northwind.example")
    return LeadFactory(title="Website relaunch", budget=Decimal("12500.00"), **fields)


def test_convert_with_new_company_and_contact_creates_all_and_moves_to_won(app_ctx: Flask) -> None:
    actor = UserFactory(role="manager")
    lead = _lead(owner=actor)
    result = conversion.convert_lead(lead, conversion.default_plan(lead), actor)
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert result.company_created and result.contact_created
    assert lead.converted_at is not None and lead.closing_date is not None
    assert lead.stage.kind == StageKind.won
    company = lead.converted_company
    assert company.name == "Northwind Traders" and company.created_from_lead_id == lead.id
    assert lead.company_id == company.id
    assert lead.primary_contact.id == lead.converted_contact_id
    assert lead.converted_contact.company_id == company.id
    opportunity = lead.opportunity
    assert (opportunity.name, opportunity.amount) == ("Website relaunch", Decimal("12500.00"))
    assert opportunity.owner_id == actor.id and opportunity.contact_id == lead.converted_contact_id
    activity = db.session.scalar(select(Activity).where(Activity.lead_id == lead.id,
                                                        Activity.kind == ActivityKind.converted))
    assert activity.data["company_created"] is True
    assert "Northwind Traders" in activity.new_value


def test_convert_with_existing_company_and_contact_links_them(app_ctx: Flask) -> None:
    actor = UserFactory(role="admin")
    company = CompanyFactory(name="Contoso")
    contact = ContactFactory(company=company, email="pat@contoso.example")
    lead = _lead(company=company)
    plan = conversion.Plan(company_id=company.id, contact_id=contact.id,
                           opportunity_name="Contoso renewal", amount=Decimal("99.50"))
    before = (_count(Company), _count(Contact))
    result = conversion.convert_lead(lead, plan, actor)
    assert not result.company_created and not result.contact_created
    assert (_count(Company), _count(Contact)) == before
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.converted_company_id == company.id and lead.converted_contact_id == contact.id
    assert lead.opportunity.name == "Contoso renewal"
    assert lead.opportunity.amount == Decimal("99.50")


def test_convert_when_lead_has_a_primary_contact_keeps_one_primary(app_ctx: Flask) -> None:
    actor = UserFactory(role="admin")
    lead = _lead()
    old = ContactFactory()
    db.session.add(LeadContact(lead=lead, contact=old, is_primary=True))
    db.session.commit()
    plan = conversion.default_plan(lead)
    plan.contact_id = None
    conversion.convert_lead(lead, plan, actor)
    primaries = db.session.scalars(select(LeadContact).where(
        LeadContact.lead_id == lead.id, LeadContact.is_primary.is_(True))).all()
    assert len(primaries) == 1 and primaries[0].contact_id != old.id


def test_convert_twice_is_refused_with_a_conflict(app_ctx: Flask) -> None:
    actor = UserFactory(role="admin")
    lead = _lead()
    conversion.convert_lead(lead, conversion.default_plan(lead), actor)
    with pytest.raises(Conflict, match="already converted"):
        conversion.convert_lead(lead, conversion.default_plan(lead), actor)
    assert _count(Opportunity) == 1


def test_convert_when_stage_move_fails_rolls_everything_back(
        app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    actor = UserFactory(role="admin")
    lead = _lead()
    lead_id, stage_id = lead.id, lead.stage_id

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(conversion.pipeline_services, "change_stage", broken)
    with pytest.raises(RuntimeError):
        conversion.convert_lead(lead, conversion.default_plan(lead), actor)
    db.session.expire_all()
    lead = db.session.get(Lead, lead_id)
    assert lead.converted_at is None and lead.stage_id == stage_id
    assert (_count(Company), _count(Contact), _count(Opportunity)) == (0, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(Activity).where(
        Activity.kind == ActivityKind.converted)) == 0


def test_convert_by_sales_for_an_invisible_lead_is_not_allowed(app_ctx: Flask) -> None:
    sales, other = UserFactory(role="sales"), UserFactory(role="sales")
    lead = _lead(owner=other)
    with pytest.raises(NotAllowed):
        conversion.convert_lead(lead, conversion.default_plan(lead), sales)


def test_convert_with_stale_version_is_refused(app_ctx: Flask) -> None:
    actor = UserFactory(role="admin")
    lead = _lead()
    with pytest.raises(Conflict):
        conversion.convert_lead(lead, conversion.default_plan(lead), actor, lead.version - 1)
    assert lead.converted_at is None


def test_company_matches_with_same_domain_and_name_explain_why(app_ctx: Flask) -> None:
    from leadapp.companies.services import company_matches, contact_matches

    by_site = CompanyFactory(name="NW Holding", website="https://www.northwind.example/about")
    by_name = CompanyFactory(name="NORTHWIND TRADERS, Inc.", website="https://other.example")
    CompanyFactory(name="Gmail fans", website="https://gmail.com")
    contact = ContactFactory(email="JANE@northwind.example", phone="+12025550143")
    lead = _lead(email="jane@northwind.example", phone="(202) 555-0143")
    found = {c.row.id: c.why for c in company_matches(lead)}
    assert found == {by_site.id: "same website domain (northwind.example)",
                     by_name.id: "same name"}
    assert [(c.row.id, c.reasons) for c in contact_matches(lead)] == [
        (contact.id, ["same email", "same phone"])]


# ---- routes -----------------------------------------------------------------------------------

def _lead_id(app: Flask, **fields: Any) -> int:
    with app.app_context():
        return _lead(**fields).id


def test_convert_form_for_an_open_lead_proposes_new_records(
        app: Flask, hx: FlaskClient, login: Any) -> None:
    login("manager", client_=hx)
    lead_id = _lead_id(app)
    response = hx.get(f"/admin/leads/{lead_id}/convert")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'id="lead-{lead_id}-convert"' in body and 'value="Northwind Traders"' in body
    assert 'value="new" class="js-convert-new" checked' in body


def test_convert_post_with_valid_data_converts_and_redirects(
        app: Flask, hx: FlaskClient, login: Any) -> None:
    user_id = login("sales", client_=hx)
    with app.app_context():
        lead = _lead(owner=db.session.get(User, user_id))
        lead_id, version = lead.id, lead.version
    response = hx.post(f"/admin/leads/{lead_id}/convert", data={
        "company_choice": "new", "company_name": "Northwind", "company_tin": "123456789",
        "contact_choice": "new", "contact_first_name": "Jane", "contact_last_name": "Roe",
        "opportunity_name": "Relaunch", "amount": "500", "owner_id": str(user_id),
        "version": str(version)})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/admin/leads/{lead_id}"
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.converted_company.tin == "123456789"
        assert lead.converted_contact.full_name == "Jane Roe"
    page = hx.get(f"/admin/leads/{lead_id}", headers={"HX-Boosted": "true"}).get_data(as_text=True)
    assert "Lead converted: company “Northwind” created" in page
    assert "/admin/opportunities/" in page


def test_convert_post_with_bad_tin_returns_422_and_keeps_values(
        app: Flask, hx: FlaskClient, login: Any) -> None:
    login("admin", client_=hx)
    lead_id = _lead_id(app)
    response = hx.post(f"/admin/leads/{lead_id}/convert", data={
        "company_choice": "new", "company_name": "Typed Co", "company_tin": "12345",
        "contact_choice": "new", "contact_last_name": "Roe", "opportunity_name": "X"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "A TIN has 9, 10 or 12 digits." in body and 'value="Typed Co"' in body
    with app.app_context():
        assert db.session.get(Lead, lead_id).converted_at is None


def test_convert_post_on_converted_lead_is_refused_with_409(
        app: Flask, hx: FlaskClient, login: Any) -> None:
    login("admin", client_=hx)
    with app.app_context():
        lead = _lead()
        conversion.convert_lead(lead, conversion.default_plan(lead), UserFactory(role="admin"))
        lead_id = lead.id
    response = hx.post(f"/admin/leads/{lead_id}/convert", data={"opportunity_name": "Again"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert f'id="lead-{lead_id}-convert"' in body and "already converted" in body
    assert "/admin/opportunities/" in body  # the section shows the existing links again
    with app.app_context():
        assert _count(Opportunity) == 1


def test_convert_by_marketeer_is_forbidden(app: Flask, hx: FlaskClient, login: Any) -> None:
    login("marketeer", client_=hx)
    lead_id = _lead_id(app)
    assert hx.get(f"/admin/leads/{lead_id}/convert").status_code == 403


def test_lead_page_of_converted_lead_links_the_records(
        app: Flask, client: FlaskClient, login: Any) -> None:
    login("admin")
    with app.app_context():
        lead = _lead()
        result = conversion.convert_lead(lead, conversion.default_plan(lead),
                                         UserFactory(role="admin"))
        lead_id, company_id = lead.id, result.company.id
    body = client.get(f"/admin/leads/{lead_id}").get_data(as_text=True)
    assert f'href="/admin/companies/{company_id}"' in body
    assert "converted the lead: company “Northwind Traders” created" in body


# ---- auto-convert ------------------------------------------------------------------------------

def _form(source_id: int, **extra: str) -> dict[str, str]:
    return {"title": "Rush order", "source_id": str(source_id), "new_company": "y",
            "new_company_name": "Quick Co", "company_website": "quick.example",
            "new_contact": "y", "first_name": "Kim", "last_name": "Park", "budget": "750",
            "currency": "EUR", **extra}


def test_create_lead_with_auto_convert_creates_and_converts_at_once(
        app: Flask, client: FlaskClient, login: Any) -> None:
    from tests.factories import LeadSourceFactory

    login("sales")
    source_id = _ids_of(app, lambda: LeadSourceFactory().id)
    response = client.post("/admin/leads/new", data=_form(source_id, auto_convert="y"),
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "saved and converted: company “Quick Co” created, contact Kim Park created" in body
    with app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.title == "Rush order"))
        assert lead.converted_at is not None and lead.stage.kind == StageKind.won
        assert lead.converted_company.name == "Quick Co"
        assert (lead.opportunity.amount, lead.opportunity.currency) == (Decimal("750.00"), "EUR")
        assert lead.converted_company.created_from_lead_id == lead.id


def test_create_lead_without_auto_convert_stays_open(
        app: Flask, client: FlaskClient, login: Any) -> None:
    from tests.factories import LeadSourceFactory

    login("manager")
    source_id = _ids_of(app, lambda: LeadSourceFactory().id)
    client.post("/admin/leads/new", data=_form(source_id))
    with app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.title == "Rush order"))
        assert lead.converted_at is None and lead.stage.kind == StageKind.open
        assert _count(Opportunity) == 0


def test_create_lead_with_auto_convert_when_conversion_fails_saves_nothing(
        app: Flask, client: FlaskClient, login: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.factories import LeadSourceFactory

    login("admin")
    source_id = _ids_of(app, lambda: LeadSourceFactory().id)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("stage service down")

    monkeypatch.setattr(conversion.pipeline_services, "change_stage", broken)
    with pytest.raises(RuntimeError):
        client.post("/admin/leads/new", data=_form(source_id, auto_convert="y"))
    with app.app_context():
        assert _count(Lead) == 0 and _count(Company) == 0 and _count(Opportunity) == 0


def _ids_of(app: Flask, make: Any) -> Any:
    with app.app_context():
        return make()


def test_find_duplicates_with_website_matches_company_by_domain_not_free_mail(
        app_ctx: Flask) -> None:
    from leadapp.leads.duplicates import find_duplicates, web_domain

    user = UserFactory(role="admin")
    company = CompanyFactory(name="Umbrella", website="http://www.umbrella.example/")
    CompanyFactory(name="Mailbox", website="https://gmail.com")
    found = find_duplicates(user, website="umbrella.example/contact")
    assert [(m.kind, m.id, m.reasons) for m in found] == [
        ("company", company.id, ["same website domain"])]
    assert find_duplicates(user, website="https://gmail.com") == []
    assert (web_domain("Ann@Umbrella.example"), web_domain("ann@gmail.com")) == (
        "umbrella.example", "")


def test_convert_when_another_request_converted_meanwhile_is_refused(app_ctx: Flask) -> None:
    from sqlalchemy import update

    actor = UserFactory(role="admin")
    lead = _lead()
    # Another request's write lands between our read and our flush (the lead's version moves on).
    db.session.execute(update(Lead).where(Lead.id == lead.id)
                       .values(version=Lead.version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(Conflict, match="Someone else changed this lead"):
        conversion.convert_lead(lead, conversion.default_plan(lead), actor)
    assert (_count(Company), _count(Contact), _count(Opportunity)) == (0, 0, 0)
