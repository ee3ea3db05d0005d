"""Round-robin under concurrent new leads (PostgreSQL: real parallel transactions)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from leadapp.assignment import services
from leadapp.assignment.services import RuleSettings
from leadapp.extensions import db
from leadapp.leads.intake import place_new_lead
from leadapp.models import Lead, LeadSource, User
from tests.conftest import SQLITE
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.skipif(SQLITE, reason="an in-memory SQLite database is per connection")


def test_parallel_new_leads_never_give_two_turns_to_one_member(app):
    with app.app_context():
        members = [UserFactory() for _ in range(3)]
        team = TeamFactory()
        team.members = members
        db.session.commit()
        services.create_rule(RuleSettings(name="Team", team_id=team.id))
        source_id = db.session.scalar(select(LeadSource.id))
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                for _ in range(5):
                    place_new_lead(Lead(title="Parallel", source_id=source_id), None)
                    db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001  (reported by the main thread)
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with app.app_context():
        owners = Counter(db.session.scalars(select(Lead.owner_id)))
        assert sorted(owners.values()) == [10, 10, 10]
        assert set(owners) == set(db.session.scalars(select(User.id).where(User.role == "sales")))
