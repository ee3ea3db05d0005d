"""The lead list in Chromium: search + filters survive a reload; a bulk action with confirmation."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.browser.conftest import screenshot, wait_until
from tests.factories import LeadFactory, LeadSourceFactory, TagFactory, UserFactory

pytestmark = pytest.mark.browser


def make_leads(live_server: Any, word: str) -> dict[str, Any]:
    """Twelve leads whose titles share `word`, over two sources and three stages."""

    def build() -> dict[str, Any]:
        from tests.leads.test_listing import stage_named

        fair = LeadSourceFactory(name=f"Fair {word}")
        web = LeadSourceFactory(name=f"Web {word}")
        owner = UserFactory(name=f"Olga {word}", role="sales")
        tag = TagFactory(name=f"key-{word}")
        names = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark"]
        for index in range(12):
            LeadFactory(
                title=f"{word} {names[index % 6]} {index:02d}", source=fair if index % 2 else web,
                stage=stage_named(("New", "In process", "Closed")[index % 3]),
                owner=owner if index % 4 == 0 else None, city=("Berlin", "Lisbon")[index % 2],
                company_name=f"{names[index % 6]} Corp", budget=Decimal(1000 * (index + 1)),
                tags=[tag] if index % 3 == 0 else [],
            )
        return {"fair": fair.id, "web": web.id}

    return live_server.run(build)


def test_search_and_filters_survive_a_reload(page, live_server, sign_in):
    word = "Zq" + uuid.uuid4().hex[:6]
    ids = make_leads(live_server, word)
    sign_in(page, "admin")
    page.goto(f"{live_server.url}/admin/leads")
    form = page.get_by_role("search", name="Search and filter leads")
    form.get_by_label("Search", exact=True).fill(word.lower())
    page.wait_for_url(re.compile(rf"q={word.lower()}"))
    rows = page.locator("#lead-results tbody tr")
    # Closed leads are open/lost, none converted: 12 rows.
    wait_until(page, "document.querySelectorAll('#lead-results tbody tr').length === 12")
    page.get_by_text("Filters", exact=True).click()
    form.get_by_label("Source", exact=True).select_option(str(ids["fair"]))
    page.wait_for_url(re.compile(rf"source={ids['fair']}"))
    form.get_by_label("Status", exact=True).select_option("open")
    page.wait_for_url(re.compile(r"status=open"))
    wait_until(page, "document.querySelectorAll('#lead-results tbody tr').length === 4")
    page.get_by_role("link", name=re.compile(r"^Title")).click()
    page.wait_for_url(re.compile(r"sort=title"))
    first_title = rows.first.locator(".col-title").inner_text()
    screenshot(page, "lead-list-filtered-1280")

    page.reload()
    assert form.get_by_label("Search", exact=True).input_value() == word.lower()
    assert form.get_by_label("Source", exact=True).input_value() == str(ids["fair"])
    assert form.get_by_label("Status", exact=True).input_value() == "open"
    assert rows.count() == 4
    assert rows.first.locator(".col-title").inner_text() == first_title
    assert page.locator("th[aria-sort='ascending']").inner_text().startswith("Title")

    page.go_back()  # before the sort: the same filters, newest first
    page.wait_for_url(re.compile(r"status=open"))
    assert "sort=title" not in page.url


def test_bulk_tag_asks_with_the_count_then_reports(page, live_server, sign_in):
    word = "Zb" + uuid.uuid4().hex[:6]
    make_leads(live_server, word)
    sign_in(page, "manager")
    page.goto(f"{live_server.url}/admin/leads?q={word.lower()}&sort=title&dir=asc")
    boxes = page.locator("#lead-results tbody input.js-row-check")
    boxes.nth(0).check()
    boxes.nth(1).check()
    assert page.locator(".js-checked-count").inner_text() == "(2)"
    page.get_by_label("Bulk action", exact=True).select_option("add_tag")
    assert page.get_by_label("New owner").is_hidden()
    page.get_by_label("Tag to add or remove").fill("hot-" + word)
    page.get_by_role("button", name=re.compile("Apply to checked")).click()
    question = page.locator("#bulk-question")
    question.wait_for()
    assert question.inner_text() == f"Tag 2 checked leads “hot-{word}”?"
    screenshot(page, "lead-list-bulk-confirm-1280")
    page.get_by_role("button", name="Yes, tag 2 leads").click()
    page.locator(".toast", has_text="Tagged 2 leads").wait_for()
    assert page.locator("#bulk-panel").inner_text() == ""
    assert page.locator("#lead-results .badge", has_text=f"hot-{word}").count() == 2

    # "All matching" confirms with the server's count of every match, then cancel keeps all.
    page.get_by_label("Bulk action", exact=True).select_option("delete")
    page.get_by_role("button", name="Apply to all matching").click()
    question.wait_for()
    assert question.inner_text().startswith("Move all 12 matching leads to the trash?")
    page.get_by_role("link", name="Cancel").click()
    assert page.locator("#bulk-question").count() == 0
    assert page.locator("#lead-results tbody tr").count() == 12


def test_lead_list_screenshots_wide_and_narrow(browser, live_server, make_live_user):
    word = "Zs" + uuid.uuid4().hex[:6]
    make_leads(live_server, word)
    live_server.run(lambda: [LeadFactory(title=f"{word} deleted {n}", deleted_at=datetime.now(UTC))
                             for n in range(2)])
    for width, height in ((1280, 900), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        page = context.new_page()
        email = make_live_user("admin")
        page.goto(f"{live_server.url}/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/admin**")
        page.goto(f"{live_server.url}/admin/leads?q={word.lower()}")
        assert page.locator("#lead-results tbody tr").count() == 12
        screenshot(page, f"lead-list-data-{width}")
        page.locator("#list-views > summary").click()
        page.get_by_label("Save the current view as").fill(f"Berlin {word}")
        page.get_by_role("button", name="Save view").click()
        page.get_by_role("link", name=f"Berlin {word}").wait_for()
        screenshot(page, f"lead-list-views-{width}")
        page.goto(f"{live_server.url}/admin/leads?q={word.lower()}&city=Berlin&status=open")
        assert page.locator("#lead-results tbody tr").count() == 4
        screenshot(page, f"lead-list-filtered-{width}")
        page.goto(f"{live_server.url}/admin/leads?q=nothing-matches-{word}")
        assert page.get_by_text("No leads match").is_visible()
        screenshot(page, f"lead-list-empty-{width}")
        page.goto(f"{live_server.url}/admin/leads/trash")
        assert page.get_by_text(f"{word} deleted 1").is_visible()
        screenshot(page, f"lead-trash-{width}")
        context.close()


def test_long_list_shows_a_lower_bound_then_its_exact_counts(page, live_server, sign_in,
                                                            monkeypatch):
    from leadapp.leads import listing

    monkeypatch.setattr(listing, "COUNT_CAP", 3)  # six matches make this a "long" list
    word = "Zc" + uuid.uuid4().hex[:6]
    ids = make_leads(live_server, word)
    sign_in(page, "admin")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    with page.expect_response(re.compile(r"/admin/leads/counts\?source=")) as answer:
        page.goto(f"{live_server.url}/admin/leads?source={ids['fair']}")
    assert answer.value.status == 200
    total = page.locator("#lead-total")
    total.get_by_text("6", exact=True).wait_for()
    assert re.sub(r"\s+", " ", total.inner_text()) == "6 leads match"
    counts = page.get_by_role("list", name="Counts by status")
    assert counts.get_by_text("4 open").is_visible() and counts.get_by_text("2 closed").is_visible()
    assert page.locator("#lead-summary").get_attribute("aria-busy") is None
    assert page.locator("#lead-results tbody tr").count() == 6
    assert page.get_by_text("Showing 1–6 of 6").is_visible()
    assert not errors
