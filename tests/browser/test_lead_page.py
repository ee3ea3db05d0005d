"""The lead page in Chromium: click-to-edit with Enter and Escape, and a version conflict
between two browser contexts."""

from __future__ import annotations

from leadapp.extensions import db
from leadapp.models import Lead
from tests.browser.conftest import screenshot, wait_until
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


def test_stage_bar_move_to_lost_asks_reason_and_closes(page, live_server, sign_in):
    sign_in(page, "manager")
    lead_id = _lead(live_server, title="Stage lead")
    page.goto(f"{live_server.url}/admin/leads/{lead_id}")
    bar = page.locator(f"#lead-{lead_id}-stage")
    bar.get_by_role("button", name="In process").click()
    bar.locator('[aria-current="step"]', has_text="In process").wait_for()
    bar.get_by_role("button", name="Closed").click()
    reason = page.get_by_label("Loss reason")
    reason.wait_for()
    assert page.evaluate("document.activeElement.name") == "loss_reason_id"
    page.get_by_role("button", name="Mark as Closed").click()
    page.locator(f"#lead-{lead_id}-stage-reason-error").wait_for()
    reason.select_option(label="No budget")
    page.get_by_label("Closing comment").fill("Budget frozen until Q3")
    screenshot(page, "lead_page_loss_reason")
    page.get_by_role("button", name="Mark as Closed").click()
    bar.get_by_text("Closed on").wait_for()
    page.locator(f"#lead-{lead_id}-timeline").get_by_text("Closed").first.wait_for()

    def stored() -> tuple[str, str, bool]:
        lead = db.session.get(Lead, lead_id)
        return lead.stage.name, lead.loss_reason.name, lead.closing_date is not None

    assert live_server.run(stored) == ("Closed", "No budget", True)


def test_edit_page_renders_saved_lead_with_groups(page, live_server, sign_in):
    sign_in(page, "admin")

    def make() -> int:
        from leadapp.leads import services

        actor = _admin()
        lead = services.save_lead(None, {
            "title": "Edit me", "source_id": LeadFactory().source_id, "currency": "EUR",
            "new_company": True, "new_company_name": "Umbrella GmbH",
            "company_website": "https://umbrella.example.com", "new_contact": True,
            "first_name": "Alice", "last_name": "Abernathy", "email": "alice@umbrella.example.com",
            "tags": "bio, vip"}, actor)
        return lead.id

    lead_id = live_server.run(make)
    page.goto(f"{live_server.url}/admin")  # a page without the lead scripts
    assert page.evaluate("window.leadappLeadForm") is None
    page.evaluate("""(url) => {
        const link = Object.assign(document.createElement("a"), {href: url, textContent: "Go"});
        document.getElementById("main").append(link);
        htmx.process(link);
    }""", f"/admin/leads/{lead_id}/edit")
    page.get_by_role("link", name="Go", exact=True).click()  # boosted: only <body> is swapped
    page.get_by_role("heading", name="Edit lead").wait_for()
    # The swapped body's script runs once htmx has processed the new form: typing before
    # that raced it (CI: the input event came before htmx listened for it).
    wait_until(page, "window.leadappLeadForm === true")
    combo = page.get_by_role("combobox", name="Existing contact")
    combo.fill("alice")
    page.get_by_role("option", name="Alice Abernathy").wait_for()
    combo.press("ArrowDown")
    assert combo.get_attribute("aria-activedescendant", timeout=2000)  # lead_form.js is running
    combo.press("Enter")
    assert combo.get_attribute("aria-expanded") == "false"
    assert page.get_by_role("combobox", name="Existing company").input_value() == "Umbrella GmbH"
    assert page.get_by_role("combobox", name="Existing contact").input_value() == \
        "Alice Abernathy"
    page.get_by_label("City").fill("Raccoon City")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("saved.").wait_for()
    screenshot(page, "lead_edit")
    assert page.get_by_label("City").input_value() == "Raccoon City"


def test_field_saves_without_javascript_through_the_plain_post(browser, live_server,
                                                               make_live_user):
    """The inline form also posts natively (no JavaScript, or Enter before htmx processed it)."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    email = make_live_user("admin")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    lead_id = _lead(live_server, title="No-JS lead", city="Porto")
    page.goto(f"{live_server.url}/admin/leads/{lead_id}/fields/city/edit")
    page.locator(f"#lead-{lead_id}-city-input").fill("Faro")
    page.locator(f"#lead-{lead_id}-city-input").press("Enter")
    page.locator(f"#lead-{lead_id}-city").get_by_text("Faro").wait_for()
    assert live_server.run(lambda: db.session.get(Lead, lead_id).city) == "Faro"
    context.close()
