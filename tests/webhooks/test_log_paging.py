"""The delivery log pages by id: newest first, an "Older" link below, back to the newest."""

from __future__ import annotations

import re

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.webhooks import services
from leadapp.webhooks.models import WebhookDelivery, WebhookEndpoint

BASE = "/admin/settings/webhooks"


def _queue(app, make_endpoint, count: int) -> tuple[int, list[int]]:
    endpoint_id = make_endpoint("http://127.0.0.1:9/x")
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        for _ in range(count):
            services.send_test(endpoint)
        ids = list(db.session.scalars(select(WebhookDelivery.id)
                                      .order_by(WebhookDelivery.id.desc())))
    return endpoint_id, ids


def _shown(body: str) -> list[int]:
    return [int(number) for number in re.findall(r'<tr id="delivery-(\d+)"', body)]


def test_older_link_walks_the_whole_log_and_newest_goes_back(hooks_app, client, hx, login,
                                                             make_endpoint):
    endpoint_id, ids = _queue(hooks_app, make_endpoint, services.LOG_PAGE + 3)
    login("admin")
    first = client.get(f"{BASE}/{endpoint_id}").get_data(as_text=True)
    assert _shown(first) == ids[:services.LOG_PAGE]
    older = re.search(r'href="([^"]+)" id="deliveries-older"', first).group(1).replace("&amp;", "&")
    assert older == f"{BASE}/{endpoint_id}?before={ids[services.LOG_PAGE - 1]}"
    second = client.get(older).get_data(as_text=True)
    assert _shown(second) == ids[services.LOG_PAGE:]
    assert 'id="deliveries-older"' not in second and "← Newest" in second
    login("admin", client_=hx)
    fragment = hx.get(f"{BASE}/{endpoint_id}/deliveries?before={ids[services.LOG_PAGE - 1]}")
    assert fragment.get_data(as_text=True).startswith('<section id="deliveries"')
    assert _shown(fragment.get_data(as_text=True)) == ids[services.LOG_PAGE:]


def test_older_pages_keep_the_status_filter_and_a_bad_before_shows_the_newest(
        hooks_app, client, login, make_endpoint):
    endpoint_id, ids = _queue(hooks_app, make_endpoint, 3)
    login("admin")
    with hooks_app.app_context():
        page = services.deliveries(db.session.get(WebhookEndpoint, endpoint_id), "pending",
                                   limit=2)
        assert [row.id for row in page.rows] == ids[:2] and page.older == ids[1]
        last = services.deliveries(db.session.get(WebhookEndpoint, endpoint_id), "pending",
                                   before=page.older, limit=2)
        assert [row.id for row in last.rows] == ids[2:] and last.older is None
    for bad in ("x", "0", "-4", "99999999999999999999"):
        body = client.get(f"{BASE}/{endpoint_id}?before={bad}").get_data(as_text=True)
        assert _shown(body) == ids
