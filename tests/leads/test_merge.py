"""Merging two leads, and undoing the merge."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from leadapp.errors import NotAllowed, RuleViolation
from leadapp.extensions import db
from leadapp.leads import conversion, merge
from leadapp.leads.models import Activity, ActivityKind, Comment, Lead, LeadContact
from tests.factories import CommentFactory, ContactFactory, LeadFactory, TagFactory, UserFactory


def _pair() -> tuple[Lead, Lead, dict[str, Any]]:
    kept = LeadFactory(title="Acme rollout", phone="", budget=Decimal("100.00"))
    other = LeadFactory(title="ACME roll-out (web form)", phone="+12025550143",
                        budget=Decimal("250.00"))
    shared, own = ContactFactory(), ContactFactory()
    db.session.add_all([LeadContact(lead=kept, contact=shared, is_primary=True),
                        LeadContact(lead=other, contact=shared, is_primary=True),
                        LeadContact(lead=other, contact=own, is_primary=False)])
    tag = TagFactory(name="webinar")
    other.tags.append(tag)
    db.session.commit()
    comment = CommentFactory(lead=other, body="Asked for a quote")
    return kept, other, {"comment": comment.id, "shared": shared.id, "own": own.id,
                         "tag": tag.id}


def _state(lead_id: int) -> dict[str, Any]:
    db.session.expire_all()
    lead = db.session.get(Lead, lead_id)
    return {"title": lead.title, "phone": lead.phone, "budget": lead.budget,
            "deleted": lead.deleted_at is not None,
            "links": sorted((link.contact_id, link.is_primary) for link in lead.contact_links),
            "comments": sorted(db.session.scalars(select(Comment.id).where(
                Comment.lead_id == lead.id))),
            "tags": sorted(tag.name for tag in lead.tags)}


def test_merge_leads_moves_children_takes_picked_fields_and_trashes_other(
        app_ctx: Flask) -> None:
    actor = UserFactory(role="manager")
    kept, other, ids = _pair()
    merge.merge_leads(kept, other, {"phone", "budget"}, actor)
    state = _state(kept.id)
    assert (state["title"], state["phone"], state["budget"]) == (
        "Acme rollout", "+12025550143", Decimal("250.00"))
    assert state["links"] == sorted([(ids["shared"], True), (ids["own"], False)])
    assert state["comments"] == [ids["comment"]] and state["tags"] == ["webinar"]
    assert _state(other.id)["deleted"]
    activity = db.session.scalar(select(Activity).where(Activity.lead_id == kept.id,
                                                        Activity.kind == ActivityKind.merged))
    assert activity.old_value == "ACME roll-out (web form)"


def test_undo_merge_splits_both_leads_back_as_they_were(app_ctx: Flask) -> None:
    actor = UserFactory(role="admin")
    kept, other, _ids = _pair()
    before = (_state(kept.id), _state(other.id))
    activity = merge.merge_leads(kept, other, {"phone", "budget", "title"}, actor)
    merge.undo_merge(db.session.get(Lead, kept.id), activity, actor)
    assert (_state(kept.id), _state(other.id)) == before
    assert merge.undoable_merges(db.session.get(Lead, kept.id)) == []


def test_merge_a_converted_lead_away_is_refused(app_ctx: Flask) -> None:
    actor = UserFactory(role="admin")
    kept, other = LeadFactory(), LeadFactory()
    conversion.convert_lead(other, conversion.default_plan(other), actor)
    with pytest.raises(RuleViolation, match="is converted"):
        merge.merge_leads(kept, other, set(), actor)


def test_merge_by_sales_is_not_allowed(app_ctx: Flask) -> None:
    sales = UserFactory(role="sales")
    kept, other = LeadFactory(owner=sales), LeadFactory(owner=sales)
    with pytest.raises(NotAllowed):
        merge.merge_leads(kept, other, set(), sales)


def test_merge_when_a_step_fails_changes_nothing(app_ctx: Flask,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    actor = UserFactory(role="admin")
    kept, other, _ids = _pair()
    before = (_state(kept.id), _state(other.id))

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(merge, "record", broken)
    with pytest.raises(RuntimeError):
        merge.merge_leads(db.session.get(Lead, kept.id), db.session.get(Lead, other.id),
                          {"phone"}, actor)
    assert (_state(kept.id), _state(other.id)) == before


# ---- routes -------------------------------------------------------------------------------------

def test_merge_page_side_by_side_proposes_filled_values(app: Flask, client: FlaskClient,
                                                        login: Any) -> None:
    login("manager")
    with app.app_context():
        kept, other, _ids = _pair()
        kept_id, other_id = kept.id, other.id
    response = client.get(f"/admin/leads/{kept_id}/merge?other={other_id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _radio(body, "phone", "other").endswith("checked>")  # kept one is empty
    assert _radio(body, "title", "kept").endswith("checked>")
    assert not _radio(body, "title", "other").endswith("checked>")
    assert "+12025550143" in body and "ACME roll-out (web form)" in body


def _radio(body: str, field: str, side: str) -> str:
    match = re.search(rf'<input type="radio" name="pick_{field}" value="{side}"[^>]*>', body)
    assert match, field
    return re.sub(r"\s+", " ", match.group(0))


def test_merge_page_without_other_suggests_matches_with_reasons(
        app: Flask, client: FlaskClient, login: Any) -> None:
    login("admin")
    with app.app_context():
        kept = LeadFactory(email="same@example.org")
        other = LeadFactory(email="SAME@example.org", title="Twin")
        kept_id, other_id = kept.id, other.id
    body = client.get(f"/admin/leads/{kept_id}/merge").get_data(as_text=True)
    assert f"?other={other_id}" in body and "same email" in body


def test_merge_post_then_undo_through_the_routes(app: Flask, hx: FlaskClient,
                                                 login: Any) -> None:
    login("admin", client_=hx)
    with app.app_context():
        kept, other, _ids = _pair()
        kept_id, other_id = kept.id, other.id
    response = hx.post(f"/admin/leads/{kept_id}/merge",
                       data={"other_id": other_id, "pick_phone": "other"})
    assert response.status_code == 204
    page = hx.get(f"/admin/leads/{kept_id}", headers={"HX-Boosted": "true"}).get_data(
        as_text=True)
    assert "was merged into this lead" in page and "Undo merge" in page
    with app.app_context():
        activity_id = merge.undoable_merges(db.session.get(Lead, kept_id))[0].id
        assert db.session.get(Lead, other_id).deleted_at is not None
    response = hx.post(f"/admin/leads/{kept_id}/merges/{activity_id}/undo")
    assert response.status_code == 204
    with app.app_context():
        assert db.session.get(Lead, other_id).deleted_at is None
        assert db.session.get(Lead, kept_id).phone == ""
    again = hx.post(f"/admin/leads/{kept_id}/merges/{activity_id}/undo")
    assert again.status_code == 409


def test_merge_post_into_itself_returns_422(app: Flask, hx: FlaskClient, login: Any) -> None:
    login("admin", client_=hx)
    with app.app_context():
        lead_id = LeadFactory().id
    response = hx.post(f"/admin/leads/{lead_id}/merge", data={"other_id": lead_id})
    assert response.status_code == 422
    assert "Pick another lead" in response.get_data(as_text=True)
