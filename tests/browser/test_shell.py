from __future__ import annotations

from tests.browser.conftest import screenshot


def test_sign_in_lands_on_dashboard(page, live_server, sign_in):
    sign_in(page, "admin")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Hello")
    assert page.get_by_text("Open leads", exact=True).is_visible()
    screenshot(page, "dashboard")
