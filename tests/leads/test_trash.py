"""The trash: listing deleted leads, restore, and purge (admins only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from leadapp.extensions import db
from leadapp.leads import bulk
from leadapp.models import Activity, ActivityKind, Attachment, Comment, Lead, Opportunity
from tests.factories import LeadFactory, UserFactory


def body(response: Any) -> str:
    return response.get_data(as_text=True)


def trashed(app: Any, number: int = 1, **fields: Any) -> list[int]:
    with app.app_context():
        return [LeadFactory(deleted_at=datetime.now(UTC), **fields).id for _ in range(number)]


@pytest.mark.parametrize(("role", "status"), [
    ("sales", 403), ("marketeer", 403), ("manager", 200), ("admin", 200)])
def test_trash_page_is_for_roles_that_may_delete(app, client, login, role, status):
    login(role)
    assert client.get("/admin/leads/trash").status_code == status


def test_trash_page_lists_deleted_leads_only(app, client, hx, login):
    gone = trashed(app, title="Gone lead")[0]
    with app.app_context():
        live = LeadFactory(title="Live lead").id
    login("manager")
    html = body(client.get("/admin/leads/trash"))
    assert "<html" in html and f'id="lead-{gone}"' in html and f'id="lead-{live}"' not in html
    assert "Restore checked" in html and "Delete permanently" not in html  # managers cannot purge
    login("manager", client_=hx)
    partial = body(hx.get("/admin/leads/trash"))
    assert partial.startswith('<div id="trash-results">') and "<html" not in partial
    assert f'id="lead-{gone}"' not in body(client.get("/admin/leads"))


def test_trash_page_when_empty_says_how_leads_get_there(client, login):
    login("admin")
    html = body(client.get("/admin/leads/trash"))
    assert "The trash is empty." in html and "can be restored" in html


def test_restore_brings_leads_back_with_a_timeline_row(app, hx, login):
    ids = trashed(app, 2)
    login("manager", client_=hx)
    response = hx.post("/admin/leads/trash/restore", data={"lead_ids": ids})
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == "Restored 2 leads."
    assert "The trash is empty." in body(response)
    with app.app_context():
        assert all(db.session.get(Lead, i).deleted_at is None for i in ids)
        kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == ids[0])).all()
        assert kinds == [ActivityKind.restored]


def test_restore_without_checked_leads_says_so(app, hx, login):
    trashed(app)
    login("manager", client_=hx)
    response = hx.post("/admin/leads/trash/restore", data={})
    assert json.loads(response.headers["HX-Trigger"])["toast"] == {
        "level": "error", "message": "Check the leads to restore."}


def test_restore_without_htmx_redirects_to_the_trash(app, client, login):
    ids = trashed(app)
    login("admin")
    response = client.post("/admin/leads/trash/restore", data={"lead_ids": ids})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/leads/trash"


def test_purge_is_for_admins_only(app, hx, login):
    ids = trashed(app)
    login("manager", client_=hx)
    assert hx.post("/admin/leads/trash/purge", data={"lead_ids": ids}).status_code == 403
    with app.app_context():
        assert db.session.get(Lead, ids[0]) is not None


def test_purge_deletes_trashed_leads_with_their_rows_and_files(app, hx, login, tmp_path):
    upload_dir = Path(app.config["UPLOAD_DIR"])
    upload_dir.mkdir(parents=True, exist_ok=True)
    stored = upload_dir / "abc123"
    stored.write_bytes(b"file")
    with app.app_context():
        lead = LeadFactory(deleted_at=datetime.now(UTC))
        live = LeadFactory()
        db.session.add_all([
            Comment(lead_id=lead.id, body="hi"),
            Attachment(lead_id=lead.id, filename="a.txt", stored_name="abc123", size=4),
            Opportunity(name="Deal", lead=lead),
        ])
        db.session.commit()
        lead_id, live_id = lead.id, live.id
    login("admin", client_=hx)
    response = hx.post("/admin/leads/trash/purge", data={"lead_ids": [lead_id, live_id]})
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == (
        "Deleted 1 lead permanently.")
    with app.app_context():
        assert db.session.get(Lead, lead_id) is None
        assert db.session.get(Lead, live_id) is not None  # not in the trash: never purged
        assert db.session.scalar(select(Comment)) is None
        assert db.session.scalar(select(Opportunity.lead_id)) is None  # the deal survives
    assert not stored.exists()


def test_trash_service_hides_leads_everywhere_scoped(app_ctx):
    manager = UserFactory(role="manager")
    lead = LeadFactory()
    result = bulk.trash([lead.id], manager)
    assert result.message == "Moved 1 lead to the trash."
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).deleted_at is not None
    assert bulk.trash([lead.id], manager).done == 0  # already there
