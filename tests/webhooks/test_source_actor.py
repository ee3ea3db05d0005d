"""lead_source.* events name the person (or API token's user) who made the change."""

from __future__ import annotations

import json

from sqlalchemy import select

from leadapp.auth.services import issue_token
from leadapp.extensions import db
from leadapp.models import LeadSource, User
from tests.webhooks.conftest import deliveries

SOURCE_EVENTS = ["lead_source.created", "lead_source.updated", "lead_source.deleted"]


def _events(app):
    return [(body["event"], body["actor_id"])
            for body in (json.loads(row.body) for row in deliveries(app))]


def _source_id(app, name):
    with app.app_context():
        return db.session.scalar(select(LeadSource.id).where(LeadSource.name == name))


def test_source_pages_send_events_with_the_signed_in_user(hooks_app, make_endpoint, login,
                                                          client):
    make_endpoint("http://127.0.0.1:9/a", SOURCE_EVENTS)
    user_id = login("admin")
    assert client.post("/admin/leads/sources", data={"name": "Fairs", "active": "y"}
                       ).status_code in (200, 201, 303)
    source_id = _source_id(hooks_app, "Fairs")
    client.post(f"/admin/leads/sources/{source_id}/active", data={"active": "0"})
    client.post("/admin/leads/sources/bulk", data={"action": "activate",
                                                   "source_ids": [str(source_id)]})
    assert client.delete(f"/admin/leads/sources/{source_id}").status_code < 400
    assert _events(hooks_app) == [("lead_source.created", user_id),
                                  ("lead_source.updated", user_id),
                                  ("lead_source.updated", user_id),
                                  ("lead_source.deleted", user_id)]


def test_lead_sources_api_sends_events_with_the_tokens_user(hooks_app, make_endpoint,
                                                            make_user, client):
    make_endpoint("http://127.0.0.1:9/a", SOURCE_EVENTS)
    user_id = make_user("admin")
    with hooks_app.app_context():
        token = issue_token(db.session.get(User, user_id), "test script")[1]
    headers = {"authtoken": token}
    assert client.post("/api/lead_sources", json={"name": "Fairs"},
                       headers=headers).status_code == 201
    source_id = _source_id(hooks_app, "Fairs")
    assert client.put(f"/api/lead_sources/{source_id}", json={"name": "Trade fairs"},
                      headers=headers).status_code == 200
    assert client.delete(f"/api/delete/lead_sources/{source_id}",
                         headers=headers).status_code == 200
    assert _events(hooks_app) == [(event, user_id) for event in SOURCE_EVENTS]
