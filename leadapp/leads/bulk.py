"""Set-based operations on many leads: a few statements each, whatever the number of leads.

`lead_ids` is a list of ids (checked rows) or a subquery of ids ("all N matching", from
listing.matching_ids). Every operation keeps to the leads the actor may see, writes one activity
row per changed lead with INSERT ... SELECT, and bumps Lead.version in its UPDATE: bulk UPDATEs
bypass the ORM's version counter, and an open lead page must notice the change (409).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    update,
)

from ..auth.models import User
from ..companies.models import Opportunity
from ..db_types import utcnow
from ..errors import RuleViolation
from ..events import leads_changed_in_bulk
from ..extensions import db
from ..pipeline import services as pipeline_services
from ..pipeline.models import LossReason, Stage, StageHistory, StageKind
from .activity import RESPONSE_KINDS, mark_first_response
from .models import Activity, ActivityKind, Attachment, Lead, Tag, lead_tags
from .scope import visible_leads_clause

LeadIds = Sequence[int] | Any


@dataclass(frozen=True)
class BulkResult:
    done: int
    skipped: int
    message: str


def _plural(number: int, word: str = "lead") -> str:
    return f"{number:,} {word}{'' if number == 1 else 's'}"


def _targets(lead_ids: LeadIds, actor: User, *, trashed: bool = False) -> list[ColumnElement]:
    in_trash = Lead.deleted_at.is_not(None) if trashed else Lead.deleted_at.is_(None)
    return [Lead.id.in_(lead_ids), in_trash, visible_leads_clause(actor)]


def count_targets(lead_ids: LeadIds, actor: User, *, trashed: bool = False) -> int:
    """How many of these leads the actor may act on."""
    statement = select(func.count()).select_from(Lead).where(
        *_targets(lead_ids, actor, trashed=trashed))
    return db.session.scalar(statement) or 0


def _log(conditions: list[ColumnElement], actor: User, kind: ActivityKind, field: str = "",
         old: Any = "", new: Any = "") -> int:
    """One activity row per lead matching `conditions`, in one INSERT ... SELECT."""
    rows = select(
        Lead.id, literal(actor.id, Integer) if actor else null(), literal(kind.name, String),
        literal(field, String), _text(old), _text(new),
        literal(utcnow(), Activity.__table__.c.created_at.type),
    ).where(*conditions)
    columns = ["lead_id", "actor_id", "kind", "field", "old_value", "new_value", "created_at"]
    logged = db.session.execute(insert(Activity).from_select(columns, rows)).rowcount
    if actor is not None and kind in RESPONSE_KINDS:
        mark_first_response(conditions)
    return logged


def _text(value: Any) -> Any:
    return literal(value, String) if isinstance(value, str) else func.coalesce(value, "")


def _touch(conditions: list[ColumnElement], **values: Any) -> int:
    """UPDATE the matching leads, bumping version (the ORM does not on bulk UPDATEs)."""
    statement = (update(Lead).where(*conditions)
                 .values(version=Lead.version + 1, updated_at=utcnow(), **values)
                 .execution_options(synchronize_session=False))
    return db.session.execute(statement).rowcount


def _snapshot(conditions: list[ColumnElement], column: Any = None) -> dict[int, Any]:
    """{lead id: value of `column`} for the leads about to change: the bulk event sent after
    the UPDATE names them (and each one's old value)."""
    value = column if column is not None else null()
    return dict(db.session.execute(select(Lead.id, value).where(*conditions)).all())


def _announce(event: str, before: dict[int, Any], actor: User, field: str = "",
              new: Any = None, changes: dict[str, Any] | None = None) -> None:
    if not before:
        return
    per_lead = ({lead_id: {field: (old, new)} for lead_id, old in before.items()}
                if field else None)
    leads_changed_in_bulk.send(None, lead_ids=list(before), event=event, actor=actor,
                               changes=changes or {}, changes_by_lead=per_lead, via="bulk")


def _finish(done: int, total: int, message: str, skip_reason: str = "") -> BulkResult:
    db.session.commit()
    skipped = total - done
    if skipped and skip_reason:
        message = f"{message} {_plural(skipped)} skipped: {skip_reason}."
    return BulkResult(done=done, skipped=skipped, message=message)


# --- Trash --------------------------------------------------------------------------------


def trash(lead_ids: LeadIds, actor: User) -> BulkResult:
    """Move leads to the trash (restorable)."""
    conditions = _targets(lead_ids, actor)
    before = _snapshot(conditions)
    _log(conditions, actor, ActivityKind.deleted)
    done = _touch(conditions, deleted_at=utcnow())
    _announce("lead.deleted", before, actor)
    return _finish(done, done, f"Moved {_plural(done)} to the trash.")


def restore(lead_ids: LeadIds, actor: User) -> BulkResult:
    """Bring leads back from the trash."""
    conditions = _targets(lead_ids, actor, trashed=True)
    before = _snapshot(conditions)
    _log(conditions, actor, ActivityKind.restored)
    done = _touch(conditions, deleted_at=None)
    _announce("lead.restored", before, actor)
    return _finish(done, done, f"Restored {_plural(done)}.")


def purge(lead_ids: LeadIds, actor: User) -> BulkResult:
    """Delete trashed leads for good, with their comments, files and timeline."""
    conditions = _targets(lead_ids, actor, trashed=True)
    doomed = select(Lead.id).where(*conditions)
    stored = list(db.session.scalars(
        select(Attachment.stored_name).where(Attachment.lead_id.in_(doomed))))
    # An opportunity outlives the lead it came from; everything else cascades in the database.
    db.session.execute(update(Opportunity).where(Opportunity.lead_id.in_(doomed))
                       .values(lead_id=None).execution_options(synchronize_session=False))
    done = db.session.execute(delete(Lead).where(*conditions)
                              .execution_options(synchronize_session=False)).rowcount
    result = _finish(done, done, f"Deleted {_plural(done)} permanently.")
    _remove_files(stored)
    return result


def _remove_files(stored_names: list[str]) -> None:
    folder = Path(current_app.config["UPLOAD_DIR"])
    for name in stored_names:
        (folder / name).unlink(missing_ok=True)


# --- Owner, stage, tags -------------------------------------------------------------------


def _user_name(user_id: Any) -> Any:
    return (select(func.coalesce(func.nullif(User.name, ""), User.email))
            .where(User.id == user_id).scalar_subquery())


def assign_owner(lead_ids: LeadIds, owner: User | None, actor: User) -> BulkResult:
    """Give the leads a new owner (None: unassigned); leads that already have them are left."""
    if owner is not None and not owner.active:
        raise RuleViolation("That user is deactivated; choose an active user.", field="owner")
    targets = _targets(lead_ids, actor)
    total = count_targets(lead_ids, actor)
    owner_id = owner.id if owner else None
    conditions = [*targets, Lead.owner_id.is_not(owner_id) if owner_id is None
                  else Lead.owner_id.is_distinct_from(owner_id)]
    new_name = owner.display_name if owner else ""
    before = _snapshot(conditions, Lead.owner_id)
    _log(conditions, actor, ActivityKind.assigned, "owner", _user_name(Lead.owner_id), new_name)
    done = _touch(conditions, owner_id=owner_id, last_touched_at=utcnow())
    _announce("lead.updated", before, actor, "owner_id", owner_id)
    if owner is not None and done:  # one summary for the new owner, not one per lead
        leads_changed_in_bulk.send(None, lead_ids=list(before), event="lead.assigned",
                                   actor=actor, changes={}, via="bulk",
                                   owner_counts={owner.id: done})
    what = f"to {new_name}" if owner else "as unassigned"
    return _finish(done, total, f"Assigned {_plural(done)} {what}.",
                   "they already had that owner")


def move_to_stage(lead_ids: LeadIds, stage: Stage, actor: User, *,
                  loss_reason: LossReason | None = None, closing_comment: str = "") -> BulkResult:
    """Move leads to a stage with the board's rules: same pipeline only, converted leads stay won,
    a lost stage needs a loss reason; won/lost set the closing date, open clears it."""
    if isinstance(lead_ids, Sequence) and len(lead_ids) == 1:
        return _move_one(lead_ids[0], stage, actor, loss_reason, closing_comment)
    _check_loss_reason(stage, loss_reason)
    total = count_targets(lead_ids, actor)
    conditions = [*_targets(lead_ids, actor), Lead.pipeline_id == stage.pipeline_id,
                  Lead.stage_id != stage.id]
    if stage.kind != StageKind.won:
        conditions.append(Lead.converted_at.is_(None))
    now = utcnow()
    before = _snapshot(conditions, Lead.stage_id)
    moving = select(Lead.id).where(*conditions)
    db.session.execute(update(StageHistory)
                       .where(StageHistory.lead_id.in_(moving), StageHistory.left_at.is_(None))
                       .values(left_at=now).execution_options(synchronize_session=False))
    db.session.execute(insert(StageHistory).from_select(
        ["lead_id", "stage_id", "entered_at", "moved_by_id"],
        select(Lead.id, literal(stage.id, Integer), literal(now, StageHistory.entered_at.type),
               literal(actor.id, Integer)).where(*conditions)))
    old_name = select(Stage.name).where(Stage.id == Lead.stage_id).scalar_subquery()
    _log(conditions, actor, ActivityKind.stage_moved, "stage", old_name, stage.name)
    done = _touch(conditions, **_stage_values(stage, loss_reason, closing_comment, now))
    _announce("lead.stage_changed", before, actor, "stage_id", stage.id)
    return _finish(done, total, f"Moved {_plural(done)} to {stage.name}.",
                   "already there, in another pipeline, or converted")


def _check_loss_reason(stage: Stage, loss_reason: LossReason | None) -> None:
    if stage.kind != StageKind.lost:
        return
    if loss_reason is None:
        raise RuleViolation("Choose a loss reason for leads moved to a lost stage.",
                            field="loss_reason")
    if not loss_reason.active:
        raise RuleViolation("That loss reason is no longer in use.", field="loss_reason")


def _stage_values(stage: Stage, loss_reason: LossReason | None, comment: str,
                  now: Any) -> dict[str, Any]:
    closed = stage.kind != StageKind.open
    return {
        "stage_id": stage.id, "stage_entered_at": now, "last_touched_at": now,
        "closing_date": now.date() if closed else None,
        "loss_reason_id": loss_reason.id if loss_reason and stage.kind == StageKind.lost else None,
        "closing_comment": comment.strip() if closed else "",
        "board_position": pipeline_services.top_position(stage.id) - pipeline_services.STEP,
    }


def _move_one(lead_id: int, stage: Stage, actor: User, loss_reason: LossReason | None,
              comment: str) -> BulkResult:
    """A single lead takes the board's own path, so its rules and messages apply exactly."""
    lead = db.session.scalar(select(Lead).where(*_targets([lead_id], actor)))
    if lead is None:
        return BulkResult(0, 1, "That lead is no longer in the list.")
    if lead.stage_id == stage.id:
        return BulkResult(0, 1, f"The lead is already in {stage.name}.")
    pipeline_services.change_stage(lead, stage, actor, loss_reason=loss_reason,
                                   closing_comment=comment)
    return BulkResult(1, 0, f"Moved 1 lead to {stage.name}.")


def clean_tag_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise RuleViolation("Enter a tag.", field="tag")
    if len(cleaned) > 60:
        raise RuleViolation("Keep tags to 60 characters or fewer.", field="tag")
    return cleaned


def _find_tag(name: str) -> Tag | None:
    return db.session.scalar(select(Tag).where(func.lower(Tag.name) == name.lower()))


def add_tag(lead_ids: LeadIds, name: str, actor: User) -> BulkResult:
    """Tag the leads (the tag is created if new); leads that have it already are left."""
    name = clean_tag_name(name)
    tag = _find_tag(name)
    if tag is None:
        tag = Tag(name=name)
        db.session.add(tag)
        db.session.flush()
    total = count_targets(lead_ids, actor)
    has_tag = exists().where(lead_tags.c.lead_id == Lead.id, lead_tags.c.tag_id == tag.id)
    conditions = [*_targets(lead_ids, actor), ~has_tag]
    before = _snapshot(conditions)
    _log(conditions, actor, ActivityKind.field_changed, "tags", "", f"+ {tag.name}")
    done = _touch(conditions)
    db.session.execute(insert(lead_tags).from_select(
        ["lead_id", "tag_id"], select(Lead.id, literal(tag.id, Integer)).where(*conditions)))
    _announce("lead.updated", before, actor, changes={"tags": ("", f"+ {tag.name}")})
    return _finish(done, total, f"Tagged {_plural(done)} “{tag.name}”.", "they had it already")


def remove_tag(lead_ids: LeadIds, name: str, actor: User) -> BulkResult:
    """Take a tag off the leads that have it."""
    name = clean_tag_name(name)
    tag = _find_tag(name)
    if tag is None:
        raise RuleViolation(f"No lead is tagged “{name}”.", field="tag")
    total = count_targets(lead_ids, actor)
    has_tag = exists().where(lead_tags.c.lead_id == Lead.id, lead_tags.c.tag_id == tag.id)
    conditions = [*_targets(lead_ids, actor), has_tag]
    before = _snapshot(conditions)
    _log(conditions, actor, ActivityKind.field_changed, "tags", f"− {tag.name}", "")
    done = _touch(conditions)
    db.session.execute(delete(lead_tags).where(
        lead_tags.c.tag_id == tag.id,
        lead_tags.c.lead_id.in_(select(Lead.id).where(*_targets(lead_ids, actor)))))
    _announce("lead.updated", before, actor, changes={"tags": (f"− {tag.name}", "")})
    return _finish(done, total, f"Removed “{tag.name}” from {_plural(done)}.",
                   "they did not have it")
