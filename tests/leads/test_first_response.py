"""leads.first_response_at: stamped once, by the first comment, move or edit of a person."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadapp.db_types import utcnow
from leadapp.extensions import db
from leadapp.leads import bulk, services
from leadapp.leads.activity import record
from leadapp.models import ActivityKind, Lead, User
from leadapp.pipeline import services as pipeline_services
from tests.factories import LeadFactory, UserFactory
from tests.leads.test_listing import stage_named


@pytest.fixture
def admin(app_ctx: Any) -> User:
    return UserFactory(role="admin", name="Boss")


def _first_response(lead_id: int) -> Any:
    db.session.expire_all()
    return db.session.get(Lead, lead_id).first_response_at


def test_first_comment_stamps_the_lead_without_making_open_copies_stale(admin):
    lead = LeadFactory()
    version, updated_at = lead.version, lead.updated_at
    services.add_comment(lead, "Called, left a message", admin)
    stamped = _first_response(lead.id)
    assert stamped is not None
    reloaded = db.session.get(Lead, lead.id)
    assert (reloaded.version, reloaded.updated_at) == (version, updated_at)
    services.add_comment(reloaded, "Called again", admin)
    assert _first_response(lead.id) == stamped  # only the first one counts


def test_system_activity_and_other_kinds_are_not_responses(admin):
    lead = LeadFactory()
    record(lead, ActivityKind.commented, None)          # a capture form or the system
    record(lead, ActivityKind.attached, admin)          # not a response kind
    db.session.commit()
    assert _first_response(lead.id) is None


def test_backdated_record_stamps_its_own_time(admin):
    lead = LeadFactory()
    when = lead.created_at + timedelta(hours=3)
    record(lead, ActivityKind.field_changed, admin, field="city", at=when)
    db.session.commit()
    assert _first_response(lead.id).replace(tzinfo=None) == when.replace(tzinfo=None)


def test_bulk_move_stamps_every_moved_lead(admin):
    leads = [LeadFactory(), LeadFactory()]
    already = utcnow() - timedelta(days=2)
    leads[1].first_response_at = already
    db.session.commit()
    bulk.move_to_stage([lead.id for lead in leads], stage_named("In process"), admin)
    assert _first_response(leads[0].id) is not None
    assert _first_response(leads[1].id).replace(tzinfo=None) == already.replace(tzinfo=None)


def test_deleting_a_stage_moves_its_leads_as_a_response_of_the_actor(admin):
    stage = stage_named("In process")
    pipeline_services.add_stage(stage.pipeline, "Demo booked")
    doomed = next(item for item in stage.pipeline.stages if item.name == "Demo booked")
    lead = LeadFactory(stage=doomed)
    pipeline_services.delete_stage(doomed, admin, move_to=stage)
    assert _first_response(lead.id) is not None
