"""Pipeline rules: stage moves and card order, pipelines, stages and loss reasons."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    Integer,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm.exc import StaleDataError

from ..auth.models import User
from ..errors import Conflict, RuleViolation
from ..events import lead_stage_changed, leads_changed_in_bulk
from ..extensions import db
from ..leads.activity import mark_first_response, record
from ..leads.models import Activity, ActivityKind, Lead
from .models import LossReason, Pipeline, Stage, StageHistory, StageKind

# Cards are spaced STEP apart after a renumber; a drop takes the midpoint of its neighbours, so a
# column needs renumbering only after ~40 drops into the very same gap.
STEP = 1024.0
MIN_GAP = 1e-6
# When a gap runs out, this many cards on each side of it are re-spaced; the whole column only
# when they would end up closer than MIN_SPREAD.
WINDOW = 32
MIN_SPREAD = 1e-3

STALE_MESSAGE = "This lead was changed by someone else meanwhile. The board shows its latest state."


def change_stage(lead: Lead, stage: Stage, actor: User | None, *, version: int | None = None,
                 position: int | None = None, loss_reason: LossReason | None = None,
                 closing_comment: str = "", above_id: int | None = None,
                 below_id: int | None = None) -> Lead:
    """Move a lead to `stage` at `position` (0-based, None = top) and commit; one drop, one row.

    A filtered or role-scoped board shows only some cards, so its drops name a neighbour instead:
    `above_id` puts the lead right above that card, `below_id` right below it (either one wins
    over `position` when that card is in the target column).
    """
    if version is not None and version != lead.version:
        raise Conflict(STALE_MESSAGE)
    old_stage = lead.stage
    moving = old_stage.id != stage.id
    if moving:
        _check_move(lead, stage, loss_reason)
    new_position = _position_for(stage.id, lead.id, position, above_id, below_id)
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


def move_to_pipeline(lead: Lead, stage: Stage, actor: User | None, *,
                     version: int | None = None) -> Lead:
    """Move a lead into another pipeline, at an open stage of it, on top of that column.
    The stage history and timeline record it like any move, naming both pipelines."""
    if version is not None and version != lead.version:
        raise Conflict(STALE_MESSAGE)
    if stage.pipeline_id == lead.pipeline_id:
        raise RuleViolation("The lead is already in this pipeline; move it along its stages.",
                            field="stage")
    if lead.converted_at is not None:
        raise RuleViolation("A converted lead stays in the pipeline it was won in.",
                            field="stage")
    if stage.kind != StageKind.open:
        raise RuleViolation("Choose an open stage; close the lead in its new pipeline "
                            "afterwards.", field="stage")
    try:
        old = lead.stage
        lead.pipeline_id = stage.pipeline_id
        lead.board_position = top_position(stage.id)
        _enter_stage(lead, old, stage, actor, None, "", across=True)
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(STALE_MESSAGE) from exc
    return lead


def _enter_stage(lead: Lead, old: Stage, new: Stage, actor: User | None,
                 loss_reason: LossReason | None, closing_comment: str, *,
                 across: bool = False) -> None:
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
    old_name, new_name = ((f"{old.pipeline.name} · {old.name}", f"{new.pipeline.name} · {new.name}")
                          if across else (old.name, new.name))
    record(lead, ActivityKind.stage_moved, actor, field="stage", old=old_name, new=new_name,
           data={"from_stage_id": old.id, "to_stage_id": new.id})
    lead_stage_changed.send(lead, actor=actor, old_stage=old, new_stage=new)


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


def _anchored(stage_id: int, lead_id: int, anchor_id: int, above: bool) -> float | None | bool:
    """Position next to an anchor card; False when the anchor is not in the column."""
    anchor = db.session.execute(
        select(Lead.board_position, Lead.id)
        .where(Lead.id == anchor_id, Lead.stage_id == stage_id, Lead.id != lead_id,
               Lead.deleted_at.is_(None))
    ).first()
    if anchor is None:
        return False
    key = (Lead.board_position, Lead.id)
    anchor_key = tuple_(*key) < tuple_(*anchor) if above else tuple_(*key) > tuple_(*anchor)
    order = [column.desc() for column in key] if above else list(key)
    other = db.session.scalar(
        select(Lead.board_position)
        .where(Lead.stage_id == stage_id, Lead.id != lead_id, Lead.deleted_at.is_(None),
               anchor_key)
        .order_by(*order).limit(1)
    )
    if other is None:
        return anchor.board_position - STEP if above else anchor.board_position + STEP
    if abs(anchor.board_position - other) < MIN_GAP:
        return None
    return (anchor.board_position + other) / 2


def _position_for(stage_id: int, lead_id: int, position: int | None,
                  above_id: int | None = None, below_id: int | None = None) -> float:
    for attempt in range(2):
        value: float | None | bool = False
        if above_id is not None:
            value = _anchored(stage_id, lead_id, above_id, above=True)
        if value is False and below_id is not None:
            value = _anchored(stage_id, lead_id, below_id, above=False)
        if value is False:
            value = _compute(stage_id, lead_id, position)
        if value is not None:
            return float(value)
        if attempt == 0:
            around = _crowded_spot(stage_id, lead_id, position, above_id, below_id)
            if around is None or not _spread_window(stage_id, lead_id, around):
                renumber_column(stage_id)
    raise RuntimeError("renumbering left no gap")  # unreachable: renumbering spaces cards apart


def _crowded_spot(stage_id: int, lead_id: int, position: int | None, above_id: int | None,
                  below_id: int | None) -> float | None:
    """The board_position where a drop found no room: its anchor card, else the card before
    the drop position."""
    for anchor_id in (above_id, below_id):
        if anchor_id is not None:
            spot = db.session.scalar(select(Lead.board_position).where(
                Lead.id == anchor_id, Lead.stage_id == stage_id))
            if spot is not None:
                return spot
    rows = _neighbours(stage_id, lead_id, max(position or 0, 0))
    return rows[0] if rows else None


def _spread_window(stage_id: int, lead_id: int, around: float) -> bool:
    """Re-space the WINDOW cards on each side of a crowded spot evenly between the cards just
    outside them: a few dozen rows instead of the whole column (a busy stage of a big team
    holds hundreds of thousands of leads). False when even that leaves no usable gap."""
    live = (Lead.stage_id == stage_id, Lead.id != lead_id, Lead.deleted_at.is_(None))
    key = (Lead.board_position, Lead.id)
    below = db.session.execute(select(Lead.id, Lead.board_position)
                               .where(*live, Lead.board_position <= around)
                               .order_by(*(column.desc() for column in key))
                               .limit(WINDOW + 1)).all()
    above = db.session.execute(select(Lead.id, Lead.board_position)
                               .where(*live, Lead.board_position > around)
                               .order_by(*key).limit(WINDOW + 1)).all()
    window = [*reversed(below[:WINDOW]), *above[:WINDOW]]
    if not window:
        return False
    low = below[WINDOW].board_position if len(below) > WINDOW else window[0].board_position - STEP
    high = above[WINDOW].board_position if len(above) > WINDOW else window[-1].board_position + STEP
    spacing = (high - low) / (len(window) + 1)
    if spacing < MIN_SPREAD:
        return False
    table = Lead.__table__  # order is not content: no version bump, no updated_at
    db.session.execute(update(table).where(table.c.id == bindparam("card"))
                       .values(board_position=bindparam("spot")),
                       [{"card": row.id, "spot": low + spacing * (index + 1)}
                        for index, row in enumerate(window)])
    return True


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


# --- Pipelines ------------------------------------------------------------------------------


def _name_taken(model: type, name: str, exclude_id: int | None = None,
                **scope: object) -> bool:
    stmt = select(model.id).where(func.lower(model.name) == name.lower())
    for column, value in scope.items():
        stmt = stmt.where(getattr(model, column) == value)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def create_pipeline(name: str, *, make_default: bool = False) -> Pipeline:
    """A new pipeline with one open stage and its won and lost stages, then commit."""
    name = name.strip()
    if _name_taken(Pipeline, name):
        raise RuleViolation("A pipeline with this name already exists.", field="name")
    pipeline = Pipeline(name=name, is_default=False, stages=[
        Stage(name="New", kind=StageKind.open, position=0, probability=10),
        Stage(name="Won", kind=StageKind.won, position=1, probability=100),
        Stage(name="Lost", kind=StageKind.lost, position=2, probability=0),
    ])
    db.session.add(pipeline)
    if make_default or not db.session.scalar(select(Pipeline.id).where(Pipeline.is_default)):
        _make_default(pipeline)
    db.session.commit()
    return pipeline


def rename_pipeline(pipeline: Pipeline, name: str) -> None:
    name = name.strip()
    if _name_taken(Pipeline, name, pipeline.id):
        raise RuleViolation("A pipeline with this name already exists.", field="name")
    pipeline.name = name
    db.session.commit()


def _make_default(pipeline: Pipeline) -> None:
    # The partial unique index allows one default: clear the old one before setting the new.
    db.session.execute(update(Pipeline).where(Pipeline.is_default.is_(True))
                       .values(is_default=False))
    db.session.flush()
    pipeline.is_default = True


def set_default_pipeline(pipeline: Pipeline) -> None:
    """New leads without a pipeline land in the default one."""
    _make_default(pipeline)
    db.session.commit()


def delete_pipeline(pipeline: Pipeline) -> None:
    """Only an empty pipeline that is not the default can go."""
    if pipeline.is_default:
        raise RuleViolation("The default pipeline cannot be deleted; make another one default "
                            "first.")
    count = db.session.scalar(select(func.count()).select_from(Lead)
                              .where(Lead.pipeline_id == pipeline.id))
    if count:
        raise RuleViolation(f"“{pipeline.name}” still holds {count} lead(s); move them first.")
    db.session.delete(pipeline)
    db.session.commit()


# --- Stages ---------------------------------------------------------------------------------


def check_closed_stages(pipeline: Pipeline) -> None:
    """Exactly one won and one lost stage per pipeline."""
    for kind in (StageKind.won, StageKind.lost):
        found = sum(1 for stage in pipeline.stages if stage.kind == kind)
        if found != 1:
            raise RuleViolation(f"A pipeline needs exactly one {kind.value} stage, not {found}.")


def _renumber_stages(pipeline: Pipeline, open_stages: list[Stage]) -> None:
    """Open stages in the given order, then won, then lost."""
    closed = [pipeline.stage_of_kind(StageKind.won), pipeline.stage_of_kind(StageKind.lost)]
    for index, stage in enumerate([*open_stages, *closed]):
        if stage is not None:
            stage.position = index


def _open_stages(pipeline: Pipeline) -> list[Stage]:
    return sorted((s for s in pipeline.stages if s.kind == StageKind.open),
                  key=lambda s: (s.position, s.id))


def _check_stage_fields(pipeline: Pipeline, name: str, probability: int,
                        exclude_id: int | None = None) -> None:
    if _name_taken(Stage, name, exclude_id, pipeline_id=pipeline.id):
        raise RuleViolation("This pipeline already has a stage with this name.", field="name")
    if not 0 <= probability <= 100:
        raise RuleViolation("Use a probability between 0 and 100.", field="probability")


def add_stage(pipeline: Pipeline, name: str, probability: int = 0,
              stale_after_days: int | None = None) -> Stage:
    """A new open stage after the other open stages (won and lost stay last)."""
    name = name.strip()
    _check_stage_fields(pipeline, name, probability)
    stage = Stage(name=name, kind=StageKind.open, probability=probability,
                  stale_after_days=stale_after_days)
    opened = _open_stages(pipeline)
    pipeline.stages.append(stage)
    _renumber_stages(pipeline, [*opened, stage])
    check_closed_stages(pipeline)
    db.session.commit()
    return stage


def update_stage(stage: Stage, name: str, probability: int,
                 stale_after_days: int | None) -> None:
    """Rename and retune a stage; its kind never changes, so won and lost stay won and lost."""
    name = name.strip()
    _check_stage_fields(stage.pipeline, name, probability, stage.id)
    stage.name = name
    stage.probability = probability
    stage.stale_after_days = stale_after_days if stage.kind == StageKind.open else None
    db.session.commit()


def reorder_stages(pipeline: Pipeline, stage_ids: list[int]) -> None:
    """Put the open stages in the given order; the list must name each open stage once."""
    opened = {stage.id: stage for stage in _open_stages(pipeline)}
    if sorted(stage_ids) != sorted(opened):
        raise Conflict("The stages changed meanwhile; the list was refreshed.")
    _renumber_stages(pipeline, [opened[stage_id] for stage_id in stage_ids])
    db.session.commit()


def shift_stage(stage: Stage, offset: int) -> None:
    """Move an open stage one place up (-1) or down (+1) among the open stages."""
    if stage.kind != StageKind.open:
        raise RuleViolation("Won and lost stages always come last.")
    opened = _open_stages(stage.pipeline)
    index = opened.index(stage)
    target = min(max(index + offset, 0), len(opened) - 1)
    opened.insert(target, opened.pop(index))
    _renumber_stages(stage.pipeline, opened)
    db.session.commit()


def leads_in_stage(stage: Stage) -> int:
    """Every lead row in the stage, the trash included (they keep the stage when restored)."""
    return db.session.scalar(select(func.count()).select_from(Lead)
                             .where(Lead.stage_id == stage.id)) or 0


def delete_stage(stage: Stage, actor: User | None, move_to: Stage | None = None) -> int:
    """Delete an open stage, first moving its leads to `move_to`; one transaction. Returns moved."""
    if stage.kind != StageKind.open:
        raise RuleViolation(f"The {stage.kind.value} stage of a pipeline can be renamed but never "
                            "deleted.")
    pipeline = stage.pipeline
    if len(_open_stages(pipeline)) == 1:
        raise RuleViolation("A pipeline needs at least one open stage.")
    moved = leads_in_stage(stage)
    if moved:
        if move_to is None:
            raise RuleViolation(f"Choose where its {moved} lead(s) go.", field="move_to")
        if move_to.pipeline_id != pipeline.id or move_to.id == stage.id or move_to.is_closed:
            raise RuleViolation("Choose another open stage of this pipeline.", field="move_to")
        _move_all_leads(stage, move_to, actor)
    pipeline.stages.remove(stage)
    _renumber_stages(pipeline, _open_stages(pipeline))
    db.session.commit()
    return moved


def _move_all_leads(stage: Stage, target: Stage, actor: User | None) -> None:
    """Bulk move with history and timeline rows, set-based so a big stage stays one quick step."""
    now = datetime.now(UTC)
    actor_id = actor.id if actor else None
    in_stage = select(Lead.id).where(Lead.stage_id == stage.id)
    db.session.execute(update(StageHistory).where(StageHistory.lead_id.in_(in_stage),
                                                  StageHistory.left_at.is_(None))
                       .values(left_at=now), execution_options={"synchronize_session": False})
    # History of the deleted stage is merged into the target: the FK needs a live stage.
    db.session.execute(update(StageHistory).where(StageHistory.stage_id == stage.id)
                       .values(stage_id=target.id),
                       execution_options={"synchronize_session": False})
    db.session.execute(insert(StageHistory).from_select(
        ["lead_id", "stage_id", "entered_at", "moved_by_id"],
        select(Lead.id, literal(target.id), literal(now, DateTime(timezone=True)),
               literal(actor_id, Integer)).where(Lead.stage_id == stage.id)))
    db.session.execute(insert(Activity).from_select(
        ["lead_id", "actor_id", "kind", "field", "old_value", "new_value", "created_at"],
        select(Lead.id, literal(actor_id, Integer), literal(ActivityKind.stage_moved.name),
               literal("stage"), literal(stage.name), literal(target.name),
               literal(now, DateTime(timezone=True))).where(Lead.stage_id == stage.id)))
    if actor is not None:
        mark_first_response([Lead.stage_id == stage.id], now)
    top = top_position(target.id)
    moved = list(db.session.scalars(in_stage))
    bottom = db.session.scalar(select(func.max(Lead.board_position))
                               .where(Lead.stage_id == stage.id)) or 0.0
    # Moved cards go above the target's cards, keeping their order; versions bump (they moved).
    db.session.execute(
        update(Lead).where(Lead.stage_id == stage.id)
        .values(stage_id=target.id, stage_entered_at=now, last_touched_at=now,
                version=Lead.version + 1, board_position=Lead.board_position - bottom + top - STEP),
        execution_options={"synchronize_session": False})
    if moved:
        leads_changed_in_bulk.send(None, lead_ids=moved, event="lead.stage_changed", actor=actor,
                                   changes={"stage_id": (stage.id, target.id)}, via="stage")
    db.session.expire_all()


# --- Loss reasons ---------------------------------------------------------------------------


def create_loss_reason(name: str) -> LossReason:
    name = name.strip()
    if _name_taken(LossReason, name):
        raise RuleViolation("This loss reason already exists.", field="name")
    last = db.session.scalar(select(func.max(LossReason.position)))
    reason = LossReason(name=name, active=True, position=(last or 0) + 1)
    db.session.add(reason)
    db.session.commit()
    return reason


def rename_loss_reason(reason: LossReason, name: str) -> None:
    name = name.strip()
    if _name_taken(LossReason, name, reason.id):
        raise RuleViolation("This loss reason already exists.", field="name")
    reason.name = name
    db.session.commit()


def set_loss_reason_active(reason: LossReason, active: bool) -> None:
    """Inactive reasons stay on the leads that use them but are no longer offered."""
    reason.active = active
    db.session.commit()


def loss_reason_usage() -> dict[int, int]:
    rows = db.session.execute(select(Lead.loss_reason_id, func.count())
                              .where(Lead.loss_reason_id.is_not(None))
                              .group_by(Lead.loss_reason_id))
    return dict(rows.tuples().all())


def delete_loss_reason(reason: LossReason) -> None:
    """Only a reason no lead ever used can be deleted; a used one is deactivated instead."""
    used = db.session.scalar(select(func.count()).select_from(Lead)
                             .where(Lead.loss_reason_id == reason.id))
    if used:
        raise RuleViolation(f"“{reason.name}” is used by {used} lead(s); deactivate it instead.")
    db.session.delete(reason)
    db.session.commit()


def stage_lead_counts(pipeline: Pipeline) -> dict[int, int]:
    """Live leads per stage, for the pipelines page."""
    rows = db.session.execute(select(Lead.stage_id, func.count())
                              .where(Lead.pipeline_id == pipeline.id, Lead.deleted_at.is_(None))
                              .group_by(Lead.stage_id))
    return dict(rows.tuples().all())
