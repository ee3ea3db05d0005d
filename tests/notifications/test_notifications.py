"""In-app notifications: who is told about an assignment, the bell, reading them."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.leads import bulk
from leadapp.leads.services import update_field
from leadapp.models import Lead, Notification, NotificationKind, User
from tests.factories import LeadFactory, UserFactory


def _notes(user_id: int) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)))


def test_click_to_edit_owner_notifies_the_new_owner(app_ctx):
    boss, ann = UserFactory(role="manager", name="Boss"), UserFactory(name="Ann")
    lead = LeadFactory(title="Acme deal")
    update_field(lead, "owner_id", ann.id, lead.version, boss)
    (note,) = _notes(ann.id)
    assert note.kind == NotificationKind.assigned and note.lead_id == lead.id
    assert note.text == "Acme deal was assigned to you by Boss." and note.read_at is None


def test_assigning_to_yourself_makes_no_notification(app_ctx):
    boss = UserFactory(role="manager")
    lead = LeadFactory()
    update_field(lead, "owner_id", boss.id, lead.version, boss)
    assert db.session.get(Lead, lead.id).owner_id == boss.id and _notes(boss.id) == []


def test_unassigning_makes_no_notification(app_ctx):
    boss, ann = UserFactory(role="manager"), UserFactory()
    lead = LeadFactory(owner=ann)
    update_field(lead, "owner_id", "", lead.version, boss)
    assert db.session.scalars(select(Notification)).all() == []


def test_bulk_assign_sends_one_summary(app_ctx):
    boss, ann = UserFactory(role="manager", name="Boss"), UserFactory()
    leads = [LeadFactory() for _ in range(3)]
    bulk.assign_owner([lead.id for lead in leads], ann, boss)
    (note,) = _notes(ann.id)
    assert (note.kind, note.count, note.text) == (NotificationKind.bulk_assigned, 3,
                                                  "3 leads assigned to you by Boss.")


def test_lead_form_edit_of_owner_notifies(app, client, login):
    login("admin", name="Admin")
    with app.app_context():
        ann = UserFactory().id
        lead = LeadFactory(title="Form lead")
        lead_id, version = lead.id, lead.version
    response = client.post(f"/admin/leads/{lead_id}/fields/owner_id",
                           data={"value": ann, "version": version})
    assert response.status_code in (200, 303), response.status_code
    with app.app_context():
        assert [note.text for note in _notes(ann)] == ["Form lead was assigned to you by Admin."]


def test_bell_partial_counts_unread_and_stops_for_signed_out_tabs(app, hx, login):
    assert hx.get("/admin/notifications/bell").status_code == 286
    user_id = login("sales", hx)
    with app.app_context():
        for text in ("one", "two"):
            db.session.add(Notification(user_id=user_id, kind=NotificationKind.assigned,
                                        text=text))
        db.session.add(Notification(user_id=UserFactory().id, kind=NotificationKind.assigned,
                                    text="someone else's"))
        db.session.commit()
    html = hx.get("/admin/notifications/bell").get_data(as_text=True)
    assert 'aria-label="Notifications, 2 unread"' in html and 'data-count="2"' in html
    assert 'hx-trigger="every 30s"' in html


def test_menu_mark_read_and_mark_all_read(app, hx, login):
    user_id = login("sales", hx)
    with app.app_context():
        lead = LeadFactory(owner=db.session.get(User, user_id))
        first = Notification(user_id=user_id, kind=NotificationKind.assigned, lead=lead,
                             text="First lead")
        second = Notification(user_id=user_id, kind=NotificationKind.assigned, text="Second")
        db.session.add_all([first, second])
        db.session.commit()
        first_id, lead_id = first.id, lead.id
    menu = hx.get("/admin/notifications/menu").get_data(as_text=True)
    assert "First lead" in menu and "Mark all read" in menu
    response = hx.post(f"/admin/notifications/{first_id}/read", data={"from": "menu"})
    html = response.get_data(as_text=True)
    assert 'hx-swap-oob="true"' in html and "Notifications, 1 unread" in html
    response = hx.post("/admin/notifications/read-all", data={"from": "menu"})
    assert "Notifications, none unread" in response.get_data(as_text=True)
    with app.app_context():
        assert all(note.read_at for note in _notes(user_id))
    opened = hx.post(f"/admin/notifications/{first_id}/open")
    assert opened.status_code == 303 and opened.location.endswith(f"/admin/leads/{lead_id}")


def test_someone_elses_notification_is_404(app, client, login):
    login("sales")
    with app.app_context():
        other = Notification(user_id=UserFactory().id, kind=NotificationKind.assigned, text="x")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    assert client.post(f"/admin/notifications/{other_id}/read").status_code == 404


def test_page_lists_newest_first_and_top_bar_has_the_bell(app, client, login):
    user_id = login("sales")
    with app.app_context():
        for text in ("older", "newer"):
            db.session.add(Notification(user_id=user_id, kind=NotificationKind.assigned,
                                        text=text))
            db.session.commit()
    html = client.get("/admin/notifications").get_data(as_text=True)
    assert html.index("newer") < html.index("older")
    assert 'id="bell-summary"' in html and "2 unread" in html


def test_capture_form_owner_is_told_which_form(app, make_form, post_form):
    with app.app_context():
        ann = UserFactory().id
    made = make_form(name="Contact us", owner_id=ann)
    post_form(made.public_key, {"first_name": "Zoe", "email": "zoe@example.org"})
    with app.app_context():
        (note,) = _notes(ann)
        assert note.text == "Contact us: Zoe was assigned to you by the capture form “Contact us”."


def test_api_patch_of_owner_notifies_the_new_owner(app, api):
    with app.app_context():
        ann = UserFactory().id
        lead_id = LeadFactory(title="API lead").id
    response = api("patch", f"/api/leads/{lead_id}", json={"owner": ann})
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        (note,) = _notes(ann)
        assert note.lead_id == lead_id and note.text.startswith("API lead was assigned to you by")
