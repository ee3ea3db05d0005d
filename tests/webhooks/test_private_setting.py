"""The admin setting for endpoints on private addresses (SSRF): off by default, admin only,
CSRF-protected, checked on save and before every attempt; WEBHOOKS_ALLOW_PRIVATE=1 forces it on."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.settings import services as app_settings
from leadapp.settings.models import AppSetting
from leadapp.webhooks import worker
from leadapp.webhooks.models import DeliveryStatus, WebhookEndpoint
from leadapp.webhooks.services import send_test

from .conftest import deliveries

BASE = "/admin/settings/webhooks"
SETTING = f"{BASE}/private-addresses"
PRIVATE_URL = {"url": "http://10.0.0.7/in", "events": ["lead.updated"], "active": "y"}


def _stored(app):
    with app.app_context():
        row = db.session.get(AppSetting, app_settings.WEBHOOKS_ALLOW_PRIVATE)
        return None if row is None else row.value


def test_page_shows_the_setting_off_with_a_warning_and_private_urls_are_refused(
        hooks_app, client, login):
    hooks_app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    login("admin")
    page = client.get(BASE).get_data(as_text=True)
    assert 'id="private-addresses-warning"' in page and "cloud metadata" in page
    assert 'id="allow_private" name="allow_private" type="checkbox"' in page
    assert 'checked id="allow_private"' not in page
    assert client.post(BASE, data=PRIVATE_URL).status_code == 422


def test_admin_allows_private_addresses_then_such_an_endpoint_is_saved(hooks_app, hx, login):
    hooks_app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    login("admin", client_=hx)
    response = hx.post(SETTING, data={"allow_private": "y"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="private-addresses"' in body
    assert "Endpoints on private addresses are allowed." in body
    assert 'checked id="allow_private"' in body
    assert _stored(hooks_app) == "1"
    assert hx.post(BASE, data=PRIVATE_URL).status_code == 200  # HX-Redirect to the endpoint
    with hooks_app.app_context():
        assert db.session.scalar(select(WebhookEndpoint.url)) == "http://10.0.0.7/in"


def test_turning_it_off_without_javascript_redirects_and_is_stored(hooks_app, client, login):
    login("admin")
    with hooks_app.app_context():
        app_settings.set_private_webhooks(True)
    response = client.post(SETTING, data={})
    assert response.status_code == 303 and response.headers["Location"].endswith(BASE)
    assert _stored(hooks_app) == "0"
    assert "Endpoints on private addresses are refused." in client.get(BASE).get_data(
        as_text=True)


def test_only_admins_change_the_setting(hooks_app, client, login):
    login("manager")
    assert client.post(SETTING, data={"allow_private": "y"}).status_code == 403
    assert _stored(hooks_app) is None


def test_setting_post_without_a_csrf_token_is_refused(hooks_app, client, login):
    login("admin")
    hooks_app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(SETTING, data={"allow_private": "y"}).status_code == 400
    assert _stored(hooks_app) is None


def test_every_attempt_checks_the_setting_again(hooks_app, receiver, make_endpoint):
    hooks_app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    with hooks_app.app_context():
        app_settings.set_private_webhooks(True)
    endpoint_id = make_endpoint(receiver.url, receiver=receiver)
    with hooks_app.app_context():
        app_settings.set_private_webhooks(False)  # an admin changed their mind
        send_test(db.session.get(WebhookEndpoint, endpoint_id))
        assert worker.run_once() == 1
    [row] = deliveries(hooks_app)
    assert receiver.requests == []
    assert row.status == DeliveryStatus.pending and "private, loopback" in row.last_error


def test_environment_variable_forces_it_on_and_the_page_says_so(hooks_app, client, login):
    hooks_app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    login("admin")
    with hooks_app.app_context():
        app_settings.set_private_webhooks(False)
        assert app_settings.private_webhooks_allowed()
    assert 'id="private-addresses-forced"' in client.get(BASE).get_data(as_text=True)
    assert client.post(BASE, data=PRIVATE_URL).status_code == 303
