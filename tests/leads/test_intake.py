from __future__ import annotations

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.leads.intake import place_new_lead
from leadapp.models import Activity, ActivityKind, Lead, StageHistory
from tests.factories import LeadSourceFactory, UserFactory


def test_place_new_lead_without_stage_starts_in_first_stage_of_default_pipeline(app_ctx):
    lead = place_new_lead(Lead(title="Acme", source=LeadSourceFactory()), UserFactory())
    db.session.commit()
    assert lead.pipeline.is_default and lead.stage.name == "New"
    history = db.session.scalars(select(StageHistory).where(StageHistory.lead_id == lead.id)).all()
    assert [(row.stage_id, row.left_at) for row in history] == [(lead.stage_id, None)]
    activity = db.session.scalar(select(Activity).where(Activity.lead_id == lead.id))
    assert activity.kind == ActivityKind.created and activity.actor == lead.created_by


def test_place_new_lead_puts_newest_at_top_of_column(app_ctx):
    source = LeadSourceFactory()
    for title in ("first", "second", "third"):
        place_new_lead(Lead(title=title, source=source), None)
        db.session.commit()
    ordered = db.session.scalars(select(Lead.title).order_by(Lead.board_position)).all()
    assert ordered == ["third", "second", "first"]


def test_place_new_lead_keeps_a_chosen_stage_and_records_kind(app_ctx):
    lead = Lead(title="Imported", source=LeadSourceFactory())
    from leadapp.leads.intake import default_pipeline

    lead.stage = default_pipeline().stages[2]
    place_new_lead(lead, None, ActivityKind.imported, data={"job": 7})
    db.session.commit()
    assert lead.stage.name == "In process"
    activity = db.session.scalar(select(Activity).where(Activity.lead_id == lead.id))
    assert activity.kind == ActivityKind.imported and activity.data == {"job": 7}
