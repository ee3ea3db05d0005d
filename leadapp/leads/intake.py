"""Where every new lead starts: the defaults the form, API, capture and import share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..assignment.services import apply_rules
from ..auth.models import User
from ..db_types import utcnow
from ..events import lead_assigned, lead_created
from ..extensions import db
from ..pipeline.models import Pipeline, StageHistory
from ..pipeline.services import top_position
from .activity import record
from .models import ActivityKind, Lead


def default_pipeline() -> Pipeline:
    pipeline = db.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
    if pipeline is None:  # a database without reference data: any pipeline beats a crash
        pipeline = db.session.scalar(select(Pipeline).order_by(Pipeline.id))
    if pipeline is None:
        raise LookupError("No pipeline exists; run `flask --app wsgi db upgrade` first.")
    return pipeline


def place_new_lead(lead: Lead, actor: User | None, kind: ActivityKind = ActivityKind.created,
                   data: dict[str, Any] | None = None, via: str | None = None) -> Lead:
    """Give a new lead its pipeline and first stage (unless chosen), the top of that column,
    its first stage-history row and timeline entry, and an owner from the assignment rules when
    it came without one. Adds to the session; the caller commits. `via` names the entry point
    ("form", "api", "capture", ...; by default from `kind`)."""
    if lead.stage is None and lead.stage_id is None:
        lead.pipeline = lead.pipeline or default_pipeline()
        lead.stage = lead.pipeline.stages[0]
    stage_id = lead.stage.id if lead.stage is not None else lead.stage_id
    now = utcnow()
    lead.pipeline_id = lead.pipeline_id or (lead.stage.pipeline_id if lead.stage else None)
    lead.board_position = top_position(stage_id)
    lead.stage_entered_at = now
    lead.last_touched_at = now
    lead.created_by = lead.created_by or actor
    db.session.add(lead)
    db.session.add(StageHistory(lead=lead, stage_id=stage_id, entered_at=now, moved_by_id=(
        actor.id if actor else None)))
    record(lead, kind, actor, data=data)
    _assign(lead, actor, via or VIA_BY_KIND.get(kind, "form"))
    lead_created.send(lead, actor=actor, via=via or VIA_BY_KIND.get(kind, "form"))
    return lead


VIA_BY_KIND = {ActivityKind.captured: "capture", ActivityKind.imported: "import"}


def _assign(lead: Lead, actor: User | None, via: str) -> None:
    """An explicit owner is kept; otherwise the first matching assignment rule picks one. The
    timeline names the rule, and the new owner hears about it (lead_assigned)."""
    rule = None
    if lead.owner_id is None and lead.owner is None:
        rule = apply_rules(lead)
        if rule is not None:
            owner = db.session.get(User, lead.owner_id)
            record(lead, ActivityKind.assigned, None, field="owner_id", old="",
                   new=owner.display_name if owner else "",
                   data={"rule_id": rule.id, "rule": rule.name})
    owner_id = lead.owner_id or (lead.owner.id if lead.owner else None)
    if owner_id is not None:
        lead_assigned.send(lead, actor=actor, old_owner_id=None, new_owner_id=owner_id,
                           via="rule" if rule else via, rule_name=rule.name if rule else "")
