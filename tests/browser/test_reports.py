"""The report and a spend panel in Chromium: filters, sort, expand, print view; screenshots."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot


@pytest.fixture(scope="module")
def seeded(live_server: Any) -> Any:
    from leadapp.demo import seed_demo

    live_server.run(lambda: seed_demo(3000, seed=7))
    live_server.run(_euro_win)
    return live_server


def _euro_win() -> None:
    """One won lead in EUR among the demo's USD leads, so the report has another currency."""
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from tests.factories import LeadFactory
    from tests.reports.dataset import stage

    LeadFactory(stage=stage("Converted"), currency="EUR", budget=Decimal("4321.00"),
                created_at=datetime.now(UTC) - timedelta(days=40))


def test_report_filters_sort_and_expand_in_browser(seeded, page, sign_in):
    sign_in(page, "marketeer")
    page.goto(f"{seeded.url}/admin/reports/sources?range=last_12_months")
    page.get_by_role("link", name="Reports").first.wait_for()
    assert page.locator("#report-table tbody tr.report-source").count() >= 3
    screenshot(page, "reports-sources-1280")
    # All fourteen columns fit at 1280px: no sideways scrolling to reach "1st response".
    assert page.evaluate("(() => { const w = document.querySelector('.report-table-wrap');"
                         " return w.scrollWidth <= w.clientWidth; })()")
    page.get_by_role("link", name="Leads", exact=True).last.click()
    page.locator('th[aria-sort="descending"]', has_text="Leads").wait_for()
    page.wait_for_url("**sort=leads**")
    page.locator(".report-expand").first.click()
    page.locator("tr.report-campaign").first.wait_for()
    page.wait_for_url("**expand=**")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Attribution").select_option("first_touch")
    page.locator(".report-scope", has_text="first touch").wait_for()
    page.wait_for_url("**model=first_touch**")
    page.wait_for_load_state("networkidle")
    page.locator("#report-currencies").get_by_role("link", name="1 in EUR").click()
    page.locator(".report-scope", has_text="revenue in EUR").wait_for()
    assert page.get_by_label("Revenue currency").input_value() == "EUR"
    assert "4,321.00" in page.locator(".report-stats").inner_text()
    screenshot(page, "reports-sources-eur")
    page.get_by_label("From", exact=True).fill("2026-05-10")
    page.get_by_label("From", exact=True).dispatch_event("change")
    page.locator(".report-scope", has_text="10 May 2026").wait_for()
    assert page.get_by_label("Date range").input_value() == "custom"
    assert "range=custom" in page.url


def test_report_mobile_and_print_view_screenshots(seeded, page, sign_in):
    sign_in(page, "admin")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{seeded.url}/admin/reports/sources?range=last_12_months")
    page.locator("#report-table").wait_for()
    screenshot(page, "reports-sources-390")
    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(f"{seeded.url}/admin/reports/sources/print?range=last_12_months")
    assert page.locator("#report-table").is_visible()
    screenshot(page, "reports-print")


def test_spend_panel_records_spend_in_browser(seeded, page, sign_in):
    from sqlalchemy import select

    from leadapp.extensions import db
    from leadapp.models import LeadSource

    source_id = seeded.run(lambda: db.session.scalar(select(LeadSource.id).order_by(
        LeadSource.id)))
    sign_in(page, "admin")
    page.goto(f"{seeded.url}/admin/leads/sources/{source_id}")
    panel = page.locator("#spend-panel")
    panel.get_by_label("Date or month").fill("2026-13")
    panel.get_by_label("Amount", exact=True).fill("12.50")
    panel.get_by_role("button", name="Add spend").click()
    page.get_by_text("Enter a date as YYYY-MM-DD, or a month as YYYY-MM.").wait_for()
    assert page.locator("#spend-panel").get_by_label("Amount", exact=True).input_value() == "12.50"
    page.locator("#spend-panel").get_by_label("Date or month").fill("2026-05")
    page.locator("#spend-panel").get_by_role("button", name="Add spend").click()
    page.get_by_text("Spend recorded.").wait_for()
    screenshot(page, "spend-panel-source")


def test_dashboard_month_cards_load_in_browser(seeded, page, sign_in):
    sign_in(page, "manager")
    page.goto(f"{seeded.url}/admin")
    cards = page.locator("#report-month-cards")
    cards.get_by_text("Cost per won lead").wait_for()
    assert cards.get_by_role("link", name="Open the source report").is_visible()
    screenshot(page, "reports-dashboard-cards")
