"""An admin adds an endpoint by keyboard, reads its secret, sends a test event and rotates it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from leadapp.extensions import db
from leadapp.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
PUBLIC_URL = "https://93.184.216.34/leadapp-hook"  # a literal public address: no DNS, no send


def _endpoint(server) -> tuple[int, str]:
    def read() -> tuple[int, str]:
        endpoint = db.session.scalar(select(WebhookEndpoint).where(
            WebhookEndpoint.url == PUBLIC_URL).order_by(WebhookEndpoint.id.desc()))
        return endpoint.id, endpoint.secret

    return server.run(read)


def test_admin_adds_endpoint_by_keyboard_tests_and_rotates(page, live_server, sign_in) -> None:
    sign_in(page, "admin")
    page.goto(f"{live_server.url}/admin/settings/webhooks")

    # A private address is refused next to the field, with the typed values kept.
    page.get_by_label("Endpoint URL").fill("http://192.168.1.10/hook")
    page.get_by_label("Every lead event (lead.*)").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#url-error")).to_contain_text("private, loopback or reserved")
    expect(page.get_by_label("Every lead event (lead.*)")).to_be_checked()

    url = page.get_by_label("Endpoint URL")
    url.fill(PUBLIC_URL)
    url.focus()
    page.keyboard.press("Tab")  # description
    page.keyboard.type("Marketing automation")
    page.keyboard.press("Tab")  # the first event checkbox, already ticked
    expect(page.get_by_label("Every lead event (lead.*)")).to_be_focused()
    page.keyboard.press("Enter")  # submits the form
    expect(page.get_by_role("heading", name="Marketing automation")).to_be_visible()
    endpoint_id, secret = _endpoint(live_server)
    expect(page.get_by_role("textbox", name="Secret")).to_have_value(secret)

    page.get_by_role("button", name="Send test event").click()
    expect(page.locator("#deliveries")).to_contain_text("webhook.test")
    expect(page.locator("#deliveries")).to_contain_text("A test event is queued")
    assert live_server.run(lambda: db.session.scalar(select(WebhookDelivery.event).where(
        WebhookDelivery.endpoint_id == endpoint_id))) == "webhook.test"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.locator("#endpoint-secret [role=status]")).to_contain_text("A new secret is in use")
    _, rotated = _endpoint(live_server)
    assert rotated != secret
    expect(page.get_by_role("textbox", name="Secret")).to_have_value(rotated)
    screenshot(page, "webhooks-endpoint")
