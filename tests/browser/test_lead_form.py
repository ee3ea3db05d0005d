"""The lead form in Chromium: checkbox groups swap through htmx and keep what was typed."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.models import Lead
from tests.browser.conftest import screenshot, wait_until
from tests.factories import CompanyFactory, ContactFactory, LeadFactory


def _seed(live_server) -> None:
    def make() -> None:
        company = CompanyFactory(name="Initech Browser")
        ContactFactory(company=company, first_name="Peter", last_name="Gibbons")
        LeadFactory(email="dupe@browser-example.com", title="Existing browser lead")

    live_server.run(make)


def test_toggle_new_company_and_contact_back_and_forth_keeps_values_and_saves(
        page, live_server, sign_in):
    _seed(live_server)
    sign_in(page, "admin")
    page.goto(f"{live_server.url}/admin/leads/new")
    screenshot(page, "lead_form_empty")
    page.get_by_label("Title").fill("Toggle test lead")
    page.get_by_label("Lead source").select_option(label="Email")

    page.get_by_label("New company").check()
    page.get_by_label("Company name", exact=True).wait_for()
    assert page.evaluate("document.activeElement.id") == "new_company"  # focus kept
    page.get_by_label("Company name", exact=True).fill("Toggle Co")
    page.get_by_label("Company website").fill("toggle.example")
    page.get_by_label("New company").uncheck()
    combo = page.get_by_role("combobox", name="Existing company")
    combo.wait_for()
    combo.fill("Inite")
    page.get_by_role("option", name="Initech Browser").wait_for()
    combo.press("ArrowDown")
    combo.press("Enter")
    assert page.locator("#company_id").input_value() != ""
    page.get_by_label("New company").check()
    assert page.get_by_label("Company name", exact=True).input_value() == "Toggle Co"
    page.get_by_label("New company").uncheck()
    assert page.get_by_role("combobox", name="Existing company").input_value() == \
        "Initech Browser"

    contact = page.get_by_role("combobox", name="Existing contact")
    contact.fill("pet")
    page.get_by_role("option", name="Peter Gibbons").click()
    page.get_by_label("New contact").check()
    page.get_by_label("First name").fill("Samir")
    page.get_by_label("Last name").fill("Nagheenanajar")
    page.get_by_label("Email").fill("dupe@browser-example.com")
    page.locator("#duplicates").get_by_text("Existing browser lead").wait_for()
    screenshot(page, "lead_form_duplicates")
    page.get_by_label("New contact").uncheck()
    assert page.get_by_role("combobox", name="Existing contact").input_value() == "Peter Gibbons"
    page.get_by_label("New contact").check()
    assert page.get_by_label("First name").input_value() == "Samir"

    page.get_by_role("button", name="Save and exit").click()
    page.get_by_role("heading", name="Toggle test lead").wait_for()
    page.set_viewport_size({"width": 1280, "height": 860})

    def saved() -> tuple[str, str]:
        lead = db.session.scalar(select(Lead).where(Lead.title == "Toggle test lead"))
        return lead.company.name, lead.primary_contact.full_name

    assert live_server.run(saved) == ("Initech Browser", "Samir Nagheenanajar")


def test_submit_empty_form_shows_errors_next_to_fields(page, live_server, sign_in):
    sign_in(page, "sales")
    page.goto(f"{live_server.url}/admin/leads/new")
    page.get_by_label("New contact").check()
    page.get_by_label("First name").wait_for()
    page.get_by_label("Phone").fill("12")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#title-error").wait_for()
    wait_until(page, "document.activeElement && document.activeElement.id === 'title'")
    assert page.locator("#company_search-error").is_visible()
    assert page.locator("#phone-error").is_visible()
    assert page.get_by_label("Phone").input_value() == "12"
    screenshot(page, "lead_form_errors")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "lead_form_errors_390")
