"""Feature scripts keep working after boosted navigation and never act on other pages."""

from __future__ import annotations

from tests.browser.conftest import wait_until
from tests.factories import LeadFactory, LeadSourceFactory


def test_sources_bulk_confirm_after_boosted_visit_from_lead_list(page, live_server, sign_in):
    name = live_server.run(lambda: LeadSourceFactory(name="Nav check source").name)
    live_server.run(lambda: LeadFactory(title="Nav check lead").id)
    sign_in(page, "admin")
    page.goto(f"{live_server.url}/admin/leads")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sources").click()
    page.wait_for_url("**/admin/leads/sources**")
    wait_until(page, "window.sourcesScriptLoaded === true")  # came with the swapped body
    page.get_by_label(f"Tick {name}").check()
    assert page.locator(".js-src-bulk-count").inner_text() == "1 source ticked"

    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Deactivate", exact=True).click()
    page.wait_for_timeout(300)
    assert questions == ["Deactivate 1 source?"]

    # Back to the lead list by the nav: its own bulk bar counts leads, not sources.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.wait_for_url("**/admin/leads")
    page.get_by_label("Check Nav check lead").check()
    assert page.locator(".js-checked-count").inner_text().strip() in {"(1)", "1"}


def test_report_script_runs_after_boosted_visit(page, live_server, sign_in):
    sign_in(page, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.wait_for_url("**/admin/reports/sources**")
    wait_until(page, "window.reportsScriptLoaded === true")  # came with the swapped body
    page.locator(".js-report-date").first.fill("2026-01-05")
    page.locator(".js-report-date").first.dispatch_event("change")
    assert page.locator(".js-report-range").input_value() == "custom"


def test_form_submitted_before_htmx_wires_it_still_goes_through_htmx(page, live_server, sign_in):
    """Enter can beat htmx's processing of a swapped-in form; app.js hands the submit to htmx."""
    lead_id = live_server.run(lambda: LeadFactory(title="Race lead", city="Porto").id)
    sign_in(page, "admin")
    page.goto(f"{live_server.url}/admin/leads/{lead_id}")
    page.evaluate("""(id) => {
        const form = document.createElement('form');
        form.setAttribute('hx-put', '/admin/leads/' + id + '/fields/city');
        form.setAttribute('hx-target', '#lead-' + id + '-city');
        form.setAttribute('hx-swap', 'outerHTML');
        form.innerHTML = '<input name="value" value="Faro"><input name="version" value="1">';
        document.getElementById('main').appendChild(form);
        form.requestSubmit();
    }""", lead_id)
    page.locator(f"#lead-{lead_id}-city").get_by_text("Faro").wait_for()
    assert page.url.endswith(f"/admin/leads/{lead_id}")


def test_click_on_a_button_htmx_has_not_wired_yet_still_sends_its_request(page, live_server,
                                                                          sign_in):
    """Escape → Cancel can beat htmx's settle delay; app.js wires the button and clicks again."""
    lead_id = live_server.run(lambda: LeadFactory(title="Race lead", city="Porto").id)
    sign_in(page, "admin")
    page.goto(f"{live_server.url}/admin/leads/{lead_id}")
    page.locator(f"#lead-{lead_id}-city button").click()
    page.locator(f"#lead-{lead_id}-city-input").wait_for()
    page.evaluate("""(id) => {
        const field = document.getElementById('lead-' + id + '-city');
        const button = document.createElement('button');
        button.type = 'button';
        button.id = 'raw-cancel';
        button.setAttribute('hx-get', '/admin/leads/' + id + '/fields/city');
        button.setAttribute('hx-target', '#lead-' + id + '-city');
        button.setAttribute('hx-swap', 'outerHTML');
        button.textContent = 'Raw cancel';
        field.appendChild(button);
        button.click();
    }""", lead_id)
    page.locator(f"#lead-{lead_id}-city button").get_by_text("Porto").wait_for()
    assert page.locator("#raw-cancel").count() == 0
