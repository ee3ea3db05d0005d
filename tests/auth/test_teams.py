"""/admin/teams: create, rename, delete only when empty, add and remove members."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from leadapp.auth.models import Team, User
from leadapp.extensions import db
from tests.factories import LeadFactory, TeamFactory, UserFactory


def team_id_named(app: Flask, name: str) -> int | None:
    with app.app_context():
        return db.session.scalar(select(Team.id).where(Team.name == name))


def member_ids(app: Flask, team_id: int) -> list[int]:
    with app.app_context():
        return [user.id for user in db.session.get(Team, team_id).members]


def make_team(app: Flask, name: str = "North", members: int = 0) -> int:
    with app.app_context():
        users = [UserFactory() for _ in range(members)]  # each factory call commits
        team = TeamFactory(name=name)
        team.members.extend(users)
        db.session.commit()
        return team.id


def test_create_team_redirects_to_team_page(app: Flask, client: FlaskClient,
                                            login: Callable) -> None:
    login("admin")
    response = client.post("/admin/teams", data={"name": "  Key   accounts "})
    team_id = team_id_named(app, "Key accounts")
    assert response.status_code == 303
    assert response.location == f"/admin/teams/{team_id}"
    html = client.get(response.location).get_data(as_text=True)
    assert "Created the team Key accounts." in html


def test_create_team_duplicate_name_other_case_returns_409(app: Flask, client: FlaskClient,
                                                           login: Callable) -> None:
    login("admin")
    make_team(app, "North")
    response = client.post("/admin/teams", data={"name": "NORTH"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "There is already a team called North." in html
    assert 'value="NORTH"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Team)) == 1


def test_create_team_blank_name_returns_422(client: FlaskClient, login: Callable) -> None:
    login("admin")
    response = client.post("/admin/teams", data={"name": "   "})
    assert response.status_code == 422
    assert "Give the team a name." in response.get_data(as_text=True)


def test_index_lists_teams_with_members(app: Flask, client: FlaskClient, login: Callable) -> None:
    login("admin")
    team_id = make_team(app, "South", members=2)
    html = client.get("/admin/teams").get_data(as_text=True)
    assert f'id="team-{team_id}"' in html and "South" in html


def test_teams_non_admin_gets_403(app: Flask, client: FlaskClient, login: Callable) -> None:
    login("manager")
    team_id = make_team(app)
    assert client.get("/admin/teams").status_code == 403
    assert client.post(f"/admin/teams/{team_id}/delete").status_code == 403


def test_rename_team_saves_new_name(app: Flask, client: FlaskClient, login: Callable) -> None:
    login("admin")
    team_id = make_team(app, "North")
    response = client.post(f"/admin/teams/{team_id}", data={"name": "North East"})
    assert response.status_code == 303
    assert team_id_named(app, "North East") == team_id


def test_rename_team_to_taken_name_returns_409(app: Flask, client: FlaskClient,
                                              login: Callable) -> None:
    login("admin")
    make_team(app, "North")
    team_id = make_team(app, "South")
    response = client.post(f"/admin/teams/{team_id}", data={"name": "north"})
    assert response.status_code == 409
    assert 'value="north"' in response.get_data(as_text=True)
    assert team_id_named(app, "South") == team_id


def test_delete_empty_team_removes_it(app: Flask, client: FlaskClient, login: Callable) -> None:
    login("admin")
    team_id = make_team(app, "Gone")
    response = client.post(f"/admin/teams/{team_id}/delete")
    assert response.status_code == 303
    assert response.location == "/admin/teams"
    assert team_id_named(app, "Gone") is None


def test_delete_team_with_members_returns_409(app: Flask, client: FlaskClient,
                                              login: Callable) -> None:
    login("admin")
    team_id = make_team(app, "Busy", members=1)
    response = client.post(f"/admin/teams/{team_id}/delete")
    assert response.status_code == 409
    assert "Busy still has 1 member(s)" in response.get_data(as_text=True)
    assert team_id_named(app, "Busy") == team_id


def test_delete_team_with_leads_returns_409(app: Flask, client: FlaskClient,
                                            login: Callable) -> None:
    login("admin")
    team_id = make_team(app, "Leady")
    with app.app_context():
        LeadFactory(team=db.session.get(Team, team_id))
    response = client.post(f"/admin/teams/{team_id}/delete")
    assert response.status_code == 409
    assert "1 lead(s)" in response.get_data(as_text=True)


def test_add_member_htmx_returns_members_card(app: Flask, hx: FlaskClient, login: Callable,
                                              make_user: Callable) -> None:
    login("admin", client_=hx)
    team_id = make_team(app)
    user_id = make_user("sales", name="Mia Member")
    response = hx.post(f"/admin/teams/{team_id}/members", data={"user_id": str(user_id)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="team-members"')
    assert f'id="team-{team_id}-member-{user_id}"' in html
    assert '<section id="team-delete" class="card" aria-labelledby="delete-heading" ' \
        'hx-swap-oob="true">' in html
    assert "Only an empty team can be deleted" in html
    assert member_ids(app, team_id) == [user_id]


def test_add_member_plain_post_redirects(app: Flask, client: FlaskClient, login: Callable,
                                         make_user: Callable) -> None:
    login("admin")
    team_id = make_team(app)
    user_id = make_user("sales")
    response = client.post(f"/admin/teams/{team_id}/members", data={"user_id": str(user_id)})
    assert response.status_code == 303
    assert member_ids(app, team_id) == [user_id]


def test_add_member_without_choice_returns_422(app: Flask, hx: FlaskClient,
                                               login: Callable) -> None:
    login("admin", client_=hx)
    team_id = make_team(app)
    response = hx.post(f"/admin/teams/{team_id}/members", data={"user_id": ""})
    assert response.status_code == 422
    assert "Choose a person to add." in response.get_data(as_text=True)


def test_add_member_twice_returns_409(app: Flask, hx: FlaskClient, login: Callable) -> None:
    login("admin", client_=hx)
    team_id = make_team(app, members=1)
    (user_id,) = member_ids(app, team_id)
    response = hx.post(f"/admin/teams/{team_id}/members", data={"user_id": str(user_id)})
    assert response.status_code == 409
    assert "is already in North" in response.get_data(as_text=True)


def test_add_deactivated_member_returns_422(app: Flask, hx: FlaskClient, login: Callable,
                                            make_user: Callable) -> None:
    login("admin", client_=hx)
    team_id = make_team(app)
    user_id = make_user("sales", active=False)
    response = hx.post(f"/admin/teams/{team_id}/members", data={"user_id": str(user_id)})
    assert response.status_code == 422
    assert member_ids(app, team_id) == []


def test_remove_member_htmx_returns_card_without_them(app: Flask, hx: FlaskClient,
                                                      login: Callable) -> None:
    login("admin", client_=hx)
    team_id = make_team(app, members=2)
    gone, kept = member_ids(app, team_id)
    response = hx.post(f"/admin/teams/{team_id}/members/{gone}/remove")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'member-{gone}"' not in html and f'member-{kept}"' in html
    assert member_ids(app, team_id) == [kept]
    with app.app_context():
        assert db.session.get(User, gone) is not None  # leaving a team never deletes the user


def test_detail_offers_only_non_members(app: Flask, client: FlaskClient, login: Callable,
                                        make_user: Callable) -> None:
    login("admin")
    team_id = make_team(app, members=1)
    (member_id,) = member_ids(app, team_id)
    outsider = make_user("sales")
    inactive = make_user("sales", active=False)
    html = client.get(f"/admin/teams/{team_id}").get_data(as_text=True)
    assert f'<option value="{outsider}">' in html
    assert f'<option value="{member_id}">' not in html
    assert f'<option value="{inactive}">' not in html
