"""Imports: rules fill in missing owners row by row (evaluated in memory), an Owner column wins,
the timeline names the rule, and each owner gets one summary notification per import."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadapp.assignment import services
from leadapp.assignment.services import RuleSettings
from leadapp.extensions import db
from leadapp.imports.classify import BATCH
from leadapp.models import Activity, ActivityKind, Lead, Notification
from tests.factories import LeadFactory, TeamFactory, UserFactory
from tests.imports.conftest import csv_bytes

HEADER = ["Title", "Email", "Lead source", "City", "Owner"]


@pytest.fixture
def app(app):
    app.config["IMPORT_RUN_INLINE"] = True
    return app


def _timeline(client, app, title: str) -> str:
    with app.app_context():
        lead_id = db.session.scalar(select(Lead.id).where(Lead.title == title))
    return client.get(f"/admin/leads/{lead_id}").get_data(as_text=True)


def _owners(app) -> dict[str, int | None]:
    with app.app_context():
        return dict(db.session.execute(select(Lead.title, Lead.owner_id)).tuples().all())


def test_rules_assign_imported_rows_and_an_owner_column_wins(app, client, login, start_import,
                                                            run_job):
    login("admin")
    with app.app_context():
        berlin = UserFactory(name="Bea Berlin")
        nina = UserFactory(name="Nina Novak", email="nina@example.com")
        a, b = UserFactory(), UserFactory(active=False)
        team = TeamFactory()
        team.members = [a, b, berlin]
        db.session.commit()
        rule = services.create_rule(RuleSettings(name="Berlin", city="berlin",
                                                 user_id=berlin.id))
        services.create_rule(RuleSettings(name="Rest", team_id=team.id))
        ids = {"berlin": berlin.id, "nina": nina.id, "a": a.id, "rule": rule.id}
    job_id = start_import(csv_bytes([
        HEADER,
        ["In Berlin", "", "Call", "BERLIN ", ""],
        ["Chosen", "", "Call", "Berlin", "nina@example.com"],
        ["Elsewhere 1", "", "Call", "Paris", ""],
        ["Elsewhere 2", "", "Call", "Paris", ""],
    ]))
    run_job(job_id)
    owners = _owners(app)
    assert owners["In Berlin"] == ids["berlin"] and owners["Chosen"] == ids["nina"]
    # Round-robin over active members only (b is deactivated), in id order.
    assert [owners["Elsewhere 1"], owners["Elsewhere 2"]] == [ids["berlin"], ids["a"]]
    with app.app_context():
        lead_id = db.session.scalar(select(Lead.id).where(Lead.title == "In Berlin"))
        row = db.session.scalars(select(Activity).where(Activity.lead_id == lead_id)).one()
        assert row.kind == ActivityKind.imported and row.data == {
            "import_job": job_id, "rule_id": ids["rule"], "rule": "Berlin", "owner": "Bea Berlin"}
        chosen = db.session.scalar(select(Lead.id).where(Lead.title == "Chosen"))
        row = db.session.scalars(select(Activity).where(Activity.lead_id == chosen)).one()
        assert row.data == {"import_job": job_id}  # the Owner column chose, not a rule
        notes = {note.user_id: note.text for note in db.session.scalars(select(Notification))}
    assert "the assignment rule <q>Berlin</q> gave it to <q>Bea Berlin</q>" in _timeline(
        client, app, "In Berlin")
    assert notes == {ids["berlin"]: f"2 leads assigned to you by import #{job_id}.",
                     ids["nina"]: f"1 lead assigned to you by import #{job_id}.",
                     ids["a"]: f"1 lead assigned to you by import #{job_id}."}


def test_one_summary_per_owner_across_batches(app, login, start_import, run_job):
    login("admin")
    with app.app_context():
        owner = UserFactory()
        services.create_rule(RuleSettings(name="All", user_id=owner.id))
        owner_id = owner.id
    rows = [[f"Lead {n}", "", "Call", "", ""] for n in range(BATCH + 5)]
    job_id = start_import(csv_bytes([HEADER, *rows]))
    run_job(job_id)
    with app.app_context():
        notes = db.session.scalars(select(Notification)).all()
        assert [(note.user_id, note.count, note.group_key) for note in notes] == [
            (owner_id, BATCH + 5, f"import:{job_id}")]


def test_import_updating_owners_tells_the_new_owner_once(app, login, start_import, run_job):
    login("admin")
    with app.app_context():
        nina = UserFactory(name="Nina Novak", email="nina@example.com").id
        for email in ("one@example.org", "two@example.org"):
            LeadFactory(email=email)
        services.create_rule(RuleSettings(name="All", user_id=UserFactory().id))
    job_id = start_import(csv_bytes([
        HEADER,
        ["One", "one@example.org", "Call", "", "nina@example.com"],
        ["Two", "two@example.org", "Call", "", "nina@example.com"],
    ]), mode="update")
    run_job(job_id)
    with app.app_context():
        notes = [(note.user_id, note.text) for note in db.session.scalars(select(Notification))]
    # Updated leads keep going through the Owner column; rules are for new leads only.
    assert notes == [(nina, f"2 leads assigned to you by import #{job_id}.")]
