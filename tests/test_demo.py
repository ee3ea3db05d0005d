"""`flask demo seed`: counts, determinism, realistic closed leads, sign-in with demo users."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import func, select

from leadapp.auth.models import Team, User
from leadapp.companies.models import Company, Opportunity
from leadapp.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_USERS, seed_demo
from leadapp.extensions import db
from leadapp.models import Activity, ActivityKind, Lead, LeadContact, StageHistory
from leadapp.pipeline.models import Stage, StageKind
from leadapp.reference import ensure_reference_data

ANCHOR = date(2026, 1, 15)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _digest() -> str:
    rows = db.session.execute(
        select(Lead.title, Lead.email, Lead.budget, Lead.created_at, Stage.name)
        .join(Stage, Lead.stage_id == Stage.id).order_by(Lead.id))
    return hashlib.sha256(repr([tuple(map(str, row)) for row in rows]).encode()).hexdigest()


def _wipe() -> None:
    db.session.remove()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    ensure_reference_data()


def test_seed_300_leads_creates_expected_counts(app_ctx):
    report = seed_demo(300, seed=7, anchor=ANCHOR)
    assert report.leads == _count(Lead) == 300
    assert _count(User) == len(DEMO_USERS)
    assert _count(Team) == 2
    assert _count(Company) >= 15
    assert _count(Activity, Activity.kind == ActivityKind.created) == 300
    assert _count(LeadContact, LeadContact.is_primary.is_(True)) >= 100
    assert _count(Opportunity) == report.opportunities > 0
    # Exactly one open history row per lead: its current stage, entered when the lead entered it.
    current = db.session.execute(
        select(Lead.stage_id, Lead.stage_entered_at, StageHistory.stage_id,
               StageHistory.entered_at)
        .join(StageHistory, (StageHistory.lead_id == Lead.id) & StageHistory.left_at.is_(None))
    ).all()
    assert len(current) == 300
    assert all(row[0] == row[2] and row[1] == row[3] for row in current)


def test_seed_same_seed_twice_gives_same_data(app_ctx):
    seed_demo(300, seed=11, anchor=ANCHOR)
    first = _digest()
    _wipe()
    seed_demo(300, seed=11, anchor=ANCHOR)
    assert _digest() == first
    _wipe()
    seed_demo(300, seed=12, anchor=ANCHOR)
    assert _digest() != first


def test_seed_300_leads_fills_every_stage(app_ctx):
    seed_demo(300, seed=3, anchor=ANCHOR)
    per_stage = dict(db.session.execute(
        select(Stage.name, func.count(Lead.id)).join(Lead, Lead.stage_id == Stage.id)
        .group_by(Stage.name)).all())
    stage_names = set(db.session.scalars(select(Stage.name)))
    assert set(per_stage) == stage_names
    open_count = sum(count for name, count in per_stage.items() if name not in
                     ("Converted", "Closed"))
    assert open_count > 150  # mostly open


def test_seed_closed_leads_have_closing_details(app_ctx):
    seed_demo(300, seed=5, anchor=ANCHOR)
    leads = db.session.scalars(select(Lead).join(Stage).where(Stage.kind != StageKind.open))
    won = lost = 0
    for lead in leads:
        assert lead.closing_date is not None and lead.closing_date <= ANCHOR
        assert lead.closing_comment
        if lead.stage.kind == StageKind.won:
            won += 1
            assert lead.loss_reason_id is None
        else:
            lost += 1
            assert lead.loss_reason is not None
    assert won and lost


def test_seed_converted_leads_link_company_contact_and_opportunity(app_ctx):
    seed_demo(300, seed=5, anchor=ANCHOR)
    converted = list(db.session.scalars(select(Lead).where(Lead.converted_at.is_not(None))))
    assert converted
    for lead in converted:
        assert lead.stage.kind == StageKind.won
        assert lead.converted_company_id == lead.company_id is not None
        assert lead.converted_contact.company_id == lead.converted_company_id
        assert lead.opportunity is not None and lead.opportunity.amount == lead.budget
        assert lead.primary_contact.id == lead.converted_contact_id
    made_from_leads = _count(Company, Company.created_from_lead_id.is_not(None))
    assert 0 < made_from_leads <= len(converted)


def test_seed_board_positions_are_unique_per_stage_and_newest_first(app_ctx):
    seed_demo(300, seed=9, anchor=ANCHOR)
    rows = db.session.execute(select(Lead.stage_id, Lead.board_position, Lead.created_at)
                              .order_by(Lead.stage_id, Lead.board_position)).all()
    assert len({(stage, position) for stage, position, _ in rows}) == len(rows)
    new_stage = db.session.scalar(select(Stage.id).where(Stage.name == "New"))
    column = [created for stage, _, created in rows if stage == new_stage]
    assert column == sorted(column, reverse=True)


def test_seed_dates_stay_within_two_years_before_anchor(app_ctx):
    seed_demo(300, seed=9, anchor=ANCHOR)
    oldest, newest = db.session.execute(
        select(func.min(Lead.created_at), func.max(Lead.created_at))).one()
    assert (ANCHOR - oldest.date()).days <= 731
    assert newest.date() < ANCHOR


def test_seed_command_prints_credentials_and_reuses_users_on_rerun(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed", "--leads", "120", "--anchor", "2026-01-15"])
    assert first.exit_code == 0, first.output
    assert f"admin@{DEMO_DOMAIN}" in first.output and DEMO_PASSWORD in first.output
    assert "Created 120 leads" in first.output
    second = runner.invoke(args=["demo", "seed", "--leads", "80", "--seed", "2"])
    assert second.exit_code == 0, second.output
    assert "already existed" in second.output
    with app.app_context():
        assert _count(Lead) == 200
        assert _count(User) == len(DEMO_USERS)
        positions = db.session.execute(select(Lead.stage_id, Lead.board_position)).all()
        assert len(set(positions)) == 200


def test_seed_command_rejects_bad_anchor(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--anchor", "15/01/2026"])
    assert result.exit_code == 2
    assert "YYYY" in result.output or "%Y-%m-%d" in result.output


def test_demo_admin_signs_in_through_login(app, client):
    with app.app_context():
        seed_demo(50, seed=1, anchor=ANCHOR)
    response = client.post("/login", data={"email": f"admin@{DEMO_DOMAIN}",
                                           "password": DEMO_PASSWORD})
    assert response.status_code == 303
    dashboard = client.get("/admin")
    assert dashboard.status_code == 200
    assert "Alex Admin" in dashboard.get_data(as_text=True)


def test_seed_command_if_empty_skips_a_database_with_leads(app):
    runner = app.test_cli_runner()
    assert "Created 30 leads" in runner.invoke(
        args=["demo", "seed", "--leads", "30", "--if-empty"]).output
    skipped = runner.invoke(args=["demo", "seed", "--leads", "30", "--if-empty"])
    assert skipped.exit_code == 0 and "no demo data added" in skipped.output
    with app.app_context():
        assert _count(Lead) == 30


def test_seed_into_empty_database_rebuilds_lead_indexes(app_ctx, monkeypatch):
    from leadapp import demo

    monkeypatch.setattr(demo, "DEFERRED_INDEX_MIN", 1)
    # The catalogue, not the inspector: it skips the expression indexes with a warning.
    with db.engine.connect() as connection:
        before = demo._index_names(connection, "leads")
    seed_demo(60, seed=4, anchor=ANCHOR)
    db.session.remove()
    with db.engine.connect() as connection:
        after = demo._index_names(connection, "leads")
    assert after == before
    assert {"ix_leads_live_counts", "ix_leads_created_at", "ix_leads_phone_digits"} <= after
    assert _count(Lead) == 60


def test_seed_command_right_after_db_upgrade_on_empty_file(tmp_path):
    """`flask db upgrade`, then `flask demo seed` on a new SQLite file (the `make run` path)."""
    from pathlib import Path

    import flask_migrate

    from leadapp import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"})
    with app.app_context():
        flask_migrate.upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--leads", "40", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Created 40 leads" in result.output
    with app.app_context():
        assert _count(Lead) == 40
        db.session.remove()
        db.engine.dispose()


def test_seed_command_without_active_sources_fails_with_message(app):
    from sqlalchemy import update

    from leadapp.sources.models import LeadSource

    with app.app_context():
        db.session.execute(update(LeadSource).values(active=False))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--leads", "10"])
    assert result.exit_code == 1
    assert "at least one active lead source" in result.output
    with app.app_context():
        assert _count(Lead) == 0 and _count(User) == 0
