"""A hand-built dataset with known totals for the source report (May 2026, UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.leads.activity import record
from leadapp.models import ActivityKind, Stage, StageHistory, User
from tests.factories import (
    CampaignFactory,
    LeadFactory,
    LeadSourceFactory,
    OpportunityFactory,
    SpendFactory,
    UserFactory,
    default_pipeline,
)

MAY = (date(2026, 5, 1), date(2026, 5, 31))


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def stage(name: str) -> Stage:
    pipeline = default_pipeline()
    return db.session.scalar(select(Stage).where(Stage.pipeline_id == pipeline.id,
                                                 Stage.name == name))


def build() -> dict[str, Any]:
    """Ads: 5 counted leads (3 won, 1 lost, 1 open); Fairs: spend only; Calls: a lead, no spend."""
    ads, fairs, calls = (LeadSourceFactory(name=name) for name in ("Ads", "Fairs", "Calls"))
    spring = CampaignFactory(name="Spring", source=ads)
    person = UserFactory(role="sales")
    won, lost, new = stage("Converted"), stage("Closed"), stage("New")
    leads = {
        # Starts exactly at midnight on the first day: in range.
        "l1": LeadFactory(source=ads, campaign=spring, stage=won, budget=Decimal("1000.10"),
                          created_at=at(2026, 5, 1), closing_date=date(2026, 5, 11),
                          first_touch={"utm_source": "Newsletter", "utm_campaign": "May"},
                          last_touch={"utm_source": "Google", "utm_campaign": "brand"}),
        # Converted with an opportunity: its amount counts, not the budget.
        "l2": LeadFactory(source=ads, stage=won, budget=Decimal("99.00"),
                          created_at=at(2026, 5, 10, 12), converted_at=at(2026, 5, 12)),
        # Won without a budget: counts as won, with 0 revenue; one second before June.
        "l3": LeadFactory(source=ads, campaign=spring, stage=won, budget=None,
                          created_at=at(2026, 5, 31, 23, 59, 59),
                          closing_date=date(2026, 6, 2)),
        "l4": LeadFactory(source=ads, stage=lost, budget=Decimal("500.00"),
                          created_at=at(2026, 5, 5)),
        "l8": LeadFactory(source=ads, stage=new, budget=Decimal("300.00"),
                          created_at=at(2026, 5, 6)),
        # Not counted: deleted, one second before May, exactly midnight after May.
        "deleted": LeadFactory(source=ads, stage=won, budget=Decimal("7000.00"),
                               created_at=at(2026, 5, 7), deleted_at=at(2026, 5, 8)),
        "before": LeadFactory(source=ads, stage=won, created_at=at(2026, 4, 30, 23, 59, 59)),
        "after": LeadFactory(source=ads, stage=won, created_at=at(2026, 6, 1)),
        "calls": LeadFactory(source=calls, stage=new, budget=Decimal("10.00"),
                             created_at=at(2026, 5, 20)),
    }
    OpportunityFactory(lead=leads["l2"], amount=Decimal("2500.25"))
    history = [(leads["l8"], "New"), (leads["l8"], "In process"), (leads["l8"], "New"),
               (leads["l4"], "New"), (leads["l4"], "Closed")]
    for lead, name in history:
        db.session.add(StageHistory(lead_id=lead.id, stage_id=stage(name).id,
                                    entered_at=lead.created_at))
    responses = [(leads["l1"], person.id, 2, ActivityKind.commented),
                 (leads["l1"], person.id, 30, ActivityKind.stage_moved),
                 (leads["l2"], person.id, 4, ActivityKind.field_changed),
                 (leads["l3"], None, 1, ActivityKind.commented),      # not a person
                 (leads["l4"], person.id, 1, ActivityKind.attached)]  # not a response kind
    for lead, actor, hours, kind in responses:
        record(lead, kind, db.session.get(User, actor) if actor else None,
               at=lead.created_at + timedelta(hours=hours))
    db.session.commit()
    # Spend: 0.10 + 0.20 style cents that drift as floats; one row outside May.
    SpendFactory(source=ads, campaign=spring, spent_on=date(2026, 5, 1), amount=Decimal("100.10"))
    SpendFactory(source=ads, spent_on=date(2026, 5, 31), amount=Decimal("0.20"))
    SpendFactory(source=ads, spent_on=date(2026, 6, 1), amount=Decimal("50.00"))
    SpendFactory(source=fairs, spent_on=date(2026, 5, 15), amount=Decimal("200.00"))
    return {"ads": ads.id, "fairs": fairs.id, "calls": calls.id, "spring": spring.id,
            "leads": {key: lead.id for key, lead in leads.items()}}
