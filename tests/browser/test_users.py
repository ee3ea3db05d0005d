"""An admin creates a user, changes their role inline and deactivates them; the settings hub."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect
from sqlalchemy import select

from leadapp.auth.models import Role, User
from leadapp.extensions import db
from tests.browser.conftest import screenshot, wait_until


def stored(live_server, email: str) -> tuple[Role, bool]:
    def read() -> tuple[Role, bool]:
        user = db.session.scalar(select(User).where(User.email == email))
        return user.role, user.active

    return live_server.run(read)


def test_admin_creates_user_changes_role_and_deactivates(page, live_server, sign_in) -> None:
    sign_in(page, "admin", name="Ada Admin")
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(f"{live_server.url}/admin/users")
    page.get_by_role("link", name="New user").click()
    expect(page.get_by_role("heading", name="New user")).to_be_visible()

    # A short password comes back with a message next to the field and the typed values kept.
    page.get_by_label("Name").fill("Nico New")
    page.get_by_label("Email").fill(email.upper())
    page.get_by_label("Role").select_option("sales")
    page.get_by_label("Initial password").fill("short")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#password-error")).to_have_text("Use at least 8 characters.")
    expect(page.get_by_label("Name")).to_have_value("Nico New")
    screenshot(page, "users-new-invalid")

    page.get_by_label("Initial password").fill("long-enough-1")
    page.get_by_role("button", name="Create user").click()
    page.wait_for_url(f"{live_server.url}/admin/users")
    expect(page.get_by_text("Created Nico New (Sales)")).to_be_visible()
    row = page.locator("tr", has_text=email)
    expect(row).to_be_visible()

    row.get_by_label("Role of Nico New").select_option("manager")
    expect(row.get_by_label("Role of Nico New")).to_have_value("manager")
    wait_until(page,
        "() => !document.querySelector('.htmx-request')")  # the swap has landed
    assert stored(live_server, email) == (Role.manager, True)

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Deactivate Nico New").click()
    expect(row.get_by_text("Deactivated")).to_be_visible()
    assert stored(live_server, email) == (Role.manager, False)
    screenshot(page, "users-index")
    row.get_by_role("link", name="Edit Nico New").click()
    page.wait_for_url(re.compile(r".*/admin/users/\d+$"))
    expect(page.get_by_role("button", name="Reactivate Nico New")).to_be_visible()
    expect(page.locator(".topbar")).to_have_count(1)  # a whole page, not a page inside the row
    screenshot(page, "users-edit")


def test_role_change_without_javascript_uses_full_page_fallback(browser, live_server,
                                                               make_live_user) -> None:
    admin = make_live_user("admin")
    target = make_live_user("sales", name=f"Noel {uuid.uuid4().hex[:6]}")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        page.get_by_label("Email").fill(admin)
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/admin/users")
        row = page.locator("tr", has_text=target)
        row.locator("select[name=role]").select_option("marketeer")
        row.get_by_role("button", name="Save").click()
        page.wait_for_url(f"{live_server.url}/admin/users")
        expect(page.locator(".flash-success")).to_contain_text("Saved")
        assert stored(live_server, target) == (Role.marketeer, True)
    finally:
        context.close()


def test_settings_hub_shows_admin_links_and_saves_name(page, live_server, sign_in) -> None:
    sign_in(page, "admin", name="Hub Admin")
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{live_server.url}/admin/settings")
    expect(page.get_by_role("link", name="Users")).to_be_visible()
    expect(page.get_by_role("link", name="Teams")).to_be_visible()
    page.get_by_label("Name").fill("Hub Admin Renamed")
    page.get_by_role("button", name="Save name").click()
    expect(page.locator("#account-profile .acct-saved")).to_have_text("Your name is saved.")
    page.get_by_label("Current password").fill("wrong-password")
    page.get_by_label("New password").fill("another-pass-1")
    page.get_by_label("Repeat the password").fill("another-pass-1")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#current_password-error")).to_have_text(
        "That is not your current password.")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "settings-hub")


def test_teams_page_adds_member(page, live_server, sign_in, make_live_user) -> None:
    sign_in(page, "admin")
    member = make_live_user("sales", name=f"Tess {uuid.uuid4().hex[:6]}")  # the email
    page.goto(f"{live_server.url}/admin/teams")
    page.get_by_label("Team name").fill(f"Team {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    option = page.locator("#user_id option", has_text=member)
    page.get_by_label("Add a member").select_option(option.get_attribute("value"))
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#team-members .member-list")).to_contain_text(member)
    expect(page.locator("#team-delete")).to_contain_text("Only an empty team can be deleted")
    screenshot(page, "teams-detail")
    page.goto(f"{live_server.url}/admin/teams")
    screenshot(page, "teams-index")
