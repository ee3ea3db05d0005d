"""Companies, contacts and opportunities pages: lists, create, click-to-edit, pages, delete."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from leadapp.companies.models import Company, Contact, Opportunity
from leadapp.extensions import db
from leadapp.leads import conversion
from leadapp.leads.models import Lead, LeadContact
from tests.factories import CompanyFactory, ContactFactory, LeadFactory, UserFactory


def _ids(app: Flask, make: Any) -> Any:
    with app.app_context():
        return make()


def test_index_pages_for_every_role_render_lists(app: Flask, client: FlaskClient,
                                                 login: Any) -> None:
    login("marketeer")
    _ids(app, lambda: CompanyFactory(name="Acme Rockets").id)
    for url, text in (("/admin/companies", "Acme Rockets"), ("/admin/contacts", "No contacts yet"),
                      ("/admin/opportunities", "No opportunities yet")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.get_data(as_text=True)
    assert "Add a company" not in client.get("/admin/companies").get_data(as_text=True)


def test_index_with_search_as_htmx_returns_only_the_table(app: Flask, hx: FlaskClient,
                                                           login: Any) -> None:
    login("sales", client_=hx)
    _ids(app, lambda: [CompanyFactory(name=name) for name in ("Acme Rockets", "Globex")])
    response = hx.get("/admin/companies?q=glob")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.strip().startswith('<div id="companies-table"')
    assert "Globex" in body and "Acme Rockets" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_index_sorted_desc_and_paginated_orders_and_pages(app: Flask, client: FlaskClient,
                                                          login: Any) -> None:
    login("admin")
    _ids(app, lambda: [CompanyFactory(name=f"Firm {n:02d}") for n in range(30)])
    first = client.get("/admin/companies?sort=name&dir=desc").get_data(as_text=True)
    assert first.index("Firm 29") < first.index("Firm 28") and "Firm 00" not in first
    second = client.get("/admin/companies?sort=name&dir=desc&page=2").get_data(as_text=True)
    assert "Firm 00" in second and "page 2 of 2" in second


def test_create_company_with_bad_tin_returns_422_with_values(app: Flask, hx: FlaskClient,
                                                             login: Any) -> None:
    login("sales", client_=hx)
    response = hx.post("/admin/companies", data={"name": "Initech", "tin": "1234"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "A TIN has 9, 10 or 12 digits." in body and 'value="Initech"' in body


def test_create_company_with_valid_data_saves_and_announces(app: Flask, hx: FlaskClient,
                                                            login: Any) -> None:
    login("sales", client_=hx)
    response = hx.post("/admin/companies", data={"name": "Initech", "tin": "123-456-7890",
                                                 "website": "initech.example"})
    assert response.status_code == 200
    assert "companies-changed" in response.headers["HX-Trigger"]
    with app.app_context():
        company = db.session.scalar(select(Company).where(Company.name == "Initech"))
        assert (company.tin, company.website) == ("1234567890", "https://initech.example")


def test_create_by_marketeer_is_forbidden(app: Flask, hx: FlaskClient, login: Any) -> None:
    login("marketeer", client_=hx)
    assert hx.post("/admin/companies", data={"name": "X"}).status_code == 403


def test_update_field_with_valid_value_returns_display(app: Flask, hx: FlaskClient,
                                                       login: Any) -> None:
    login("manager", client_=hx)
    company_id = _ids(app, lambda: CompanyFactory().id)
    form = hx.get(f"/admin/companies/{company_id}/fields/city/form")
    assert form.status_code == 200 and f'id="company-{company_id}-city"' in form.get_data(
        as_text=True)
    response = hx.put(f"/admin/companies/{company_id}/fields/city", data={"city": "Lyon"})
    assert response.status_code == 200 and "Lyon" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Company, company_id).city == "Lyon"


def test_update_field_with_empty_name_returns_422(app: Flask, hx: FlaskClient,
                                                  login: Any) -> None:
    login("manager", client_=hx)
    company_id = _ids(app, lambda: CompanyFactory(name="Keep Me").id)
    response = hx.put(f"/admin/companies/{company_id}/fields/name", data={"name": " "})
    assert response.status_code == 422
    assert "Enter the company name." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Company, company_id).name == "Keep Me"


def test_update_field_not_editable_is_404(app: Flask, hx: FlaskClient, login: Any) -> None:
    login("manager", client_=hx)
    company_id = _ids(app, lambda: CompanyFactory().id)
    assert hx.put(f"/admin/companies/{company_id}/fields/created_at").status_code == 404


def test_company_page_lists_contacts_leads_and_opportunities(app: Flask, client: FlaskClient,
                                                             login: Any) -> None:
    login("admin")

    def make() -> tuple[int, int]:
        lead = LeadFactory(title="Big deal", company_name="Umbrella")
        result = conversion.convert_lead(lead, conversion.default_plan(lead),
                                         UserFactory(role="admin"))
        return result.company.id, lead.id

    company_id, lead_id = _ids(app, make)
    body = client.get(f"/admin/companies/{company_id}").get_data(as_text=True)
    assert "Big deal" in body and f'href="/admin/leads/{lead_id}"' in body
    assert "was created from it" in body and "Jane" in body
    assert f'created from the lead <a href="/admin/leads/{lead_id}">Big deal</a>' in body
    assert "/admin/opportunities/" in body


def test_delete_company_in_use_is_refused_with_what_uses_it(app: Flask, hx: FlaskClient,
                                                            login: Any) -> None:
    login("admin", client_=hx)
    company_id = _ids(app, lambda: ContactFactory().company_id)
    response = hx.post(f"/admin/companies/{company_id}/delete")
    assert response.status_code == 409
    assert "still used by 1 contact" in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == f"#company-{company_id}-notice"
    with app.app_context():
        assert db.session.get(Company, company_id) is not None


def test_delete_unused_company_redirects_to_list(app: Flask, hx: FlaskClient,
                                                 login: Any) -> None:
    login("admin", client_=hx)
    company_id = _ids(app, lambda: CompanyFactory().id)
    response = hx.post(f"/admin/companies/{company_id}/delete")
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/companies"
    with app.app_context():
        assert db.session.get(Company, company_id) is None


def test_delete_contact_in_use_without_js_flashes_reason(app: Flask, client: FlaskClient,
                                                         login: Any) -> None:
    login("admin")

    def make() -> int:
        contact = ContactFactory()
        db.session.add(LeadContact(lead=LeadFactory(), contact=contact, is_primary=True))
        db.session.commit()
        return contact.id

    contact_id = _ids(app, make)
    response = client.post(f"/admin/contacts/{contact_id}/delete", follow_redirects=True)
    assert "still used by 1 lead" in response.get_data(as_text=True)


def test_contact_page_and_opportunity_page_render(app: Flask, client: FlaskClient,
                                                  login: Any) -> None:
    login("sales")

    def make() -> tuple[int, int]:
        contact = ContactFactory(first_name="Pat", last_name="Lee")
        opportunity = Opportunity(name="Pilot", amount=Decimal("10"), company=contact.company,
                                  contact=contact)
        db.session.add(opportunity)
        db.session.commit()
        return contact.id, opportunity.id

    contact_id, opportunity_id = _ids(app, make)
    contact_page = client.get(f"/admin/contacts/{contact_id}").get_data(as_text=True)
    assert "Pat Lee" in contact_page and "Pilot" in contact_page
    page = client.get(f"/admin/opportunities/{opportunity_id}").get_data(as_text=True)
    assert "Pat Lee" in page and "10.00 USD" in page and "Added by hand" in page


def test_opportunities_filtered_by_owner_and_close_date(app: Flask, client: FlaskClient,
                                                        login: Any) -> None:
    login("admin")

    def make() -> int:
        owner = UserFactory()
        db.session.add_all([
            Opportunity(name="Mine soon", owner=owner, expected_close=_day("2026-03-01")),
            Opportunity(name="Mine late", owner=owner, expected_close=_day("2026-09-01")),
            Opportunity(name="Theirs", expected_close=_day("2026-03-01"))])
        db.session.commit()
        return owner.id

    owner_id = _ids(app, make)
    body = client.get(f"/admin/opportunities?owner={owner_id}&close_to=2026-06-30").get_data(
        as_text=True)
    assert "Mine soon" in body and "Mine late" not in body and "Theirs" not in body


def _day(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)


def test_create_contact_with_company_links_it(app: Flask, hx: FlaskClient, login: Any) -> None:
    login("sales", client_=hx)
    company_id = _ids(app, lambda: CompanyFactory().id)
    response = hx.post("/admin/contacts", data={"first_name": "Ann", "last_name": "Lee",
                                                "email": "ann@x.example", "phone": "bad phone",
                                                "company_id": str(company_id)})
    assert response.status_code == 422 and 'value="ann@x.example"' in response.get_data(
        as_text=True)
    response = hx.post("/admin/contacts", data={"first_name": "Ann", "last_name": "Lee",
                                                "company_id": str(company_id)})
    assert response.status_code == 200
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.last_name == "Lee"))
        assert contact.company_id == company_id
        assert db.session.scalar(select(Lead)) is None


def test_index_sorted_by_lead_count_puts_busiest_first(app: Flask, client: FlaskClient,
                                                       login: Any) -> None:
    login("admin")

    def make() -> None:
        quiet, busy = CompanyFactory(name="Quiet"), CompanyFactory(name="Busy")
        LeadFactory(company=busy)
        LeadFactory(converted_company=busy)
        LeadFactory(company=quiet)

    _ids(app, make)
    body = client.get("/admin/companies?sort=leads&dir=desc").get_data(as_text=True)
    assert body.index(">Busy<") < body.index(">Quiet<")
    body = client.get("/admin/companies?sort=leads&dir=asc").get_data(as_text=True)
    assert body.index(">Quiet<") < body.index(">Busy<")


def _lead_count_shown(body: str, company_id: int) -> int:
    row = body[body.index(f'id="company-{company_id}"'):]
    return int(re.findall(r'<td class="num">(\d+)</td>', row[:row.index("</tr>")])[-1])


def test_index_counts_only_the_leads_the_viewer_may_see(app: Flask, client: FlaskClient,
                                                        login: Any) -> None:
    rep = login("sales")

    def make() -> int:
        company = CompanyFactory(name="Shared Co")
        other = UserFactory(role="sales")
        LeadFactory(company=company, owner_id=rep)
        LeadFactory(company=company, owner=None)
        LeadFactory(company=company, owner=other)  # another rep's, in no team of this one
        return company.id

    company_id = _ids(app, make)
    assert _lead_count_shown(client.get("/admin/companies").get_data(as_text=True),
                             company_id) == 2
    client.post("/logout")
    login("admin")
    assert _lead_count_shown(client.get("/admin/companies").get_data(as_text=True),
                             company_id) == 3
