"""Events become delivery rows in the change's own transaction, only for matching endpoints."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from leadapp.errors import RuleViolation
from leadapp.extensions import db
from leadapp.leads import bulk, services
from leadapp.leads.intake import place_new_lead
from leadapp.leads.models import Lead
from leadapp.pipeline.services import change_stage
from leadapp.sources import services as sources
from leadapp.webhooks.models import WebhookDelivery
from leadapp.webhooks.outbox import state
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    LeadSourceFactory,
    UserFactory,
)

from .conftest import deliveries


def _bodies(app):
    return [json.loads(row.body) for row in deliveries(app)]


def _save_data(**extra):
    company = CompanyFactory()
    data = {"title": "Deal", "source_id": LeadSourceFactory().id, "currency": "USD",
            "company_id": company.id, "contact_id": ContactFactory(company=company).id}
    data.update(extra)
    return data


def test_created_lead_writes_one_row_per_matching_endpoint_with_the_whole_lead(
        hooks_app, make_endpoint):
    first = make_endpoint("http://127.0.0.1:9/a", ["lead.*"])
    second = make_endpoint("http://127.0.0.1:9/b", ["lead.created"])
    make_endpoint("http://127.0.0.1:9/c", ["lead_source.created"])  # not a lead event
    make_endpoint("http://127.0.0.1:9/d", ["lead.*"], active=False)
    with hooks_app.app_context():
        lead = services.save_lead(None, _save_data(title="Big deal"), UserFactory())
        lead_id = lead.id
    rows = deliveries(hooks_app)
    assert sorted(row.endpoint_id for row in rows) == [first, second]
    body = json.loads(rows[0].body)
    assert body["event"] == "lead.created" and body["id"] == rows[0].uid
    assert body["data"]["lead"]["id"] == lead_id and body["data"]["lead"]["title"] == "Big deal"
    assert body["data"]["lead"]["contacts"], "the whole lead, contacts included"
    assert body["changes"] == {} and body["occurred_at"]
    assert rows[0].uid != rows[1].uid


def test_rolled_back_change_writes_nothing(hooks_app, make_endpoint):
    make_endpoint("http://127.0.0.1:9/a", ["lead.*"])
    with hooks_app.app_context():
        place_new_lead(Lead(title="Never", source=LeadSourceFactory()), None)
        db.session.flush()
        db.session.rollback()
        with pytest.raises(RuleViolation):  # fails after the lead was placed, before commit
            services.save_lead(None, _save_data(contact_id=None, contact_search="nobody"),
                               UserFactory())
        LeadSourceFactory()  # a later, unrelated commit must not carry the dropped events
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_update_sends_changed_fields_old_and_new(hooks_app, make_endpoint):
    make_endpoint("http://127.0.0.1:9/a", ["lead.updated"])
    with hooks_app.app_context():
        lead = LeadFactory(title="Old title", city="Berlin")
        services.update_field(lead, "title", "New title", lead.version, UserFactory())
    [body] = _bodies(hooks_app)
    assert body["event"] == "lead.updated"
    assert body["changes"] == {"title": {"old": "Old title", "new": "New title"}}
    assert body["data"]["lead"]["title"] == "New title"


def test_stage_change_and_bulk_trash_are_delivered(hooks_app, make_endpoint):
    make_endpoint("http://127.0.0.1:9/a", ["lead.stage_changed", "lead.deleted"])
    with hooks_app.app_context():
        actor = UserFactory(role="admin")
        lead, other = LeadFactory(), LeadFactory()
        first, second = lead.stage.id, lead.pipeline.stages[1]
        change_stage(lead, second, actor)
        second = second.id
        ids = [lead.id, other.id]
        bulk.trash(ids, actor)
    bodies = _bodies(hooks_app)
    assert [body["event"] for body in bodies] == ["lead.stage_changed", "lead.deleted",
                                                   "lead.deleted"]
    assert bodies[0]["changes"]["stage_id"] == {"old": first, "new": second}
    assert sorted(body["data"]["lead"]["id"] for body in bodies[1:]) == sorted(ids)


def test_bulk_move_carries_each_leads_old_stage(hooks_app, make_endpoint):
    make_endpoint("http://127.0.0.1:9/a", ["lead.*"])
    with hooks_app.app_context():
        actor = UserFactory(role="admin")
        one = LeadFactory()
        stages = one.pipeline.stages
        two = LeadFactory(stage=stages[1])
        expected = {one.id: stages[0].id, two.id: stages[1].id}
        bulk.move_to_stage([one.id, two.id], stages[2], actor)
        target = stages[2].id
    for body in _bodies(hooks_app):
        lead_id = body["data"]["lead"]["id"]
        assert body["changes"]["stage_id"] == {"old": expected[lead_id], "new": target}


def test_source_events(hooks_app, make_endpoint):
    make_endpoint("http://127.0.0.1:9/a", ["lead_source.created", "lead_source.updated",
                                           "lead_source.deleted"])
    with hooks_app.app_context():
        source = sources.create_source("Fairs")
        sources.update_source(source, description="Trade fairs")
        sources.delete_source(source)
    bodies = _bodies(hooks_app)
    assert [body["event"] for body in bodies] == ["lead_source.created", "lead_source.updated",
                                                  "lead_source.deleted"]
    assert bodies[1]["changes"] == {"description": {"old": "", "new": "Trade fairs"}}
    assert bodies[2]["data"]["lead_source"]["name"] == "Fairs"


def test_no_subscriber_means_no_rows_and_a_cached_answer(hooks_app, make_endpoint):
    make_endpoint("http://127.0.0.1:9/a", ["lead_source.deleted"])
    with hooks_app.app_context():
        hooks = state()
        assert not hooks.wanted("lead.created") and hooks.wanted("lead_source.deleted")
        LeadFactory()
        services_source = LeadSourceFactory()
        assert services_source.id
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        expires = hooks._expires
        hooks.wanted("lead.updated")
        assert hooks._expires == expires, "answered from the cache, no query"


def test_conversion_sends_converted_and_stage_changed_with_the_final_lead(hooks_app,
                                                                          make_endpoint):
    make_endpoint("http://127.0.0.1:9/a", ["lead.converted", "lead.stage_changed"])
    with hooks_app.app_context():
        from leadapp.leads import conversion

        actor = UserFactory(role="manager")
        lead = LeadFactory(owner=actor, company_name="Northwind", website="https://nw.example")
        conversion.convert_lead(lead, conversion.default_plan(lead), actor)
    bodies = {body["event"]: body for body in _bodies(hooks_app)}
    assert set(bodies) == {"lead.converted", "lead.stage_changed"}
    assert bodies["lead.converted"]["data"]["lead"]["conversion"] is not None


def test_merge_trashes_the_other_lead_and_updates_the_kept_one(hooks_app, make_endpoint):
    make_endpoint("http://127.0.0.1:9/a", ["lead.*"])
    with hooks_app.app_context():
        from leadapp.leads import merge

        actor = UserFactory(role="manager")
        kept, other = LeadFactory(phone=""), LeadFactory(phone="+12025550143")
        kept_id, other_id = kept.id, other.id
        merge.merge_leads(kept, other, {"phone"}, actor)
    bodies = _bodies(hooks_app)
    assert [(body["event"], body["data"]["lead"]["id"]) for body in bodies] == [
        ("lead.deleted", other_id), ("lead.updated", kept_id)]
    assert bodies[1]["changes"] == {"phone": {"old": "", "new": "+12025550143"}}


def test_bulk_restore_and_source_merge_announce_each_lead(hooks_app, make_endpoint):
    make_endpoint("http://127.0.0.1:9/a", ["lead.restored", "lead.updated",
                                           "lead_source.deleted"])
    with hooks_app.app_context():
        actor = UserFactory(role="admin")
        old, target = LeadSourceFactory(), LeadSourceFactory()
        lead = LeadFactory(source=old)
        ids = (lead.id, old.id, target.id)
        bulk.trash([lead.id], actor)
        bulk.restore([lead.id], actor)
        sources.merge_sources([old], target, actor)
    lead_id, old_id, target_id = ids
    bodies = _bodies(hooks_app)
    assert [body["event"] for body in bodies] == ["lead.restored", "lead.updated",
                                                  "lead_source.deleted"]
    assert bodies[1]["changes"] == {"source_id": {"old": old_id, "new": target_id}}
    assert bodies[1]["data"]["lead"]["id"] == lead_id
    assert bodies[2]["data"]["lead_source"]["id"] == old_id


def test_deleting_a_stage_announces_the_leads_it_moved(hooks_app, make_endpoint):
    make_endpoint("http://127.0.0.1:9/a", ["lead.stage_changed"])
    with hooks_app.app_context():
        from leadapp.pipeline import services as pipeline_services

        lead = LeadFactory()
        doomed = pipeline_services.add_stage(lead.pipeline, "Doomed")
        change_stage(lead, doomed, None)
        target = lead.pipeline.stages[0]
        ids = (lead.id, doomed.id, target.id)
        pipeline_services.delete_stage(doomed, None, move_to=target)
    lead_id, doomed_id, target_id = ids
    last = _bodies(hooks_app)[-1]
    assert last["data"]["lead"]["id"] == lead_id
    assert last["changes"] == {"stage_id": {"old": doomed_id, "new": target_id}}
    assert last["data"]["lead"]["stage"]["id"] == target_id


def test_api_patch_of_custom_fields_sends_one_update_with_every_change(hooks_app, make_endpoint,
                                                                       make_user):
    """The JSON API's PATCH stages custom fields before the built-in ones: their changes ride
    in the same lead.updated event (they were dropped, and a custom-only PATCH sent none)."""
    from leadapp.custom_fields.models import FieldKind
    from tests.custom_fields.helpers import make_field

    make_endpoint("http://127.0.0.1:9/a", ["lead.updated"])
    make_field(hooks_app, "Roof size", FieldKind.number)
    from leadapp.auth.models import User
    from leadapp.auth.services import issue_token

    user_id = make_user("admin")
    with hooks_app.app_context():
        lead_id = LeadFactory(city="Berlin").id
        token = issue_token(db.session.get(User, user_id), "webhook test")[1]
    client = hooks_app.test_client()
    headers = {"authtoken": token}
    custom_only = client.patch(f"/api/leads/{lead_id}", headers=headers,
                               json={"custom_fields": {"roof_size": 120}})
    assert custom_only.status_code == 200, custom_only.get_json()
    mixed = client.patch(f"/api/leads/{lead_id}", headers=headers,
                         json={"city": "Bonn", "custom_fields": {"roof_size": 150}})
    assert mixed.status_code == 200, mixed.get_json()
    first, second = _bodies(hooks_app)
    assert first["event"] == second["event"] == "lead.updated"
    assert first["changes"] == {"custom_fields.roof_size": {"old": None, "new": 120}}
    assert second["changes"] == {"custom_fields.roof_size": {"old": 120, "new": 150},
                                 "city": {"old": "Berlin", "new": "Bonn"}}
