"""Pipeline rules: stage moves and card order, pipelines, stages and loss reasons."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.orm.exc import StaleDataError

from ..auth.models import User
from ..errors import Conflict, RuleViolation
from ..extensions import db
from ..leads.activity import record
from ..leads.models import ActivityKind, Lead
from .models import LossReason, Stage, StageHistory, StageKind

# Cards are spaced STEP apart after a renumber; a drop takes the midpoint of its neighbours, so a
# column needs renumbering only after ~40 drops into the very same gap.
STEP = 1024.0
MIN_GAP = 1e-6

STALE_MESSAGE = "This lead was changed by someone else meanwhile. The board shows its latest state."


def change_stage(lead: Lead, stage: Stage, actor: User | None, *, version: int | None = None,
                 position: int | None = None, loss_reason: LossReason | None = None,
                 closing_comment: str = "") -> Lead:
    """Move a lead to `stage` at `position` (0-based, None = top) and commit; one drop, one row."""
    if version is not None and version != lead.version:
        raise Conflict(STALE_MESSAGE)
    old_stage = lead.stage
    moving = old_stage.id != stage.id
    if moving:
        _check_move(lead, stage, loss_reason)
    new_position = _position_for(stage.id, lead.id, position)
    try:
        lead.board_position = new_position
        if moving:
            _enter_stage(lead, old_stage, stage, actor, loss_reason, closing_comment)
        db.session.commit()
    except StaleDataError as exc:  # someone else's UPDATE won between our read and our write
        db.session.rollback()
        raise Conflict(STALE_MESSAGE) from exc
    return lead


def _check_move(lead: Lead, stage: Stage, loss_reason: LossReason | None) -> None:
    if stage.pipeline_id != lead.pipeline_id:
        raise RuleViolation(f"“{stage.name}” belongs to another pipeline.", field="stage")
    if lead.converted_at is not None and stage.kind != StageKind.won:
        raise RuleViolation("A converted lead stays in the won stage.", field="stage")
    if stage.kind == StageKind.lost:
        if loss_reason is None:
            raise RuleViolation("Choose a loss reason.", field="loss_reason")
        if not loss_reason.active:
            raise RuleViolation("That loss reason is no longer in use.", field="loss_reason")


def _enter_stage(lead: Lead, old: Stage, new: Stage, actor: User | None,
                 loss_reason: LossReason | None, closing_comment: str) -> None:
    now = datetime.now(UTC)
    if new.kind == StageKind.open:
        lead.closing_date = None
        lead.loss_reason = None
        lead.closing_comment = ""
    else:
        lead.closing_date = now.date()
        lead.loss_reason = loss_reason if new.kind == StageKind.lost else None
        lead.closing_comment = closing_comment.strip()
    lead.stage = new
    lead.stage_id = new.id
    lead.stage_entered_at = now
    lead.last_touched_at = now
    db.session.execute(
        update(StageHistory)
        .where(StageHistory.lead_id == lead.id, StageHistory.left_at.is_(None))
        .values(left_at=now)
    )
    db.session.add(StageHistory(lead_id=lead.id, stage_id=new.id, entered_at=now,
                                moved_by_id=actor.id if actor else None))
    record(lead, ActivityKind.stage_moved, actor, field="stage", old=old.name, new=new.name,
           data={"from_stage_id": old.id, "to_stage_id": new.id})


# --- Card order inside a column -------------------------------------------------------------


def _neighbours(stage_id: int, lead_id: int, position: int) -> list[float]:
    """board_position of the cards just before and at `position`, the moving lead left out."""
    stmt = (select(Lead.board_position)
            .where(Lead.stage_id == stage_id, Lead.id != lead_id, Lead.deleted_at.is_(None))
            .order_by(Lead.board_position, Lead.id))
    if position <= 0:
        return list(db.session.scalars(stmt.limit(1)))
    return list(db.session.scalars(stmt.offset(position - 1).limit(2)))


def _compute(stage_id: int, lead_id: int, position: int | None) -> float | None:
    index = max(position or 0, 0)
    rows = _neighbours(stage_id, lead_id, index)
    if index == 0:
        return rows[0] - STEP if rows else 0.0
    if not rows:  # past the end: append after the last card
        last = db.session.scalar(
            select(func.max(Lead.board_position))
            .where(Lead.stage_id == stage_id, Lead.id != lead_id, Lead.deleted_at.is_(None))
        )
        return 0.0 if last is None else last + STEP
    if len(rows) == 1:
        return rows[0] + STEP
    before, after = rows
    if after - before < MIN_GAP:
        return None
    return (before + after) / 2


def _position_for(stage_id: int, lead_id: int, position: int | None) -> float:
    value = _compute(stage_id, lead_id, position)
    if value is None:
        renumber_column(stage_id)
        value = _compute(stage_id, lead_id, position)
    assert value is not None
    return value


def renumber_column(stage_id: int) -> None:
    """Space a column's cards STEP apart in their current order, in one statement.

    Order is not content, so this leaves the leads' versions alone (a plain table UPDATE).
    """
    db.session.execute(
        text(
            "UPDATE leads SET board_position = ranked.rn * :step FROM ("
            " SELECT id, ROW_NUMBER() OVER (ORDER BY board_position, id) AS rn"
            " FROM leads WHERE stage_id = :stage_id) AS ranked"
            " WHERE leads.id = ranked.id"
        ),
        {"step": STEP, "stage_id": stage_id},
    )


def top_position(stage_id: int) -> float:
    """The board_position that puts a new lead at the top of its column."""
    first = db.session.scalar(select(func.min(Lead.board_position))
                              .where(Lead.stage_id == stage_id))
    return 0.0 if first is None else first - STEP
