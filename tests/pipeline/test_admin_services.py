"""Pipelines, stages and loss reasons: the rules kept by the services."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from leadapp.errors import Conflict, RuleViolation
from leadapp.extensions import db
from leadapp.models import Activity, Lead, LossReason, Pipeline, Stage, StageHistory, StageKind
from leadapp.pipeline import services
from leadapp.pipeline.services import change_stage
from tests.factories import LeadFactory, UserFactory, default_pipeline, loss_reason


def stage(name: str, pipeline: Pipeline | None = None) -> Stage:
    pipeline = pipeline or default_pipeline()
    return next(s for s in pipeline.stages if s.name == name)


def names(pipeline: Pipeline) -> list[str]:
    db.session.expire(pipeline)
    return [s.name for s in pipeline.stages]


def test_create_pipeline_adds_open_won_and_lost_stages(app_ctx: Flask) -> None:
    pipeline = services.create_pipeline("  Partners ")
    assert pipeline.name == "Partners"
    assert [(s.name, s.kind) for s in pipeline.stages] == [
        ("New", StageKind.open), ("Won", StageKind.won), ("Lost", StageKind.lost)]
    assert not pipeline.is_default  # the seeded "Sales" pipeline stays the default
    services.check_closed_stages(pipeline)


def test_create_pipeline_with_taken_name_is_refused(app_ctx: Flask) -> None:
    with pytest.raises(RuleViolation) as error:
        services.create_pipeline("sales")
    assert error.value.field == "name"


def test_set_default_pipeline_moves_the_flag(app_ctx: Flask) -> None:
    old = default_pipeline()
    new = services.create_pipeline("Partners", make_default=True)
    assert new.is_default and not db.session.get(Pipeline, old.id).is_default
    services.set_default_pipeline(old)
    defaults = db.session.scalars(select(Pipeline.name).where(Pipeline.is_default)).all()
    assert defaults == ["Sales"]


def test_delete_pipeline_refuses_default_and_non_empty(app_ctx: Flask) -> None:
    with pytest.raises(RuleViolation, match="default"):
        services.delete_pipeline(default_pipeline())
    other = services.create_pipeline("Partners")
    LeadFactory(pipeline=other, stage=other.stages[0])
    with pytest.raises(RuleViolation, match="1 lead"):
        services.delete_pipeline(other)


def test_delete_empty_pipeline_removes_its_stages(app_ctx: Flask) -> None:
    other = services.create_pipeline("Partners")
    services.delete_pipeline(other)
    assert db.session.scalar(select(func.count()).select_from(Stage)
                             .where(Stage.pipeline_id == other.id)) == 0


def test_add_stage_goes_after_open_stages_before_won_and_lost(app_ctx: Flask) -> None:
    pipeline = default_pipeline()
    services.add_stage(pipeline, "Negotiation", 70, 14)
    assert names(pipeline) == ["New", "Assigned", "In process", "Recycled", "Negotiation",
                               "Converted", "Closed"]
    added = stage("Negotiation")
    assert (added.kind, added.probability, added.stale_after_days) == (StageKind.open, 70, 14)


def test_add_stage_with_duplicate_name_is_refused(app_ctx: Flask) -> None:
    with pytest.raises(RuleViolation) as error:
        services.add_stage(default_pipeline(), "assigned")
    assert error.value.field == "name"


def test_update_won_stage_renames_but_keeps_kind(app_ctx: Flask) -> None:
    won = stage("Converted")
    services.update_stage(won, "Won deal", 100, 30)
    won = db.session.get(Stage, won.id)
    assert (won.name, won.kind, won.stale_after_days) == ("Won deal", StageKind.won, None)


def test_update_stage_rejects_probability_out_of_range(app_ctx: Flask) -> None:
    with pytest.raises(RuleViolation) as error:
        services.update_stage(stage("New"), "New", 120, None)
    assert error.value.field == "probability"


@pytest.mark.parametrize("name", ["Converted", "Closed"])
def test_delete_won_or_lost_stage_is_refused(app_ctx: Flask, name: str) -> None:
    with pytest.raises(RuleViolation, match="never deleted"):
        services.delete_stage(stage(name), None)
    services.check_closed_stages(default_pipeline())


def test_check_closed_stages_refuses_two_won_or_missing_lost(app_ctx: Flask) -> None:
    pipeline = default_pipeline()
    lost = stage("Closed")
    lost.kind = StageKind.won  # what a careless edit would do; never flushed
    with pytest.raises(RuleViolation, match="exactly one won stage, not 2"):
        services.check_closed_stages(pipeline)
    lost.kind = StageKind.lost
    pipeline.stages.remove(lost)
    with pytest.raises(RuleViolation, match="exactly one lost stage, not 0"):
        services.check_closed_stages(pipeline)
    db.session.rollback()


def test_database_refuses_second_won_stage(app_ctx: Flask) -> None:
    """The partial unique index backs the rule up if code ever skipped the service."""
    pipeline = default_pipeline()
    db.session.add(Stage(pipeline=pipeline, name="Won again", kind=StageKind.won, position=9))
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.commit()
    db.session.rollback()


def test_delete_empty_open_stage(app_ctx: Flask) -> None:
    assert services.delete_stage(stage("Recycled"), None) == 0
    assert names(default_pipeline()) == ["New", "Assigned", "In process", "Converted", "Closed"]
    assert [s.position for s in default_pipeline().stages] == [0, 1, 2, 3, 4]


def test_delete_stage_with_leads_requires_a_target(app_ctx: Flask) -> None:
    LeadFactory(stage=stage("Recycled"))
    with pytest.raises(RuleViolation) as error:
        services.delete_stage(stage("Recycled"), None)
    assert error.value.field == "move_to"
    with pytest.raises(RuleViolation, match="another open stage"):
        services.delete_stage(stage("Recycled"), None, stage("Closed"))


def test_delete_stage_moves_its_leads_in_one_transaction(app_ctx: Flask) -> None:
    user = UserFactory(role="manager")
    target_lead = LeadFactory(stage=stage("New"))
    change_stage(target_lead, target_lead.stage, None, position=0)
    moving = []
    for _ in range(3):
        lead = LeadFactory()
        change_stage(lead, stage("Recycled"), user, position=len(moving))
        moving.append(lead.id)
    versions = {i: db.session.get(Lead, i).version for i in moving}
    recycled_id, new_id = stage("Recycled").id, stage("New").id
    assert services.delete_stage(stage("Recycled"), user, stage("New")) == 3
    assert db.session.get(Stage, recycled_id) is None
    column = db.session.scalars(select(Lead.id).where(Lead.stage_id == new_id)
                                .order_by(Lead.board_position, Lead.id)).all()
    assert column == [*moving, target_lead.id]  # moved cards on top, in their order
    for lead_id in moving:
        lead = db.session.get(Lead, lead_id)
        assert lead.version == versions[lead_id] + 1  # open boards get a 409, not a lost move
        rows = db.session.scalars(select(StageHistory).where(StageHistory.lead_id == lead_id)
                                  .order_by(StageHistory.id)).all()
        assert [row.stage_id for row in rows] == [new_id, new_id]  # history merged
        assert rows[0].left_at is not None and rows[-1].left_at is None
        last = db.session.scalars(select(Activity).where(Activity.lead_id == lead_id)
                                  .order_by(Activity.id.desc())).first()
        assert (last.old_value, last.new_value, last.actor_id) == ("Recycled", "New", user.id)


def test_delete_last_open_stage_is_refused(app_ctx: Flask) -> None:
    pipeline = services.create_pipeline("Tiny")
    with pytest.raises(RuleViolation, match="at least one open stage"):
        services.delete_stage(pipeline.stages[0], None)


def test_reorder_stages_keeps_won_and_lost_last(app_ctx: Flask) -> None:
    pipeline = default_pipeline()
    ids = {s.name: s.id for s in pipeline.stages}
    services.reorder_stages(pipeline, [ids["Recycled"], ids["New"], ids["In process"],
                                       ids["Assigned"]])
    assert names(pipeline) == ["Recycled", "New", "In process", "Assigned", "Converted",
                               "Closed"]


def test_reorder_stages_with_wrong_set_is_conflict(app_ctx: Flask) -> None:
    pipeline = default_pipeline()
    with pytest.raises(Conflict):
        services.reorder_stages(pipeline, [stage("New").id, stage("Converted").id])


def test_shift_stage_up_and_down_stays_among_open_stages(app_ctx: Flask) -> None:
    services.shift_stage(stage("Assigned"), -1)
    assert names(default_pipeline())[:2] == ["Assigned", "New"]
    services.shift_stage(stage("Recycled"), 1)  # already the last open stage
    assert names(default_pipeline())[3:] == ["Recycled", "Converted", "Closed"]
    with pytest.raises(RuleViolation):
        services.shift_stage(stage("Converted"), -1)


def test_loss_reason_create_rename_and_duplicates(app_ctx: Flask) -> None:
    reason = services.create_loss_reason("Price too high")
    assert reason.active
    services.rename_loss_reason(reason, "Too expensive")
    with pytest.raises(RuleViolation) as error:
        services.create_loss_reason("too EXPENSIVE")
    assert error.value.field == "name"


def test_used_loss_reason_is_never_deleted(app_ctx: Flask) -> None:
    reason = loss_reason("No budget")
    change_stage(LeadFactory(), stage("Closed"), None, loss_reason=reason)
    with pytest.raises(RuleViolation, match="deactivate it instead"):
        services.delete_loss_reason(reason)
    services.set_loss_reason_active(reason, False)
    assert db.session.get(LossReason, reason.id).active is False
    assert services.loss_reason_usage() == {reason.id: 1}


def test_unused_loss_reason_can_be_deleted(app_ctx: Flask) -> None:
    reason = services.create_loss_reason("Typo reason")
    services.delete_loss_reason(reason)
    assert db.session.get(LossReason, reason.id) is None
