"""Routes of the lead page: click-to-edit, conflicts, timeline, comments, files, contacts,
stage bar and delete."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.models import Activity, ActivityKind, Attachment, Comment, Lead, LeadContact
from tests.factories import ContactFactory, LeadFactory, UserFactory, loss_reason

HX = {"HX-Request": "true"}


def _lead(app, **fields) -> int:
    with app.app_context():
        return LeadFactory(**fields).id


def test_detail_full_page_shows_fields_stage_bar_and_sections(app, client, login):
    login("admin")
    lead_id = _lead(app, title="Big deal", city="Porto")
    response = client.get(f"/admin/leads/{lead_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    for dom_id in ("title", "city", "email", "stage", "timeline", "comments", "attachments",
                   "contacts"):
        assert f'id="lead-{lead_id}-{dom_id}"' in html
    assert 'aria-current="step"' in html


def test_detail_lead_of_another_sales_rep_is_404(app, client, login):
    login("sales")
    with app.app_context():
        lead_id = LeadFactory(owner=UserFactory(role="sales")).id
    assert client.get(f"/admin/leads/{lead_id}").status_code == 404
    assert client.get(f"/admin/leads/{lead_id}/fields/title/edit").status_code == 404


def test_field_form_partial_renders_input_with_version(app, client, login):
    login("admin")
    lead_id = _lead(app, city="Porto")
    response = client.get(f"/admin/leads/{lead_id}/fields/city/edit", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert f'id="lead-{lead_id}-city"' in html and 'value="Porto"' in html
    assert 'name="version"' in html and "hx-put" in html


def test_update_field_saves_and_returns_display_with_trigger(app, client, login):
    login("admin")
    lead_id = _lead(app, city="Porto")
    response = client.put(f"/admin/leads/{lead_id}/fields/city", headers=HX,
                          data={"value": "Lisbon", "version": 1})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Lisbon" in html and "<form" not in html
    assert response.headers["HX-Trigger"] == "lead-changed"
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.city == "Lisbon" and lead.version == 2
        row = db.session.scalar(select(Activity).where(Activity.lead_id == lead_id))
        assert (row.field, row.old_value, row.new_value) == ("city", "Porto", "Lisbon")


def test_update_field_invalid_returns_422_with_typed_value(app, client, login):
    login("admin")
    lead_id = _lead(app)
    response = client.put(f"/admin/leads/{lead_id}/fields/email", headers=HX,
                          data={"value": "not-an-email", "version": 1})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="not-an-email"' in html and 'class="error"' in html
    empty = client.put(f"/admin/leads/{lead_id}/fields/title", headers=HX,
                       data={"value": "", "version": 1})
    assert empty.status_code == 422 and "cannot be empty" in empty.get_data(as_text=True)


def test_field_form_without_htmx_is_a_full_page_posting_to_the_plain_save(app, client, login):
    login("admin")
    lead_id = _lead(app, city="Porto")
    html = client.get(f"/admin/leads/{lead_id}/fields/city/edit").get_data(as_text=True)
    assert "<html" in html and "Edit city" in html
    assert f'method="post" action="/admin/leads/{lead_id}/fields/city"' in html
    assert 'name="csrf_token"' in html


def test_save_field_plain_post_saves_and_redirects_to_the_lead(app, client, login):
    login("admin")
    lead_id = _lead(app, city="Porto")
    response = client.post(f"/admin/leads/{lead_id}/fields/city",
                           data={"value": "Lisbon", "version": 1})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/leads/{lead_id}#lead-{lead_id}-city")
    with app.app_context():
        assert db.session.get(Lead, lead_id).city == "Lisbon"


def test_save_field_plain_post_invalid_shows_full_page_with_typed_value(app, client, login):
    login("admin")
    lead_id = _lead(app)
    response = client.post(f"/admin/leads/{lead_id}/fields/email",
                           data={"value": "not-an-email", "version": 1})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in html
    assert 'value="not-an-email"' in html and 'class="error"' in html


def test_update_field_stale_version_returns_409_with_current_value_and_author(app, client,
                                                                              login):
    login("admin")
    lead_id = _lead(app, city="Porto")
    with app.app_context():
        from leadapp.leads import services

        other = UserFactory(role="manager", name="Maria Manager")
        services.update_field(db.session.get(Lead, lead_id), "city", "Faro", 1, other)
    response = client.put(f"/admin/leads/{lead_id}/fields/city", headers=HX,
                          data={"value": "Braga", "version": 1})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Faro" in html and "Maria Manager" in html and 'value="Braga"' in html
    assert re.search(r'name="version" type="hidden" value="2"|value="2"[^>]*name="version"', html)
    again = client.put(f"/admin/leads/{lead_id}/fields/city", headers=HX,
                       data={"value": "Braga", "version": 2})
    assert again.status_code == 200 and "Braga" in again.get_data(as_text=True)


def test_update_field_unknown_field_is_404(app, client, login):
    login("admin")
    lead_id = _lead(app)
    assert client.put(f"/admin/leads/{lead_id}/fields/version", headers=HX,
                      data={"value": "9"}).status_code == 404


def test_timeline_second_page_partial_lists_older_items(app, client, login):
    login("admin")
    lead_id = _lead(app)
    with app.app_context():
        from leadapp.leads import services

        lead, actor = db.session.get(Lead, lead_id), UserFactory()
        for number in range(22):
            services.update_field(lead, "city", f"C{number}", None, actor)
    first = client.get(f"/admin/leads/{lead_id}/timeline", headers=HX).get_data(as_text=True)
    assert f'id="lead-{lead_id}-timeline"' in first and "Show older activity" in first
    second = client.get(f"/admin/leads/{lead_id}/timeline?page=2", headers=HX)
    html = second.get_data(as_text=True)
    assert "C1" in html and "C0" in html and "C21" not in html and "<section" not in html


def test_add_comment_escapes_html_and_links_urls(app, client, login):
    login("sales")
    lead_id = _lead(app)
    response = client.post(f"/admin/leads/{lead_id}/comments", headers=HX, data={
        "body": "<script>alert(1)</script> see https://example.com/a?b=1&c=2."})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "lead-changed"
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener noreferrer"' in html
    empty = client.post(f"/admin/leads/{lead_id}/comments", headers=HX, data={"body": "  "})
    assert empty.status_code == 422 and "Write something" in empty.get_data(as_text=True)


def test_add_comment_without_js_redirects_to_lead_page(app, client, login):
    login("admin")
    lead_id = _lead(app)
    response = client.post(f"/admin/leads/{lead_id}/comments", data={"body": "Plain post"})
    assert response.status_code == 303 and f"/admin/leads/{lead_id}#" in response.headers[
        "Location"]


def test_edit_comment_of_another_user_as_sales_is_403(app, client, login):
    login("sales")
    lead_id = _lead(app)
    with app.app_context():
        comment = Comment(lead_id=lead_id, author=UserFactory(role="sales"), body="theirs")
        db.session.add(comment)
        db.session.commit()
        comment_id = comment.id
    url = f"/admin/leads/{lead_id}/comments/{comment_id}"
    assert client.get(url + "/edit", headers=HX).status_code == 403
    assert client.put(url, headers=HX, data={"body": "mine now"}).status_code == 403
    assert client.delete(url, headers=HX).status_code == 403


def test_edit_and_delete_own_comment(app, client, login):
    login("sales")
    lead_id = _lead(app)
    client.post(f"/admin/leads/{lead_id}/comments", headers=HX, data={"body": "first"})
    with app.app_context():
        comment_id = db.session.scalar(select(Comment.id))
    url = f"/admin/leads/{lead_id}/comments/{comment_id}"
    assert "first" in client.get(url + "/edit", headers=HX).get_data(as_text=True)
    edited = client.put(url, headers=HX, data={"body": "second"})
    assert edited.status_code == 200 and "second" in edited.get_data(as_text=True)
    assert client.delete(url, headers=HX).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Comment)) is None


def test_upload_and_download_attachment_as_attachment(app, client, login):
    login("admin")
    lead_id = _lead(app)
    response = client.post(f"/admin/leads/{lead_id}/attachments", headers=HX,
                           data={"file": (io.BytesIO(b"hello"), "quote 1.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "quote_1.pdf" in response.get_data(as_text=True)
    with app.app_context():
        item = db.session.scalar(select(Attachment))
        attachment_id, stored = item.id, item.stored_name
    assert stored != "quote_1.pdf" and len(stored) == 32
    download = client.get(f"/admin/leads/{lead_id}/attachments/{attachment_id}")
    assert download.status_code == 200 and download.data == b"hello"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    download.close()
    assert client.delete(f"/admin/leads/{lead_id}/attachments/{attachment_id}",
                         headers=HX).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Attachment)) is None


def test_upload_over_the_limit_is_refused_with_message(app, client, login):
    app.config["LEAD_ATTACHMENT_MAX_BYTES"] = 10
    login("admin")
    lead_id = _lead(app)
    response = client.post(f"/admin/leads/{lead_id}/attachments", headers=HX,
                           data={"file": (io.BytesIO(b"x" * 11), "big.bin")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "The file is too big: the limit is 10 bytes." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Attachment)) is None


def test_upload_over_max_content_length_gets_clear_message(app, client, login):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    login("admin")
    lead_id = _lead(app)
    response = client.post(f"/admin/leads/{lead_id}/attachments", headers=HX,
                           data={"file": (io.BytesIO(b"x" * 5000), "big.bin")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "too big" in response.get_data(as_text=True)


def test_download_by_sales_rep_who_cannot_see_lead_is_404(app, client, login):
    login("sales")
    with app.app_context():
        lead = LeadFactory(owner=UserFactory(role="sales"))
        item = Attachment(lead_id=lead.id, filename="a.txt", stored_name="f" * 32, size=1)
        db.session.add(item)
        db.session.commit()
        url = f"/admin/leads/{lead.id}/attachments/{item.id}"
    assert client.get(url).status_code == 404


def test_contacts_add_new_existing_set_primary_and_remove(app, client, login):
    login("admin")
    lead_id = _lead(app)
    with app.app_context():
        existing_id = ContactFactory(first_name="Ann", last_name="Lee").id
    base = f"/admin/leads/{lead_id}/contacts"
    new = client.post(base, headers=HX, data={"first_name": "Bo", "last_name": "Ray",
                                              "phone": "202 555 0100"})
    assert new.status_code == 200 and "Bo Ray" in new.get_data(as_text=True)
    added = client.post(base, headers=HX, data={"contact_id": existing_id})
    assert "Ann Lee" in added.get_data(as_text=True)
    with app.app_context():
        links = db.session.scalars(select(LeadContact).where(LeadContact.lead_id == lead_id)
                                   .order_by(LeadContact.id)).all()
        first_id, second_id = links[0].id, links[1].id
        assert links[0].is_primary and links[0].contact.phone == "+12025550100"
    assert client.post(f"{base}/{second_id}/primary", headers=HX).status_code == 200
    refused = client.delete(f"{base}/{second_id}", headers=HX)
    assert refused.status_code == 422 and "Make another contact primary" in refused.get_data(
        as_text=True)
    assert client.delete(f"{base}/{first_id}", headers=HX).status_code == 200
    with app.app_context():
        rows = db.session.scalars(select(LeadContact).where(LeadContact.lead_id == lead_id)).all()
        assert [(row.id, row.is_primary) for row in rows] == [(second_id, True)]


def test_contacts_add_new_without_names_is_422_and_keeps_values(app, client, login):
    login("admin")
    lead_id = _lead(app)
    response = client.post(f"/admin/leads/{lead_id}/contacts", headers=HX,
                           data={"first_name": "", "last_name": "", "email": "kept@x.io"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="kept@x.io"' in html
    assert "Enter the first and last name" in html


def test_move_stage_open_then_lost_requires_reason_and_sets_closing_date(app, client, login):
    login("admin")
    lead_id = _lead(app)
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        in_process = lead.pipeline.stages[2].id
        lost = next(stage.id for stage in lead.pipeline.stages if stage.kind.value == "lost")
        reason_id = loss_reason().id
    moved = client.post(f"/admin/leads/{lead_id}/stage", headers=HX,
                        data={"stage_id": in_process, "version": 1})
    assert moved.status_code == 200 and moved.headers["HX-Trigger"] == "lead-changed"
    asked = client.get(f"/admin/leads/{lead_id}/stage/{lost}/lost", headers=HX)
    assert "Loss reason" in asked.get_data(as_text=True)
    missing = client.post(f"/admin/leads/{lead_id}/stage", headers=HX,
                          data={"stage_id": lost, "version": 2, "closing_comment": "meh"})
    assert missing.status_code == 422 and "meh" in missing.get_data(as_text=True)
    done = client.post(f"/admin/leads/{lead_id}/stage", headers=HX, data={
        "stage_id": lost, "version": 2, "loss_reason_id": reason_id, "closing_comment": "meh"})
    assert done.status_code == 200
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.stage_id == lost and lead.closing_date is not None
        assert lead.loss_reason_id == reason_id


def test_move_stage_stale_version_is_409(app, client, login):
    login("admin")
    lead_id = _lead(app)
    with app.app_context():
        stage_id = db.session.get(Lead, lead_id).pipeline.stages[1].id
    response = client.post(f"/admin/leads/{lead_id}/stage", headers=HX,
                           data={"stage_id": stage_id, "version": 0})
    assert response.status_code == 409 and 'role="alert"' in response.get_data(as_text=True)


def test_delete_moves_lead_to_trash_and_redirects(app, client, login):
    login("manager")
    lead_id = _lead(app)
    response = client.post(f"/admin/leads/{lead_id}/delete", headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/leads"
    with app.app_context():
        assert db.session.get(Lead, lead_id).deleted_at is not None
        kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead_id))
        assert ActivityKind.deleted in list(kinds)


def test_delete_as_sales_is_403(app, client, login):
    login("sales")
    lead_id = _lead(app)
    response = client.post(f"/admin/leads/{lead_id}/delete", headers=HX)
    assert response.status_code == 403
    assert json.loads(response.headers["HX-Trigger"])["toast"]["level"] == "error"


def _detail_queries(app, client, lead_id: int) -> int:
    from sqlalchemy import event

    count = [0]

    def counter(*_args) -> None:
        count[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(f"/admin/leads/{lead_id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count[0]


def test_detail_query_count_does_not_grow_with_comments_and_authors(app, client, login):
    login("admin")
    lead_id = _lead(app)

    def add_comments(number: int) -> None:
        with app.app_context():
            from leadapp.leads import services

            lead = db.session.get(Lead, lead_id)
            for index in range(number):
                services.add_comment(lead, f"note {index}", UserFactory())

    add_comments(2)
    few = _detail_queries(app, client, lead_id)
    add_comments(10)
    assert _detail_queries(app, client, lead_id) == few
