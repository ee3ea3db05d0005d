"""Database-level rules: they hold on SQLite (foreign keys on) exactly as on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from leadapp.extensions import db
from leadapp.models import (
    Lead,
    LeadSource,
    LossReason,
    Pipeline,
    Stage,
    StageKind,
    Team,
    User,
)
from leadapp.reference import (
    DEFAULT_PIPELINE_NAME,
    STARTER_LOSS_REASONS,
    STARTER_SOURCES,
    ensure_reference_data,
)
from tests.factories import default_pipeline


def rejected(add: Callable[[], object]) -> None:
    """The flush breaks a unique index; the session is rolled back for the next statement."""
    with pytest.raises(IntegrityError) as caught:
        add()
        db.session.flush()
    db.session.rollback()
    assert "unique" in str(caught.value.orig).lower()  # SQLite and Postgres both say so


def new_user(email: str) -> User:
    user = User(email=email, password_hash="x", name="", role="sales", active=True,
                preferences={})
    db.session.add(user)
    return user


def test_user_email_unique_ignoring_case(app_ctx) -> None:
    new_user("dup@example.com")
    db.session.commit()
    rejected(lambda: new_user("DUP@Example.com"))
    new_user("other@example.com")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_lead_source_name_unique_ignoring_case(app_ctx) -> None:
    rejected(lambda: db.session.add(LeadSource(name="WEBSITE FORM")))
    db.session.add(LeadSource(name="Website form 2"))
    db.session.commit()


def test_team_name_unique_ignoring_case(app_ctx) -> None:
    db.session.add(Team(name="Enterprise"))
    db.session.commit()
    rejected(lambda: db.session.add(Team(name="enterprise")))


def test_loss_reason_name_unique_ignoring_case(app_ctx) -> None:
    rejected(lambda: db.session.add(LossReason(name="no budget")))


def test_lead_with_missing_source_violates_foreign_key(app_ctx) -> None:
    missing = (db.session.scalar(select(func.max(LeadSource.id))) or 0) + 1000
    pipeline = default_pipeline()

    lead = Lead(title="Orphan", source_id=missing, pipeline_id=pipeline.id,
                stage_id=pipeline.stages[0].id)
    db.session.add(lead)
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    assert "foreign key" in str(caught.value.orig).lower()


def test_foreign_keys_are_enforced_on_this_connection(app_ctx) -> None:
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_stage_kind_check_rejects_unknown_value(app_ctx) -> None:
    # Four letters, so the VARCHAR(4) length is not what rejects it on Postgres.
    pipeline_id = default_pipeline().id
    with pytest.raises(IntegrityError) as caught:
        db.session.execute(text(
            "INSERT INTO stages (pipeline_id, name, position, kind, probability) "
            "VALUES (:pipeline, 'Gone', 9, 'gone', 0)"), {"pipeline": pipeline_id})
    db.session.rollback()
    assert "check" in str(caught.value.orig).lower()


def test_stage_kind_check_accepts_known_value_by_raw_sql(app_ctx) -> None:
    pipeline_id = default_pipeline().id
    db.session.execute(text(
        "INSERT INTO stages (pipeline_id, name, position, kind, probability) "
        "VALUES (:pipeline, 'Qualified', 9, 'open', 30)"), {"pipeline": pipeline_id})
    db.session.commit()


@pytest.mark.parametrize("kind", [StageKind.won, StageKind.lost])
def test_second_won_or_lost_stage_in_pipeline_is_rejected(app_ctx, kind: StageKind) -> None:
    pipeline_id = default_pipeline().id
    rejected(lambda: db.session.add(Stage(pipeline_id=pipeline_id, name=f"Also {kind}",
                                          kind=kind, position=10)))


def test_won_and_lost_stages_allowed_once_per_pipeline(app_ctx) -> None:
    other = Pipeline(name="Partners", is_default=False)
    other.stages = [Stage(name="Won", kind=StageKind.won, position=0),
                    Stage(name="Lost", kind=StageKind.lost, position=1),
                    Stage(name="Open A", kind=StageKind.open, position=2),
                    Stage(name="Open B", kind=StageKind.open, position=3)]
    db.session.add(other)
    db.session.commit()


def test_second_default_pipeline_is_rejected(app_ctx) -> None:
    rejected(lambda: db.session.add(Pipeline(name="Another", is_default=True)))
    db.session.add(Pipeline(name="Not default", is_default=False))
    db.session.add(Pipeline(name="Also not default", is_default=False))
    db.session.commit()


def test_reference_data_default_pipeline_stages_in_order(app_ctx) -> None:
    pipelines = db.session.scalars(select(Pipeline)).all()
    assert [(p.name, p.is_default) for p in pipelines] == [(DEFAULT_PIPELINE_NAME, True)]
    stages = [(stage.name, stage.kind) for stage in pipelines[0].stages]
    assert stages == [("New", StageKind.open), ("Assigned", StageKind.open),
                      ("In process", StageKind.open), ("Recycled", StageKind.open),
                      ("Converted", StageKind.won), ("Closed", StageKind.lost)]
    assert [stage.position for stage in pipelines[0].stages] == list(range(6))


def test_reference_data_starter_sources_and_loss_reasons(app_ctx) -> None:
    sources = set(db.session.scalars(select(LeadSource.name)))
    assert sources == set(STARTER_SOURCES)
    assert len(STARTER_SOURCES) == 10
    reasons = list(db.session.scalars(select(LossReason.name).order_by(LossReason.position)))
    assert reasons == STARTER_LOSS_REASONS
    assert all(db.session.scalars(select(LossReason.active)))


def test_ensure_reference_data_is_idempotent(app_ctx) -> None:
    counts = [db.session.scalar(select(func.count()).select_from(model))
              for model in (Pipeline, Stage, LeadSource, LossReason)]
    ensure_reference_data()
    ensure_reference_data()
    assert counts == [db.session.scalar(select(func.count()).select_from(model))
                      for model in (Pipeline, Stage, LeadSource, LossReason)]
