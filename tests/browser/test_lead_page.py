"""The lead page in Chromium: click-to-edit with Enter and Escape, and a version conflict
between two browser contexts."""

from __future__ import annotations

from leadapp.extensions import db
from leadapp.models import Lead
from tests.browser.conftest import screenshot
from tests.factories import ContactFactory, LeadFactory


def _lead(live_server, **fields) -> int:
    def make() -> int:
        lead = LeadFactory(**fields)
        from leadapp.leads import services

        services.add_lead_contact(lead, ContactFactory(), {}, lead.created_by or _admin())
        services.add_comment(lead, "Spoke to them, see https://example.com/brief", _admin())
        return lead.id

    return live_server.run(make)


def _admin():
    from tests.factories import UserFactory

    return UserFactory(role="admin", name="Setup Admin")


def test_edit_title_with_enter_and_cancel_city_with_escape(page, live_server, sign_in):
    sign_in(page, "admin")
    lead_id = _lead(live_server, title="Inline lead", city="Porto")
    page.goto(f"{live_server.url}/admin/leads/{lead_id}")
    screenshot(page, "lead_page")

    page.locator(f"#lead-{lead_id}-title button").click()
    title_input = page.locator(f"#lead-{lead_id}-title-input")
    title_input.fill("Inline lead renamed")
    title_input.press("Enter")
    page.locator(f"#lead-{lead_id}-title button").get_by_text("Inline lead renamed").wait_for()
    page.locator(f"#lead-{lead_id}-timeline").get_by_text("Inline lead renamed").wait_for()

    page.locator(f"#lead-{lead_id}-city button").focus()
    page.keyboard.press("Enter")
    city_input = page.locator(f"#lead-{lead_id}-city-input")
    city_input.fill("Somewhere else")
    city_input.press("Escape")
    page.locator(f"#lead-{lead_id}-city button").get_by_text("Porto").wait_for()
    assert page.evaluate("document.activeElement.closest('.inline-field').id") == \
        f"lead-{lead_id}-city"

    bad = page.locator(f"#lead-{lead_id}-email button")
    bad.click()
    page.locator(f"#lead-{lead_id}-email-input").fill("broken@")
    page.locator(f"#lead-{lead_id}-email-input").press("Enter")
    page.locator(f"#lead-{lead_id}-email-input-error").wait_for()
    assert page.locator(f"#lead-{lead_id}-email-input").input_value() == "broken@"

    def stored() -> tuple[str, str]:
        lead = db.session.get(Lead, lead_id)
        return lead.title, lead.city

    assert live_server.run(stored) == ("Inline lead renamed", "Porto")
    screenshot(page, "lead_page_inline_error")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "lead_page_390")


def test_second_context_change_makes_first_save_conflict(browser, page, live_server, sign_in):
    sign_in(page, "admin")
    lead_id = _lead(live_server, title="Contested", city="Porto")
    other_context = browser.new_context(viewport={"width": 1280, "height": 860})
    try:
        other = other_context.new_page()
        sign_in(other, "manager", name="Other Manager")
        page.goto(f"{live_server.url}/admin/leads/{lead_id}")
        other.goto(f"{live_server.url}/admin/leads/{lead_id}")

        page.locator(f"#lead-{lead_id}-city button").click()  # A opens the field first
        other.locator(f"#lead-{lead_id}-city button").click()
        other.locator(f"#lead-{lead_id}-city-input").fill("Faro")
        other.locator(f"#lead-{lead_id}-city-input").press("Enter")
        other.locator(f"#lead-{lead_id}-city button").get_by_text("Faro").wait_for()

        page.locator(f"#lead-{lead_id}-city-input").fill("Braga")
        page.locator(f"#lead-{lead_id}-city-input").press("Enter")
        conflict = page.locator(f"#lead-{lead_id}-city .inline-conflict")
        conflict.wait_for()
        assert "Faro" in conflict.inner_text() and "Other Manager" in conflict.inner_text()
        assert page.locator(f"#lead-{lead_id}-city-input").input_value() == "Braga"
        screenshot(page, "lead_page_conflict")

        page.locator(f"#lead-{lead_id}-city").get_by_role("button", name="Save").click()
        page.locator(f"#lead-{lead_id}-city button").get_by_text("Braga").wait_for()
        assert live_server.run(lambda: db.session.get(Lead, lead_id).city) == "Braga"
    finally:
        other_context.close()
