"""Assignment rules page: reorder by dragging the handle and by the keyboard arrow buttons."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import UserFactory


def _rules(*names: str) -> None:
    from leadapp.assignment import services
    from leadapp.assignment.models import AssignmentRule
    from leadapp.extensions import db

    db.session.query(AssignmentRule).delete()
    db.session.commit()
    user = UserFactory(name="Rita Rules")
    for name in names:
        services.create_rule(services.RuleSettings(name=name, user_id=user.id))


def _order() -> list[str]:
    from leadapp.assignment import services

    return [rule.name for rule in services.list_rules()]


def test_reorder_rules_by_drag_and_by_keyboard(page, live_server, sign_in):
    live_server.run(lambda: _rules("Alpha", "Beta", "Gamma"))
    sign_in(page, "admin")
    page.goto(f"{live_server.url}/admin/settings/assignment")
    names = page.locator(".rule-name a")
    assert names.all_inner_texts() == ["Alpha", "Beta", "Gamma"]

    gamma = page.locator(".rule-row", has_text="Gamma").locator(".js-handle")
    gamma.drag_to(page.locator(".rule-row", has_text="Alpha"))
    expect(names).to_have_text(["Gamma", "Alpha", "Beta"])
    assert live_server.run(_order) == ["Gamma", "Alpha", "Beta"]
    page.screenshot(path="/tmp/assignment-rules.png", full_page=True)

    page.get_by_role("button", name="Move Beta up").focus()
    page.keyboard.press("Enter")
    expect(names).to_have_text(["Gamma", "Beta", "Alpha"])
    assert live_server.run(_order) == ["Gamma", "Beta", "Alpha"]
    # Focus stays on the button that was used, so the keyboard user can keep moving.
    expect(page.get_by_role("button", name="Move Beta up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(names).to_have_text(["Beta", "Gamma", "Alpha"])
    expect(page.get_by_role("button", name="Move Beta down")).to_be_focused()  # up is disabled
