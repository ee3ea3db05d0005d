"""Moving a lead into another pipeline from its page."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.models import Activity, ActivityKind, Lead, StageHistory
from leadapp.pipeline import services as pipeline_services
from tests.factories import LeadFactory, UserFactory


def _partners() -> tuple[int, int, int]:
    pipeline = pipeline_services.create_pipeline("Partners")
    pipeline_services.add_stage(pipeline, "Intro call")
    stages = {stage.name: stage.id for stage in pipeline.stages}
    won = next(stage.id for stage in pipeline.stages if stage.kind.value == "won")
    return pipeline.id, stages["Intro call"], won


def test_move_to_another_pipeline_records_history_and_timeline(app, hx, login):
    login("manager", client_=hx)
    with app.app_context():
        pipeline_id, intro, _ = _partners()
        lead = LeadFactory()
        lead_id, version, old_pipeline = lead.id, lead.version, lead.pipeline.name
    page = hx.get(f"/admin/leads/{lead_id}/stage").get_data(as_text=True)
    assert "Partners · Intro call" in page
    response = hx.post(f"/admin/leads/{lead_id}/pipeline",
                       data={"stage_id": intro, "version": version})
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "lead-changed"
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert (lead.pipeline_id, lead.stage_id) == (pipeline_id, intro)
        history = db.session.scalars(select(StageHistory).where(StageHistory.lead_id == lead_id)
                                     .order_by(StageHistory.id)).all()
        assert history[-1].stage_id == intro and history[-1].left_at is None
        assert all(row.left_at is not None for row in history[:-1])
        moved = db.session.scalar(select(Activity).where(
            Activity.lead_id == lead_id, Activity.kind == ActivityKind.stage_moved))
        assert moved.new_value == "Partners · Intro call"
        assert moved.old_value.startswith(f"{old_pipeline} · ")


def test_closed_stage_stale_version_and_converted_lead_are_refused(app, hx, login):
    login("manager", client_=hx)
    with app.app_context():
        _, intro, won = _partners()
        lead = LeadFactory()
        lead_id, version = lead.id, lead.version
    response = hx.post(f"/admin/leads/{lead_id}/pipeline", data={"stage_id": won,
                                                                 "version": version})
    assert response.status_code == 422 and "Choose an open stage" in response.get_data(as_text=True)
    response = hx.post(f"/admin/leads/{lead_id}/pipeline", data={"version": version})
    assert response.status_code == 422 and "Choose the stage" in response.get_data(as_text=True)
    response = hx.post(f"/admin/leads/{lead_id}/pipeline", data={"stage_id": intro,
                                                                 "version": version - 1})
    assert response.status_code == 409
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.pipeline.name != "Partners"
        lead.converted_at = lead.created_at
        db.session.commit()
    page = hx.get(f"/admin/leads/{lead_id}/stage").get_data(as_text=True)
    assert "move to another pipeline" not in page


def test_sales_user_cannot_move_a_lead_they_cannot_see(app, hx, login):
    with app.app_context():
        _, intro, _ = _partners()
        lead = LeadFactory(owner=UserFactory(role="sales"))  # someone else's, no shared team
        lead_id, version = lead.id, lead.version
    login("sales", client_=hx)
    response = hx.post(f"/admin/leads/{lead_id}/pipeline", data={"stage_id": intro,
                                                                 "version": version})
    assert response.status_code == 404
