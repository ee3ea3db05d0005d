"""Converting a lead end to end in Chromium, and how the customer pages look."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from leadapp.extensions import db
from leadapp.models import Lead
from leadapp.pipeline.models import StageKind
from tests.browser.conftest import screenshot
from tests.factories import CompanyFactory, LeadFactory


def _lead(live_server: Any) -> tuple[int, int]:
    def make() -> tuple[int, int]:
        existing = CompanyFactory(name="Northwind Traders Ltd",
                                  website="https://www.northwind-browser.example")
        lead = LeadFactory(title="Warehouse scanners", company_name="Northwind Traders",
                           website="northwind-browser.example", first_name="Maria",
                           last_name="Anders", email="maria@northwind-browser.example",
                           budget=Decimal("48000.00"))
        return lead.id, existing.id

    return live_server.run(make)


def test_convert_lead_end_to_end_links_company_and_shows_links(page: Any, live_server: Any,
                                                               sign_in: Any) -> None:
    sign_in(page, "manager")
    lead_id, company_id = _lead(live_server)
    page.goto(f"{live_server.url}/admin/leads/{lead_id}")
    section = page.locator(f"#lead-{lead_id}-convert")
    section.get_by_role("link", name="Convert…").click()
    form = page.locator(f"#lead-{lead_id}-convert-form")
    form.wait_for()
    # The matching company is proposed with the reason it matched.
    choice = form.get_by_text("Link Northwind Traders Ltd")
    choice.wait_for()
    assert "same website domain" in form.inner_text()
    assert not form.get_by_label("Company name").is_visible()
    screenshot(page, "convert_partial")
    form.get_by_label("Opportunity name").fill("Warehouse scanners – phase 1")
    form.get_by_label("Amount").fill("-5")
    form.get_by_role("button", name="Convert lead").click()
    page.locator("#amount-error").wait_for()
    assert form.get_by_label("Opportunity name").input_value() == "Warehouse scanners – phase 1"
    page.locator(f"#lead-{lead_id}-convert-form").get_by_label("Amount").fill("30000")
    page.locator(f"#lead-{lead_id}-convert-form").get_by_role("button",
                                                               name="Convert lead").click()
    page.get_by_text("Lead converted:").wait_for()
    links = page.locator(f"#lead-{lead_id}-convert")
    links.get_by_role("link", name="Warehouse scanners – phase 1").wait_for()
    screenshot(page, "convert_result")

    def stored() -> tuple[Any, ...]:
        lead = db.session.get(Lead, lead_id)
        return (lead.converted_company_id, lead.stage.kind, lead.opportunity.amount,
                lead.converted_contact.full_name)

    assert live_server.run(stored) == (company_id, StageKind.won, Decimal("30000.00"),
                                       "Maria Anders")
    links.get_by_role("link", name="Northwind Traders Ltd").click()
    page.wait_for_url(f"**/admin/companies/{company_id}")
    page.get_by_role("heading", name="Northwind Traders Ltd").wait_for()
    page.get_by_role("button", name="Edit tin").click()
    page.locator(f"#company-{company_id}-tin-input").fill("12345")
    page.locator(f"#company-{company_id}-tin-input").press("Enter")
    page.get_by_text("A TIN has 9, 10 or 12 digits.").wait_for()
    page.locator(f"#company-{company_id}-tin-input").fill("123 456 789")
    page.get_by_role("button", name="Save").click()
    page.locator(f"#company-{company_id}-tin").get_by_text("123456789").wait_for()
    screenshot(page, "company_page")
    page.get_by_role("link", name="Maria Anders").click()
    page.get_by_role("heading", name="Maria Anders").wait_for()
    screenshot(page, "contact_page")
    for width, suffix in ((1280, ""), (390, "_390")):
        page.set_viewport_size({"width": width, "height": 860})
        page.goto(f"{live_server.url}/admin/companies")
        screenshot(page, f"companies_list{suffix}")
        page.goto(f"{live_server.url}/admin/opportunities")
        screenshot(page, f"opportunities_list{suffix}")
        page.goto(f"{live_server.url}/admin/companies/{company_id}")
        screenshot(page, f"company_page{suffix}")
        page.goto(f"{live_server.url}/admin/contacts")
        screenshot(page, f"contacts_list{suffix}")
        page.get_by_role("link", name="Maria Anders").click()
        page.get_by_role("heading", name="Maria Anders").wait_for()
        screenshot(page, f"contact_page{suffix}")


def test_convert_partial_on_a_phone_fits(page: Any, live_server: Any, sign_in: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 860})
    sign_in(page, "admin")
    lead_id, _ = _lead(live_server)
    page.goto(f"{live_server.url}/admin/leads/{lead_id}/convert")
    form = page.locator(f"#lead-{lead_id}-convert-form")
    form.wait_for()
    form.get_by_label("Create a new contact").check()
    form.get_by_label("First name").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "convert_partial_390")
    form.get_by_role("link", name="Cancel").click()
    page.locator(f"#lead-{lead_id}-convert").get_by_role("link", name="Convert…").wait_for()
    assert page.locator(f"#lead-{lead_id}-convert-form").count() == 0


def test_merge_two_leads_side_by_side_and_undo(page: Any, live_server: Any,
                                               sign_in: Any) -> None:
    sign_in(page, "manager")

    def make() -> tuple[int, int]:
        kept = LeadFactory(title="Globex kiosk", email="hank@globex-merge.example", phone="")
        other = LeadFactory(title="Globex kiosks (form)", email="HANK@globex-merge.example",
                            phone="+12025550188", city="Springfield")
        return kept.id, other.id

    kept_id, other_id = live_server.run(make)
    page.goto(f"{live_server.url}/admin/leads/{kept_id}")
    page.get_by_role("link", name="Merge…").click()
    page.get_by_text("same email").wait_for()
    page.get_by_role("link", name="Globex kiosks (form)").click()
    page.get_by_role("button", name="Merge leads").wait_for()
    screenshot(page, "lead_merge")
    assert page.get_by_role("radio", name="+12025550188").is_checked()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Merge leads").click()
    page.get_by_text("was merged into this lead").wait_for()

    def phone() -> str:
        return db.session.get(Lead, kept_id).phone

    assert live_server.run(phone) == "+12025550188"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo merge").click()
    page.get_by_text("Merge undone").wait_for()
    assert live_server.run(phone) == ""
    assert live_server.run(lambda: db.session.get(Lead, other_id).deleted_at) is None
    page.set_viewport_size({"width": 390, "height": 860})
    page.goto(f"{live_server.url}/admin/leads/{kept_id}/merge?other={other_id}")
    screenshot(page, "lead_merge_390")
