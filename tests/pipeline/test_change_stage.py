"""change_stage: won/lost rules, history, activity, card order and concurrent moves."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadapp.errors import Conflict, RuleViolation
from leadapp.extensions import db
from leadapp.models import Activity, ActivityKind, Lead, Pipeline, Stage, StageHistory, StageKind
from leadapp.pipeline import services
from leadapp.pipeline.services import change_stage
from tests.factories import LeadFactory, UserFactory, default_pipeline, loss_reason


def stage(name: str) -> Stage:
    return db.session.scalar(select(Stage).join(Pipeline).where(
        Pipeline.is_default.is_(True), Stage.name == name))


def column(name: str) -> list[int]:
    return list(db.session.scalars(select(Lead.id).where(Lead.stage == stage(name))
                                   .order_by(Lead.board_position, Lead.id)))


def fill(name: str, count: int) -> list[int]:
    """`count` leads in stage `name`, placed top to bottom in creation order."""
    ids = []
    for _ in range(count):
        lead = LeadFactory(stage=stage(name))
        change_stage(lead, lead.stage, None, position=len(ids))
        ids.append(lead.id)
    assert column(name) == ids
    return ids


def test_change_stage_to_open_stage_writes_history_and_activity(app_ctx: Flask) -> None:
    user = UserFactory(role="sales")
    lead = LeadFactory()
    change_stage(lead, stage("Assigned"), user)
    lead = db.session.get(Lead, lead.id)
    assert lead.stage.name == "Assigned"
    assert lead.stage_entered_at is not None and lead.last_touched_at is not None
    rows = db.session.scalars(select(StageHistory).where(StageHistory.lead_id == lead.id)).all()
    assert [(row.stage.name, row.left_at is None) for row in rows] == [("Assigned", True)]
    activity = db.session.scalar(select(Activity).where(Activity.lead_id == lead.id))
    assert (activity.kind, activity.field, activity.old_value, activity.new_value,
            activity.actor_id) == (ActivityKind.stage_moved, "stage", "New", "Assigned", user.id)


def test_change_stage_twice_closes_previous_history_row(app_ctx: Flask) -> None:
    lead = LeadFactory()
    change_stage(lead, stage("Assigned"), None)
    change_stage(lead, stage("In process"), None)
    rows = db.session.scalars(select(StageHistory).where(StageHistory.lead_id == lead.id)
                              .order_by(StageHistory.id)).all()
    assert [row.stage.name for row in rows] == ["Assigned", "In process"]
    assert rows[0].left_at is not None and rows[1].left_at is None


def test_change_stage_within_column_writes_no_history(app_ctx: Flask) -> None:
    first, second = fill("New", 2)
    change_stage(db.session.get(Lead, second), stage("New"), None, position=0)
    assert column("New") == [second, first]
    assert db.session.scalar(select(Activity.id)) is None
    assert db.session.scalar(select(StageHistory.id)) is None


def test_change_stage_to_lost_without_reason_is_refused(app_ctx: Flask) -> None:
    lead = LeadFactory()
    with pytest.raises(RuleViolation) as error:
        change_stage(lead, stage("Closed"), None)
    assert error.value.field == "loss_reason"
    assert db.session.get(Lead, lead.id).stage.name == "New"


def test_change_stage_to_lost_sets_reason_comment_and_closing_date(app_ctx: Flask) -> None:
    lead = LeadFactory()
    change_stage(lead, stage("Closed"), None, loss_reason=loss_reason("No budget"),
                 closing_comment="  Budget frozen until Q3 ")
    lead = db.session.get(Lead, lead.id)
    assert lead.active == 2
    assert lead.closing_date == datetime.now(UTC).date()
    assert (lead.loss_reason.name, lead.closing_comment) == ("No budget", "Budget frozen until Q3")


def test_change_stage_out_of_lost_clears_closing_fields(app_ctx: Flask) -> None:
    lead = LeadFactory()
    change_stage(lead, stage("Closed"), None, loss_reason=loss_reason(), closing_comment="x")
    change_stage(lead, stage("In process"), None)
    lead = db.session.get(Lead, lead.id)
    assert (lead.closing_date, lead.loss_reason_id, lead.closing_comment) == (None, None, "")


def test_change_stage_lost_to_won_drops_loss_reason(app_ctx: Flask) -> None:
    lead = LeadFactory()
    change_stage(lead, stage("Closed"), None, loss_reason=loss_reason())
    change_stage(lead, stage("Converted"), None)
    lead = db.session.get(Lead, lead.id)
    assert (lead.active, lead.loss_reason_id) == (3, None)
    assert lead.closing_date == datetime.now(UTC).date()


def test_change_stage_reorder_inside_lost_needs_no_reason(app_ctx: Flask) -> None:
    lead = LeadFactory()
    change_stage(lead, stage("Closed"), None, loss_reason=loss_reason())
    change_stage(lead, stage("Closed"), None, position=0)
    assert db.session.get(Lead, lead.id).loss_reason.name == "No budget"


def test_change_stage_with_inactive_reason_is_refused(app_ctx: Flask) -> None:
    reason = loss_reason()
    reason.active = False
    db.session.commit()
    with pytest.raises(RuleViolation, match="no longer in use"):
        change_stage(LeadFactory(), stage("Closed"), None, loss_reason=reason)


def test_change_stage_to_other_pipeline_is_refused(app_ctx: Flask) -> None:
    other = Pipeline(name="Partners", stages=[
        Stage(name="Open", kind=StageKind.open, position=0),
        Stage(name="Won", kind=StageKind.won, position=1),
        Stage(name="Lost", kind=StageKind.lost, position=2)])
    db.session.add(other)
    db.session.commit()
    with pytest.raises(RuleViolation, match="another pipeline"):
        change_stage(LeadFactory(), other.stages[0], None)


def test_change_stage_converted_lead_out_of_won_is_refused(app_ctx: Flask) -> None:
    lead = LeadFactory(stage=stage("Converted"), converted_at=datetime.now(UTC))
    with pytest.raises(RuleViolation, match="converted"):
        change_stage(lead, stage("New"), None)


def test_change_stage_with_old_version_raises_conflict(app_ctx: Flask) -> None:
    lead = LeadFactory()
    lead.title = "Edited elsewhere"
    db.session.commit()
    with pytest.raises(Conflict, match="changed"):
        change_stage(lead, stage("Assigned"), None, version=lead.version - 1)
    assert db.session.get(Lead, lead.id).stage.name == "New"


def test_change_stage_when_other_session_wrote_first_raises_conflict(app_ctx: Flask) -> None:
    lead = LeadFactory()
    lead_id, seen_version = lead.id, lead.version
    with Session(db.engine) as other:  # a second user moves the same card first
        other_lead = other.get(Lead, lead_id)
        other_lead.stage_id = other.scalar(select(Stage.id).where(Stage.name == "Recycled"))
        other.commit()
    with pytest.raises(Conflict):
        change_stage(lead, stage("Assigned"), None, version=seen_version)
    db.session.expire_all()
    lead = db.session.get(Lead, lead_id)
    assert lead.stage.name == "Recycled"
    assert lead.version == seen_version + 1


def test_change_stage_stale_in_memory_row_raises_conflict(app_ctx: Flask) -> None:
    """No version from the browser: the ORM's own version check still refuses the lost update."""
    lead = LeadFactory()
    with Session(db.engine) as other:
        other.get(Lead, lead.id).title = "Renamed by someone else"
        other.commit()
    with pytest.raises(Conflict):
        change_stage(lead, stage("Assigned"), None)
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).stage.name == "New"


