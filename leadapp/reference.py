"""The reference data every install starts with (inserted by the initial migration)."""

from __future__ import annotations

from sqlalchemy import func, select

from .extensions import db
from .pipeline.models import LossReason, Pipeline, Stage, StageKind
from .sources.models import LeadSource

DEFAULT_PIPELINE_NAME = "Sales"

# (name, kind, win probability %). The names are the seed API's `status` vocabulary.
DEFAULT_STAGES: list[tuple[str, str, int]] = [
    ("New", "open", 10),
    ("Assigned", "open", 20),
    ("In process", "open", 50),
    ("Recycled", "open", 5),
    ("Converted", "won", 100),
    ("Closed", "lost", 0),
]

STARTER_SOURCES: list[str] = [
    "Website form", "Chat", "Call", "Email", "Social network", "Partner", "Referral",
    "Cold call", "Trade show", "Advertisement",
]

STARTER_LOSS_REASONS: list[str] = [
    "No budget", "Chose a competitor", "No response", "Not a fit", "Bad timing", "Duplicate",
]


def ensure_reference_data() -> None:
    """Create the default pipeline, starter sources and loss reasons where they are missing."""
    _ensure_default_pipeline()
    _ensure_named(LeadSource, STARTER_SOURCES)
    _ensure_named(LossReason, STARTER_LOSS_REASONS, positioned=True)
    db.session.commit()


def _ensure_default_pipeline() -> None:
    if db.session.scalar(select(func.count()).select_from(Pipeline)):
        return
    pipeline = Pipeline(name=DEFAULT_PIPELINE_NAME, is_default=True)
    pipeline.stages = [
        Stage(name=name, kind=StageKind(kind), probability=probability, position=index)
        for index, (name, kind, probability) in enumerate(DEFAULT_STAGES)
    ]
    db.session.add(pipeline)


def _ensure_named(model: type, names: list[str], positioned: bool = False) -> None:
    existing = {name.lower() for name in db.session.scalars(select(model.name))}
    for index, name in enumerate(names):
        if name.lower() not in existing:
            extra = {"position": index} if positioned else {}
            db.session.add(model(name=name, **extra))
