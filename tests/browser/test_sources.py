"""Lead sources in a real browser: create from the list, rename in place, merge; screenshots."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from leadapp.extensions import db
from leadapp.models import Activity, Lead, LeadSource
from tests.browser.conftest import screenshot
from tests.factories import CampaignFactory, LeadFactory, LeadSourceFactory


def _source_named(name: str) -> LeadSource | None:
    return db.session.scalar(select(LeadSource).where(LeadSource.name == name))


def test_create_rename_and_merge_source_without_leaving_list(page, live_server, sign_in):
    sign_in(page, "marketeer")
    page.goto(f"{live_server.url}/admin/leads/sources")
    list_url = page.url

    # Create from the list.
    page.get_by_label("Name", exact=True).fill("Browser Expo")
    page.get_by_label("Description", exact=True).fill("Booth at the expo")
    page.get_by_role("button", name="Add source").click()
    row = page.locator("tr", has=page.get_by_role("link", name="Browser Expo"))
    row.wait_for()
    assert page.url == list_url
    assert page.get_by_label("Name", exact=True).input_value() == ""
    source_id = live_server.run(lambda: _source_named("Browser Expo").id)

    # A duplicate name is refused next to the field, keeping what was typed.
    page.get_by_label("Name", exact=True).fill("  browser EXPO ")
    page.get_by_role("button", name="Add source").click()
    page.get_by_text("already exists").wait_for()
    assert page.get_by_label("Name", exact=True).input_value() == "  browser EXPO "

    # Rename in place: click Edit, type, Enter.
    page.get_by_role("button", name="Edit name of Browser Expo").click()
    field = page.locator(f"#source-{source_id}-name-input")
    field.wait_for()
    expect(field).to_be_focused()
    field.fill("Browser Expo 2026")
    field.press("Enter")
    page.get_by_role("link", name="Browser Expo 2026").wait_for()
    assert live_server.run(lambda: db.session.get(LeadSource, source_id).name) == \
        "Browser Expo 2026"

    # Keyboard path: focus returns to Edit; Enter opens the form again, Escape leaves it unsaved.
    edit = page.get_by_role("button", name="Edit name of Browser Expo 2026")
    expect(edit).to_be_focused()
    edit.press("Enter")
    field.wait_for()
    field.fill("Not saved")
    field.press("Escape")
    edit.wait_for()
    assert page.get_by_role("link", name="Browser Expo 2026").is_visible()

    # Give it leads, then delete: refused with "used by 2 leads" and a merge offer.
    def add_leads() -> None:
        source = db.session.get(LeadSource, source_id)
        LeadFactory(source=source)
        LeadFactory(source=source)

    live_server.run(add_leads)
    page.goto(f"{live_server.url}/admin/leads/sources?q=Browser")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Browser Expo 2026").click()
    panel = page.locator("#source-dialog .src-merge-panel")
    panel.wait_for()
    assert "used by 2 leads" in panel.inner_text()
    expect(panel.get_by_label("Merge into")).to_be_focused()
    screenshot(page, "sources-merge-offer")
    panel.get_by_label("Merge into").select_option(label="Referral")
    panel.get_by_role("button", name=re.compile("Merge and delete")).click()
    page.locator("#source-dialog .src-merge-panel").wait_for(state="detached")
    page.get_by_role("link", name="Browser Expo 2026").wait_for(state="detached")

    def moved() -> tuple[bool, int, int]:
        referral = _source_named("Referral")
        leads = db.session.scalar(select(func.count()).select_from(Lead)
                                  .where(Lead.source_id == referral.id))
        logged = db.session.scalar(select(func.count()).select_from(Activity)
                                   .where(Activity.new_value == "Referral"))
        return db.session.get(LeadSource, source_id) is None, leads, logged

    gone, leads, logged = live_server.run(moved)
    assert gone and leads >= 2 and logged >= 2


def test_bulk_deactivate_confirms_with_count(page, live_server, sign_in):
    live_server.run(lambda: [LeadSourceFactory(name=f"Bulk browser {i}") for i in range(2)])
    sign_in(page, "admin")
    page.goto(f"{live_server.url}/admin/leads/sources?q=Bulk browser")
    questions: list[str] = []

    def answer(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.get_by_label("Tick all sources on this page").check()
    assert page.get_by_text("2 sources ticked").is_visible()
    page.get_by_role("button", name="Deactivate", exact=True).click()
    page.get_by_text("Deactivated 2 of 2 selected source(s).").wait_for()
    assert questions == ["Deactivate 2 sources?"]
    page.locator("tr.src-is-inactive").first.wait_for()
    screenshot(page, "sources-list")


def test_pages_screenshots(page, live_server, sign_in):
    def setup() -> tuple[int, int]:
        source = LeadSourceFactory(name="Screenshot Webinars",
                                   description="Monthly product webinars")
        for _ in range(3):
            LeadFactory(source=source)
        campaign = CampaignFactory(name="Spring webinar series", source=source)
        return source.id, campaign.id

    source_id, _ = live_server.run(setup)
    sign_in(page, "admin")
    page.goto(f"{live_server.url}/admin/leads/sources?q=Screenshot")
    page.get_by_role("link", name="Screenshot Webinars").click()
    page.get_by_role("heading", name=re.compile("Screenshot Webinars")).wait_for()
    assert page.url.endswith(f"/admin/leads/sources/{source_id}")
    assert page.locator("header.topbar").count() == 1
    screenshot(page, "source-detail")

    # Other browser tests share this server (one seeds demo data): search, don't rely on page 1.
    page.goto(f"{live_server.url}/admin/campaigns?q=Spring+webinar")
    page.get_by_role("link", name="Spring webinar series").wait_for()
    screenshot(page, "campaigns-list")
    page.get_by_role("button", name="Edit budget of Spring webinar series").click()
    budget = page.get_by_label("Budget of Spring webinar series", exact=True)
    budget.fill("-5")
    budget.press("Enter")
    page.get_by_text("The budget cannot be negative.").wait_for()
    assert budget.input_value() == "-5"
    screenshot(page, "campaigns-inline-error")
    budget.fill("2500")
    budget.press("Enter")
    page.get_by_text("2,500.00").wait_for()
    page.get_by_role("link", name="Spring webinar series").click()
    page.get_by_role("heading", name="Spring webinar series").wait_for()
    assert page.locator("header.topbar").count() == 1
    screenshot(page, "campaign-detail")

    page.goto(f"{live_server.url}/admin/api/api_management")
    page.get_by_label("User", exact=True).select_option(index=1)
    page.get_by_label("Token name").fill("Nightly sync")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token")
    token.wait_for()
    assert token.input_value().startswith("la_")
    page.get_by_role("cell", name="Nightly sync", exact=True).wait_for()
    screenshot(page, "api-management")