def test_change_stage_position_top_bottom_and_between(app_ctx: Flask) -> None:
    a, b, c = fill("Assigned", 3)
    mover = LeadFactory()
    change_stage(mover, stage("Assigned"), None, position=0)
    assert column("Assigned") == [mover.id, a, b, c]
    change_stage(mover, stage("Assigned"), None, position=2)
    assert column("Assigned") == [a, b, mover.id, c]
    change_stage(mover, stage("Assigned"), None, position=99)
    assert column("Assigned") == [a, b, c, mover.id]
    change_stage(mover, stage("Assigned"), None, position=None)
    assert column("Assigned") == [mover.id, a, b, c]


def test_change_stage_between_writes_only_the_moved_row(app_ctx: Flask) -> None:
    a, b = fill("Assigned", 2)
    before = dict(db.session.execute(select(Lead.id, Lead.board_position)).all())
    mover = LeadFactory(stage=stage("Recycled"))
    change_stage(mover, stage("Assigned"), None, position=1)
    after = dict(db.session.execute(select(Lead.id, Lead.board_position)).all())
    assert after[a] == before[a] and after[b] == before[b]
    assert before[a] < after[mover.id] < before[b]


def test_change_stage_into_tiny_gap_respaces_the_cards(app_ctx: Flask) -> None:
    a, b = fill("Assigned", 2)
    db.session.get(Lead, b).board_position = db.session.get(Lead, a).board_position + 1e-9
    db.session.commit()
    versions = {a: db.session.get(Lead, a).version, b: db.session.get(Lead, b).version}
    mover = LeadFactory()
    change_stage(mover, stage("Assigned"), None, position=1)
    assert column("Assigned") == [a, mover.id, b]
    positions = [db.session.get(Lead, i).board_position for i in column("Assigned")]
    # The two cards are spread a STEP beyond their ends, the mover halves one of the gaps.
    assert min(y - x for x, y in zip(positions, positions[1:], strict=False)) >= services.STEP / 4
    # Renumbering is not an edit: the neighbours' versions stay, so nobody else gets a 409.
    assert {i: db.session.get(Lead, i).version for i in (a, b)} == versions


