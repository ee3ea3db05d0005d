"""/admin/settings/assignment: admins add, edit, reorder (drag and keyboard), toggle, delete."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.assignment import services
from leadapp.assignment.models import AssignmentRule
from leadapp.assignment.services import RuleSettings
from leadapp.extensions import db
from tests.factories import TeamFactory, UserFactory

URL = "/admin/settings/assignment"


def _rules(app) -> list[tuple[str, bool]]:
    with app.app_context():
        return [(rule.name, rule.enabled) for rule in services.list_rules()]


def _make(app, *names: str) -> list[int]:
    with app.app_context():
        user = UserFactory()
        return [services.create_rule(RuleSettings(name=name, user_id=user.id)).id
                for name in names]


def test_only_admins_open_the_page(client, login):
    login("manager")
    assert client.get(URL).status_code == 403


def test_page_lists_rules_in_order_with_keyboard_buttons(app, client, login):
    login("admin")
    _make(app, "First", "Second")
    html = client.get(URL).get_data(as_text=True)
    assert html.index("First") < html.index("Second")
    assert 'aria-label="Move First down"' in html and "js/reorder.js" in html


def test_create_rule_for_a_team(app, client, login):
    login("admin")
    with app.app_context():
        team_id = TeamFactory(name="Inside sales").id
    response = client.post(URL, data={"name": "Berlin", "city": " Berlin ", "target": "team",
                                      "team_id": team_id, "enabled": "y"})
    assert response.status_code == 303
    with app.app_context():
        rule = db.session.scalars(select(AssignmentRule)).one()
        assert (rule.city, rule.team_id, rule.user_id, rule.enabled) == ("Berlin", team_id,
                                                                          None, True)


def test_invalid_rule_is_422_with_the_users_values_and_a_clear_message(app, client, login):
    login("admin")
    response = client.post(URL, data={"name": "Berlin leads", "city": "Berlin",
                                      "target": "user", "user_id": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose the user who gets the leads." in html
    assert 'value="Berlin leads"' in html and 'value="Berlin"' in html
    assert _rules(app) == []


def test_edit_rule(app, client, login):
    login("admin")
    (rule_id,) = _make(app, "Old")
    with app.app_context():
        user_id = UserFactory().id
    assert client.get(f"{URL}/{rule_id}").status_code == 200
    response = client.post(f"{URL}/{rule_id}", data={"name": "New", "target": "user",
                                                     "user_id": user_id})
    assert response.status_code == 303
    assert _rules(app) == [("New", False)]  # the box was left unticked


def test_keyboard_move_returns_the_list_with_focus_hint(app, hx, login):
    login("admin", hx)
    first, second = _make(app, "First", "Second")
    response = hx.post(f"{URL}/{second}/move", data={"direction": "up"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="rules"' in html
    assert f'data-focus="rule-{second}-up"' in html
    assert [name for name, _ in _rules(app)] == ["Second", "First"]


def test_drag_order_saves_and_a_stale_order_is_refused(app, hx, login):
    login("admin", hx)
    first, second, third = _make(app, "A", "B", "C")
    response = hx.post(f"{URL}/order", data={"ids": f"{third},{first},{second}"})
    assert response.status_code == 200
    assert [name for name, _ in _rules(app)] == ["C", "A", "B"]
    response = hx.post(f"{URL}/order", data={"ids": f"{first},{second}"})
    assert response.status_code == 422 and "reload the page" in response.get_data(as_text=True)
    assert [name for name, _ in _rules(app)] == ["C", "A", "B"]


def test_toggle_and_delete(app, client, login):
    login("admin")
    (rule_id,) = _make(app, "Only")
    assert client.post(f"{URL}/{rule_id}/enabled", data={"enabled": "0"}).status_code == 303
    assert _rules(app) == [("Only", False)]
    assert client.post(f"{URL}/{rule_id}/delete").status_code == 303
    assert _rules(app) == []


def test_settings_hub_links_the_page_for_admins(client, login):
    login("admin")
    assert URL in client.get("/admin/settings").get_data(as_text=True)
