"""The bell: unread count in the top bar, the keyboard opens the list, mark read, open the lead."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import LeadFactory, UserFactory


def _assign_to(email: str, title: str) -> int:
    from sqlalchemy import select

    from leadapp.extensions import db
    from leadapp.leads.services import update_field
    from leadapp.models import User

    owner = db.session.scalar(select(User).where(User.email == email))
    boss = UserFactory(role="manager", name="Mia Manager")
    lead = LeadFactory(title=title)
    update_field(lead, "owner_id", owner.id, lead.version, boss)
    return lead.id


def test_bell_counts_opens_by_keyboard_marks_read_and_opens_the_lead(page, live_server, sign_in):
    email = sign_in(page, "sales")
    live_server.run(lambda: _assign_to(email, "Bell check one"))
    lead_id = live_server.run(lambda: _assign_to(email, "Bell check two"))
    page.reload()
    bell = page.locator("#bell-summary")
    assert bell.get_attribute("aria-label") == "Notifications, 2 unread"
    assert page.locator(".bell-count").inner_text() == "2"

    bell.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#bell-panel")
    panel.locator(".note-text", has_text="Bell check two was assigned to you by Mia Manager.")\
        .wait_for()

    panel.get_by_role("button", name="Mark read: Bell check one was assigned to you by Mia "
                                       "Manager.").click()
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")

    panel.get_by_role("button", name="Open lead: Bell check two").click()
    page.wait_for_url(f"**/admin/leads/{lead_id}")
    assert page.locator("#bell-summary").get_attribute("aria-label") == \
        "Notifications, none unread"

