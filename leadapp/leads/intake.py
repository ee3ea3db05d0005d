"""Where every new lead starts: the defaults the form, API, capture and import share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..auth.models import User
from ..db_types import utcnow
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
                   data: dict[str, Any] | None = None) -> Lead:
    """Give a new lead its pipeline and first stage (unless chosen), the top of that column,
    its first stage-history row and timeline entry. Adds to the session; the caller commits."""
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
    return lead
