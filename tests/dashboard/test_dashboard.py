"""The /admin dashboard: figures respect visibility, partial render, links to lead pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from leadapp.db_types import utcnow
from leadapp.extensions import db
from leadapp.models import Stage, StageKind, User
from tests.factories import LeadFactory, LeadSourceFactory, TeamFactory


def _stage(kind: StageKind, name: str | None = None) -> Stage:
    query = select(Stage).where(Stage.kind == kind)
    if name:
        query = query.where(Stage.name == name)
    return db.session.scalars(query.order_by(Stage.position)).first()


def _seed(app, me_id: int) -> dict[str, int]:
    """My leads, a colleague's in another team, a won one this month, one in the trash."""
    with app.app_context():
        now = utcnow()
        me, other = db.session.get(User, me_id), User(email="o@example.com", name="Other",
                                                      password_hash="x")
        their_team = TeamFactory(name="Elsewhere")
        their_team.members.append(other)
        web, fair = LeadSourceFactory(name="Web"), LeadSourceFactory(name="Fair")
        open_stage, second = _stage(StageKind.open, "New"), _stage(StageKind.open, "Assigned")
        won, old = _stage(StageKind.won), now - timedelta(days=40)
        mine = [LeadFactory(title=f"Mine {n}", owner=me, source=web, stage=open_stage,
                            created_at=now - timedelta(days=1), updated_at=now - timedelta(
                                hours=n)) for n in range(3)]
        LeadFactory(title="Mine old", owner=me, source=fair, stage=second, created_at=old,
                    updated_at=old)
        LeadFactory(title="Theirs", owner=other, team=their_team, source=fair,
                    stage=open_stage, created_at=now - timedelta(days=2))
        LeadFactory(title="Won deal", owner=me, source=web, stage=won, created_at=old,
                    closing_date=now.date(), budget=Decimal("2500.00"))
        LeadFactory(title="Trashed", owner=me, source=web, stage=open_stage, deleted_at=now)
        db.session.commit()
        return {"newest": mine[0].id, "team": their_team.id}


def test_get_dashboard_as_admin_counts_all_live_leads(client, login, app):
    me = login("admin")
    _seed(app, me)
    body = client.get("/admin").get_data(as_text=True)
    summary = _summary(app, me)
    assert (summary.open_leads, summary.my_open_leads) == (5, 4)
    assert summary.new_this_week == 4
    assert (summary.won_this_month, summary.won_amounts) == (1, [("USD", Decimal("2500.00"))])
    assert [(row.name, row.count) for row in summary.open_by_stage][:2] == [("New", 4),
                                                                           ("Assigned", 1)]
    assert summary.week_by_source == [("Web", 3), ("Fair", 1)]
    assert "USD 2,500" in body
    assert "Trashed" not in body


def test_get_dashboard_as_sales_hides_other_teams_leads(client, login, app):
    me = login("sales")
    _seed(app, me)
    summary = _summary(app, me)
    assert summary.open_leads == 4  # "Theirs" belongs to another team
    assert summary.week_by_source == [("Web", 3)]
    body = client.get("/admin").get_data(as_text=True)
    assert "Theirs" not in body
    assert "the leads you can see" in body


def test_get_dashboard_recent_leads_link_to_lead_page_newest_first(client, login, app):
    me = login("manager")
    ids = _seed(app, me)
    body = client.get("/admin").get_data(as_text=True)
    assert f'href="/admin/leads/{ids["newest"]}"' in body
    assert body.index("Mine 0") < body.index("Mine 1") < body.index("Mine 2")


def test_get_dashboard_htmx_partial_returns_fragment_only(hx, login, app):
    me = login("admin", client_=hx)
    _seed(app, me)
    response = hx.get("/admin")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert body.lstrip().startswith('<div id="dashboard"')
    assert "<html" not in body and "Open leads" in body


def test_get_dashboard_empty_database_shows_empty_states(client, login):
    login("marketeer")
    body = client.get("/admin").get_data(as_text=True)
    assert "No leads came in this week yet." in body
    assert "No leads are assigned to you yet." in body


def test_get_dashboard_signed_out_redirects_to_login(client):
    response = client.get("/admin")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def _summary(app, user_id: int):
    from leadapp.dashboard.services import summary

    with app.app_context():
        return summary(db.session.get(User, user_id))
