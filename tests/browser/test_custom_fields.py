"""Custom fields: an admin adds a field and reorders by keyboard; a value is then set on the
lead page by click-to-edit (keyboard), and shows in the lead list's column."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import LeadFactory


def _reset() -> int:
    from leadapp.custom_fields.models import CustomField
    from leadapp.extensions import db

    db.session.query(CustomField).delete()
    db.session.commit()
    return LeadFactory(title="Browser custom lead").id


def _labels() -> list[str]:
    from leadapp.custom_fields import services

    return [item.label for item in services.list_fields()]


def test_add_field_reorder_and_edit_a_value_on_the_lead_page(page, live_server, sign_in):
    lead_id = live_server.run(_reset)
    sign_in(page, "admin")
    page.goto(f"{live_server.url}/admin/settings/fields")
    page.get_by_label("Label").fill("Region")
    page.get_by_role("button", name="Add field").click()
    expect(page.locator(".rule-name a")).to_have_text(["Region"])
    page.get_by_label("Label").fill("Tier")
    page.get_by_label("Type").select_option("choice")
    page.get_by_label("Choices (one per line)").fill("Gold\nSilver")
    page.get_by_label("Show as a column in the lead list").check()
    page.get_by_role("button", name="Add field").click()
    names = page.locator(".rule-name a")
    expect(names).to_have_text(["Region", "Tier"])

    page.get_by_role("button", name="Move Tier up").focus()
    page.keyboard.press("Enter")
    expect(names).to_have_text(["Tier", "Region"])
    expect(page.get_by_role("button", name="Move Tier down")).to_be_focused()
    assert live_server.run(_labels) == ["Tier", "Region"]
    page.screenshot(path="/tmp/custom-fields-admin.png", full_page=True)

    page.goto(f"{live_server.url}/admin/leads/{lead_id}")
    opener = page.get_by_role("button", name="Tier: empty. Edit")
    opener.focus()
    page.keyboard.press("Enter")
    select = page.locator(f"#lead-{lead_id}-cf_tier-input")
    expect(select).to_be_visible()
    select.select_option("Silver")
    page.locator(f"#lead-{lead_id}-cf_tier").get_by_role("button", name="Save").click()
    expect(page.get_by_role("button", name="Tier: Silver. Edit")).to_be_visible()
    page.screenshot(path="/tmp/custom-fields-lead.png", full_page=True)

    page.goto(f"{live_server.url}/admin/leads?sort=cf_tier&dir=asc")
    row = page.locator(f"#lead-{lead_id}")
    expect(row.locator("td.col-cf_tier")).to_have_text("Silver")
