"""The admin pages: endpoints, secret rotation, test events, the delivery log and resend."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

from .conftest import deliveries

BASE = "/admin/settings/webhooks"


def _endpoint(app, endpoint_id):
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        db.session.expunge(endpoint)
        return endpoint


def test_only_admins_open_the_page(hooks_app, client, login):
    login("manager")
    assert client.get(BASE).status_code == 403


def test_settings_hub_links_to_webhooks(hooks_app, client, login):
    login("admin")
    assert f'href="{BASE}"' in client.get("/admin/settings").get_data(as_text=True)


def test_create_endpoint_generates_a_secret_and_shows_it(hooks_app, client, login):
    login("admin")
    response = client.post(BASE, data={"url": "http://127.0.0.1:8000/in", "description": "CRM",
                                       "events": ["lead.*", "lead.created",
                                                  "lead_source.deleted"], "active": "y"})
    assert response.status_code == 303
    with hooks_app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint))
        # the wildcard already covers lead.created
        assert endpoint.events == ["lead.*", "lead_source.deleted"]
        assert endpoint.secret.startswith("whsec_") and endpoint.active
        secret, endpoint_id = endpoint.secret, endpoint.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert secret in page and "Endpoint added" in page
    listing = client.get(BASE).get_data(as_text=True)
    assert f'id="endpoint-{endpoint_id}"' in listing and "http://127.0.0.1:8000/in" in listing


def test_private_url_is_refused_with_the_users_values_kept(hooks_app, client, hx, login):
    hooks_app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    login("admin", client_=hx)
    response = hx.post(BASE, data={"url": "http://10.0.0.7/in", "description": "Intranet",
                                   "events": ["lead.updated"]})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "private, loopback or reserved" in body and 'value="http://10.0.0.7/in"' in body
    assert 'value="Intranet"' in body
    assert 'checked id="events-2" name="events" type="checkbox" value="lead.updated"' in body
    with hooks_app.app_context():
        assert db.session.scalar(select(WebhookEndpoint)) is None


def test_missing_events_and_bad_scheme_are_explained(hooks_app, client, login):
    login("admin")
    response = client.post(BASE, data={"url": "ftp://example.com/x"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose at least one event" in body
    response = client.post(BASE, data={"url": "ftp://example.com/x", "events": ["lead.*"]})
    assert response.status_code == 422
    assert "Use an http:// or https:// URL." in response.get_data(as_text=True)


def test_update_rotate_test_event_and_resend(hooks_app, hx, login, make_endpoint):
    endpoint_id = make_endpoint("http://127.0.0.1:9/in", ["lead.*"])
    old_secret = _endpoint(hooks_app, endpoint_id).secret
    login("admin", client_=hx)
    url = f"{BASE}/{endpoint_id}"
    response = hx.post(url, data={"url": "http://127.0.0.1:9/v2", "events": ["lead.converted"]})
    assert response.status_code == 200 and "The endpoint is saved." in response.get_data(
        as_text=True)
    endpoint = _endpoint(hooks_app, endpoint_id)
    assert (endpoint.url, endpoint.events, endpoint.active) == (
        "http://127.0.0.1:9/v2", ["lead.converted"], False)
    response = hx.post(f"{url}/secret")
    new_secret = _endpoint(hooks_app, endpoint_id).secret
    assert new_secret != old_secret and new_secret in response.get_data(as_text=True)
    response = hx.post(f"{url}/test")
    body = response.get_data(as_text=True)
    [row] = deliveries(hooks_app)
    assert row.event == "webhook.test" and f'id="delivery-{row.id}"' in body
    assert "A test event is queued" in body
    with hooks_app.app_context():
        db.session.get(WebhookDelivery, row.id).status = DeliveryStatus.failed
        db.session.commit()
    response = hx.post(f"{BASE}/deliveries/{row.id}/resend")
    assert response.status_code == 200 and "Queued again" in response.get_data(as_text=True)
    [row] = deliveries(hooks_app)
    assert (row.status, row.attempts) == (DeliveryStatus.pending, 0)
    log = hx.get(f"{url}/deliveries?status=pending").get_data(as_text=True)
    assert f'id="delivery-{row.id}"' in log
    assert f'id="delivery-{row.id}"' not in hx.get(f"{url}/deliveries?status=failed").get_data(
        as_text=True)


def test_delete_endpoint_drops_its_log(hooks_app, hx, login, make_endpoint):
    endpoint_id = make_endpoint("http://127.0.0.1:9/in")
    login("admin", client_=hx)
    hx.post(f"{BASE}/{endpoint_id}/test")
    response = hx.post(f"{BASE}/{endpoint_id}/delete")
    assert response.status_code == 200 and response.headers["HX-Redirect"] == BASE
    assert deliveries(hooks_app) == []
    with hooks_app.app_context():
        assert db.session.get(WebhookEndpoint, endpoint_id) is None
