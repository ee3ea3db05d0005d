"""Routes of the lead form: pages, the checkbox partials, type-aheads, duplicates, saving."""

from __future__ import annotations

import re

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.models import Company, Lead, LeadSource
from tests.factories import CompanyFactory, ContactFactory, LeadFactory


def _source_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(LeadSource.id).where(LeadSource.active.is_(True)))


def _new_lead_data(app, **extra):
    data = {"title": "Rebrand", "source_id": _source_id(app), "currency": "USD",
            "new_company": "y", "new_company_name": "Globex", "company_website": "globex.io",
            "new_contact": "y", "first_name": "Hank", "last_name": "Scorpio",
            "email": "hank@globex.io", "phone": "202 555 0143"}
    data.update(extra)
    return data


def test_new_page_full_request_renders_whole_form(client, login):
    login("sales")
    response = client.get("/admin/leads/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert 'id="lead-form"' in html and 'id="company-group"' in html
    assert 'role="combobox"' in html and 'id="duplicates"' in html


def test_new_page_lists_only_active_sources(app, client, login):
    login("admin")
    with app.app_context():
        source = db.session.scalar(select(LeadSource).where(LeadSource.name == "Chat"))
        source.active = False
        db.session.commit()
    html = client.get("/admin/leads/new").get_data(as_text=True)
    assert ">Chat<" not in html and ">Email<" in html


def test_new_leads_start_in_the_default_currency(app, client, login):
    app.config["DEFAULT_CURRENCY"] = "EUR"
    login("admin")
    html = client.get("/admin/leads/new").get_data(as_text=True)
    assert re.search(r'<option selected value="EUR">|<option value="EUR" selected>', html)
    with app.app_context():
        made_in_code = LeadFactory(title="Made in code")
        db.session.commit()
        assert made_in_code.currency == "EUR"  # the model's default (capture, API, seeds)


def test_create_save_and_exit_redirects_to_lead_page(app, client, login):
    login("sales")
    response = client.post("/admin/leads/new", data=_new_lead_data(app, action="exit"))
    assert response.status_code == 303
    with app.app_context():
        lead = db.session.scalar(select(Lead))
        assert response.headers["Location"].endswith(f"/admin/leads/{lead.id}")
        assert lead.company.name == "Globex" and lead.company.website == "https://globex.io"
        assert lead.primary_contact.phone == "+12025550143"


def test_create_save_stays_on_form_in_edit_mode(app, client, login):
    login("admin")
    response = client.post("/admin/leads/new", data=_new_lead_data(app, action="save"))
    with app.app_context():
        lead_id = db.session.scalar(select(Lead.id))
    assert response.headers["Location"].endswith(f"/admin/leads/{lead_id}/edit")
    page = client.get(f"/admin/leads/{lead_id}/edit").get_data(as_text=True)
    assert 'value="Rebrand"' in page and 'name="version"' in page


def test_create_invalid_returns_422_with_every_typed_value(app, client, login):
    login("admin")
    data = _new_lead_data(app, title="", company_website="not a site", company_tin="123",
                          email="bad@", city="Lisbon", description="Needs <b>care</b>")
    response = client.post("/admin/leads/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="title-error"' in html and 'id="company_tin-error"' in html
    assert 'id="email-error"' in html and 'id="company_website-error"' in html
    for typed in ('value="Globex"', 'value="123"', 'value="bad@"', 'value="Lisbon"',
                  "Needs &lt;b&gt;care&lt;/b&gt;"):
        assert typed in html
    with app.app_context():
        assert db.session.scalar(select(Company)) is None


def test_create_without_js_refresh_shows_checked_groups_without_errors(app, client, login):
    login("admin")
    response = client.post("/admin/leads/new", data={"refresh": "company", "new_company": "y",
                                                     "title": "Draft"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="new_company_name"' in html and 'type="url"' in html
    assert 'class="error"' not in html and 'value="Draft"' in html


def test_company_fields_partial_toggle_keeps_hidden_group_values(client, login):
    login("admin")
    response = client.get("/admin/leads/form/company-fields",
                          headers={"HX-Request": "true"},
                          query_string={"company_search": "Acme", "company_id": "7",
                                        "new_company_name": "Typed Co"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.strip().startswith('<div id="company-group"')
    assert 'role="combobox"' in html and 'value="Acme"' in html
    assert '<input type="hidden" name="new_company_name" value="Typed Co">' in html
    checked = client.get("/admin/leads/form/company-fields", headers={"HX-Request": "true"},
                         query_string={"new_company": "y", "new_company_name": "Typed Co",
                                       "company_search": "Acme"}).get_data(as_text=True)
    assert 'id="new_company_name"' in checked and 'value="Typed Co"' in checked
    assert '<input type="hidden" name="company_search" value="Acme">' in checked


def test_contact_fields_partial_checked_shows_name_fields(client, login):
    login("admin")
    html = client.get("/admin/leads/form/contact-fields", headers={"HX-Request": "true"},
                      query_string={"new_contact": "y"}).get_data(as_text=True)
    assert 'id="first_name"' in html and 'id="last_name"' in html and 'type="tel"' in html


def test_company_options_after_two_characters_lists_matches(app, client, login):
    login("admin")
    with app.app_context():
        CompanyFactory(name="Initech")
        CompanyFactory(name="Globex")
    short = client.get("/admin/leads/form/companies?company_search=i").get_data(as_text=True)
    assert "option" not in short
    html = client.get("/admin/leads/form/companies?company_search=nite").get_data(as_text=True)
    assert 'role="option"' in html and 'data-label="Initech"' in html and "Globex" not in html
    none = client.get("/admin/leads/form/companies?company_search=zzz").get_data(as_text=True)
    assert 'aria-disabled="true"' in none and "Tick New company" in none


def test_contact_options_with_company_chosen_narrows_to_its_contacts(app, client, login):
    login("admin")
    with app.app_context():
        mine = CompanyFactory()
        ContactFactory(company=mine, first_name="Milton", last_name="Waddams")
        ContactFactory(first_name="Milton", last_name="Friedman")
        company_id = mine.id
    html = client.get("/admin/leads/form/contacts", query_string={
        "contact_search": "milton", "company_id": company_id}).get_data(as_text=True)
    assert "Waddams" in html and "Friedman" not in html
    both = client.get("/admin/leads/form/contacts",
                      query_string={"contact_search": "milton"}).get_data(as_text=True)
    assert "Waddams" in both and "Friedman" in both


def test_duplicates_partial_shows_matches_with_links(app, client, login):
    login("admin")
    with app.app_context():
        lead_id = LeadFactory(email="taken@example.com").id
    html = client.get("/admin/leads/form/duplicates", headers={"HX-Request": "true"},
                      query_string={"new_contact": "y", "email": "TAKEN@example.com"}
                      ).get_data(as_text=True)
    assert "Possible duplicates" in html and f'href="/admin/leads/{lead_id}"' in html
    assert "same email" in html and "<html" not in html


def test_update_with_stale_version_returns_409_and_keeps_typed_values(app, client, login):
    login("admin")
    with app.app_context():
        company, contact = CompanyFactory(), ContactFactory()
        lead = LeadFactory()
        lead_id, version, company_id, contact_id = lead.id, lead.version, company.id, contact.id
        lead.city = "Changed elsewhere"
        db.session.commit()
    response = client.post(f"/admin/leads/{lead_id}/edit", data={
        "title": "My new title", "source_id": _source_id(app), "currency": "USD",
        "company_id": company_id, "company_search": "x", "contact_id": contact_id,
        "contact_search": "y", "version": version})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this lead" in html and 'value="My new title"' in html
    assert re.search(r'name="version"[^>]*value="2"', html)


def test_edit_page_as_marketeer_is_forbidden(app, client, login):
    login("marketeer")
    with app.app_context():
        lead_id = LeadFactory().id
    assert client.get(f"/admin/leads/{lead_id}/edit").status_code == 403


def test_update_by_sales_rep_on_team_lead_owned_by_colleague_keeps_owner(app, client, login):
    user_id = login("sales")
    with app.app_context():
        from leadapp.models import Team, User
        from tests.factories import UserFactory

        colleague = UserFactory(role="sales", name="Colleague")
        team = Team(name="Team A")
        db.session.add(team)
        team.members = [colleague, db.session.get(User, user_id)]
        company, contact = CompanyFactory(), ContactFactory()
        lead = LeadFactory(owner=colleague, team=team)
        ids = (lead.id, colleague.id, company.id, contact.id)
    lead_id, colleague_id, company_id, contact_id = ids
    page = client.get(f"/admin/leads/{lead_id}/edit").get_data(as_text=True)
    assert f'<option selected value="{colleague_id}">Colleague</option>' in page
    response = client.post(f"/admin/leads/{lead_id}/edit", data={
        "title": "Team edit", "source_id": _source_id(app), "currency": "USD",
        "owner_id": colleague_id, "company_id": company_id, "company_search": "x",
        "contact_id": contact_id, "contact_search": "y", "version": 1, "action": "exit"})
    assert response.status_code == 303
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.title == "Team edit" and lead.owner_id == colleague_id