def test_tiny_gap_in_a_long_column_respaces_only_the_cards_around_it(app_ctx: Flask) -> None:
    ids = fill("Assigned", 3 * services.WINDOW + 20)
    middle = len(ids) // 2
    crowded = db.session.get(Lead, ids[middle - 1]).board_position
    db.session.get(Lead, ids[middle]).board_position = crowded + 1e-9
    db.session.commit()
    before = dict(db.session.execute(select(Lead.id, Lead.board_position)).all())
    mover = LeadFactory()
    change_stage(mover, stage("Assigned"), None, position=middle)
    after = dict(db.session.execute(select(Lead.id, Lead.board_position)).all())
    moved = {lead_id for lead_id in ids if after[lead_id] != before[lead_id]}
    assert 0 < len(moved) <= 2 * services.WINDOW
    assert ids[0] not in moved and ids[-1] not in moved
    assert column("Assigned") == [*ids[:middle], mover.id, *ids[middle:]]


def test_change_stage_many_random_moves_keep_consistent_order(app_ctx: Flask) -> None:
    rng = random.Random(5)
    names = ["New", "Assigned", "In process"]
    model = {name: fill(name, 4) for name in names}
    for _ in range(150):
        source = rng.choice([n for n in names if model[n]])
        lead_id = rng.choice(model[source])
        target = rng.choice(names)
        model[source].remove(lead_id)
        index = rng.randint(0, len(model[target]))
        model[target].insert(index, lead_id)
        change_stage(db.session.get(Lead, lead_id), stage(target), None, position=index)
    for name in names:
        assert column(name) == model[name]


def test_change_stage_repeated_drops_in_same_gap_stay_ordered(app_ctx: Flask) -> None:
    ids = fill("Assigned", 2)
    for _ in range(80):  # always between the first card and the one after it: halves the gap
        lead = LeadFactory()
        change_stage(lead, stage("Assigned"), None, position=1)
        ids.insert(1, lead.id)
    assert column("Assigned") == ids


def test_top_position_is_above_every_card(app_ctx: Flask) -> None:
    a, b = fill("Assigned", 2)
    lead = LeadFactory(stage=stage("Assigned"), board_position=services.top_position(
        stage("Assigned").id))
    assert column("Assigned") == [lead.id, a, b]
    assert default_pipeline() is not None


def test_change_stage_above_anchor_skips_cards_hidden_by_filters(app_ctx: Flask) -> None:
    a, hidden, b = fill("Assigned", 3)  # a filtered board shows only a and b
    mover = LeadFactory()
    change_stage(mover, stage("Assigned"), None, position=1, above_id=b, below_id=a)
    assert column("Assigned") == [a, hidden, mover.id, b]


def test_change_stage_below_anchor_when_dropped_last(app_ctx: Flask) -> None:
    a, b, hidden = fill("Assigned", 3)
    mover = LeadFactory()
    change_stage(mover, stage("Assigned"), None, position=2, below_id=b)
    assert column("Assigned") == [a, b, mover.id, hidden]


def test_change_stage_anchor_in_other_column_falls_back_to_position(app_ctx: Flask) -> None:
    a, b = fill("Assigned", 2)
    elsewhere = LeadFactory()
    mover = LeadFactory()
    change_stage(mover, stage("Assigned"), None, position=1, above_id=elsewhere.id)
    assert column("Assigned") == [a, mover.id, b]


def test_two_users_dropping_into_same_slot_keep_both_cards(app_ctx: Flask) -> None:
    """Both saw [a, b] and dropped their own card between them: no move is lost or doubled."""
    a, b = fill("Assigned", 2)
    first, second = LeadFactory(), LeadFactory()
    change_stage(first, stage("Assigned"), None, version=first.version, above_id=b, below_id=a)
    change_stage(second, stage("Assigned"), None, version=second.version, above_id=b,
                 below_id=a)
    assert column("Assigned") == [a, first.id, second.id, b]
