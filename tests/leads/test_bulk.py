"""Bulk actions: the set-based services and the confirm-then-apply routes."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from leadapp.errors import RuleViolation
from leadapp.extensions import db
from leadapp.leads import bulk, listing
from leadapp.models import (
    Activity,
    ActivityKind,
    Lead,
    Pipeline,
    Stage,
    StageHistory,
    StageKind,
    Tag,
    User,
)
from tests.factories import LeadFactory, TagFactory, UserFactory, loss_reason
from tests.leads.test_listing import build_dataset, stage_named


def body(response: Any) -> str:
    return response.get_data(as_text=True)


def activities(lead_id: int, kind: ActivityKind) -> list[Activity]:
    return list(db.session.scalars(select(Activity).where(
        Activity.lead_id == lead_id, Activity.kind == kind).order_by(Activity.id)))


@pytest.fixture
def admin(app_ctx: Any) -> User:
    return UserFactory(role="admin", name="Boss")


# --- Services --------------------------------------------------------------------------------


def test_assign_owner_updates_bumps_version_and_logs_once_per_change(admin):
    new_owner = UserFactory(name="Nina")
    leads = [LeadFactory(owner=None), LeadFactory(owner=new_owner), LeadFactory(owner=admin)]
    versions = [lead.version for lead in leads]
    ids = [lead.id for lead in leads]
    result = bulk.assign_owner(ids, new_owner, admin)
    assert (result.done, result.skipped) == (2, 1)
    assert result.message == (
        "Assigned 2 leads to Nina. 1 lead skipped: they already had that owner.")
    db.session.expire_all()
    assert {db.session.get(Lead, lead_id).owner_id for lead_id in ids} == {new_owner.id}
    assert [db.session.get(Lead, i).version for i in ids] == [versions[0] + 1, versions[1],
                                                                versions[2] + 1]
    logged = activities(ids[2], ActivityKind.assigned)
    assert [(a.field, a.old_value, a.new_value, a.actor_id) for a in logged] == [
        ("owner", "Boss", "Nina", admin.id)]
    assert activities(ids[1], ActivityKind.assigned) == []


def test_assign_owner_none_unassigns(admin):
    lead = LeadFactory(owner=admin)
    result = bulk.assign_owner([lead.id], None, admin)
    db.session.expire_all()
    assert result.done == 1 and db.session.get(Lead, lead.id).owner_id is None
    assert activities(lead.id, ActivityKind.assigned)[0].new_value == ""


def test_assign_owner_to_deactivated_user_is_refused(admin):
    gone = UserFactory(active=False)
    with pytest.raises(RuleViolation) as error:
        bulk.assign_owner([LeadFactory().id], gone, admin)
    assert error.value.field == "owner"


def test_bulk_never_touches_leads_the_actor_cannot_see(admin):
    sales = UserFactory(role="sales")
    other = UserFactory(role="sales")
    hidden = LeadFactory(owner=other)
    result = bulk.add_tag([hidden.id], "x", sales)
    assert result.done == 0
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_move_to_stage_moves_many_with_history_and_closing_date(admin):
    leads = [LeadFactory(), LeadFactory(), LeadFactory(stage=stage_named("Closed"))]
    ids = [lead.id for lead in leads]
    closed = stage_named("Closed")
    reason = loss_reason("No budget")
    result = bulk.move_to_stage(ids, closed, admin, loss_reason=reason, closing_comment=" late ")
    assert (result.done, result.skipped) == (2, 1)
    db.session.expire_all()
    moved = db.session.get(Lead, ids[0])
    assert moved.stage_id == closed.id and moved.loss_reason_id == reason.id
    assert moved.closing_date is not None and moved.closing_comment == "late"
    history = db.session.scalars(select(StageHistory).where(StageHistory.lead_id == ids[0])
                                 .order_by(StageHistory.id)).all()
    assert [row.stage_id for row in history][-1] == closed.id
    assert history[-1].left_at is None
    assert all(row.left_at is not None for row in history[:-1])
    logged = activities(ids[0], ActivityKind.stage_moved)
    assert [(a.old_value, a.new_value) for a in logged] == [("New", "Closed")]


def test_move_to_lost_stage_without_reason_is_refused(admin):
    ids = [LeadFactory().id, LeadFactory().id]
    with pytest.raises(RuleViolation) as error:
        bulk.move_to_stage(ids, stage_named("Closed"), admin)
    assert error.value.field == "loss_reason"


def test_move_to_stage_skips_other_pipelines_and_converted_leads(admin):
    other = Pipeline(name="Partners")
    other.stages = [Stage(name="Intro", kind=StageKind.open, position=0),
                    Stage(name="Signed", kind=StageKind.won, position=1),
                    Stage(name="Dropped", kind=StageKind.lost, position=2)]
    db.session.add(other)
    db.session.commit()
    foreign = LeadFactory(pipeline=other, stage=other.stages[0])
    converted = LeadFactory(converted_at=func.now())
    plain = LeadFactory()
    result = bulk.move_to_stage([foreign.id, converted.id, plain.id], stage_named("Assigned"),
                                admin)
    assert (result.done, result.skipped) == (1, 2)
    db.session.expire_all()
    assert db.session.get(Lead, foreign.id).stage_id == other.stages[0].id


def test_move_one_lead_uses_the_board_rules(admin):
    lead = LeadFactory(converted_at=func.now())
    with pytest.raises(RuleViolation, match="converted lead stays"):
        bulk.move_to_stage([lead.id], stage_named("Assigned"), admin)


def test_add_tag_creates_the_tag_once_and_skips_tagged_leads(admin):
    vip = TagFactory(name="VIP")
    tagged, plain = LeadFactory(tags=[vip]), LeadFactory()
    result = bulk.add_tag([tagged.id, plain.id], " vip ", admin)
    assert result.message == "Tagged 1 lead “VIP”. 1 lead skipped: they had it already."
    result = bulk.add_tag([plain.id], "brand  new", admin)
    assert result.done == 1
    db.session.expire_all()
    assert {tag.name for tag in db.session.get(Lead, plain.id).tags} == {"brand new", "VIP"}
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 2
    assert [a.new_value for a in activities(plain.id, ActivityKind.field_changed)] == [
        "+ VIP", "+ brand new"]


def test_remove_tag_takes_it_off_and_logs(admin):
    vip = TagFactory(name="vip")
    tagged, plain = LeadFactory(tags=[vip]), LeadFactory()
    version = tagged.version
    result = bulk.remove_tag([tagged.id, plain.id], "VIP", admin)
    assert (result.done, result.skipped) == (1, 1)
    db.session.expire_all()
    assert db.session.get(Lead, tagged.id).tags == []
    assert db.session.get(Lead, tagged.id).version == version + 1
    with pytest.raises(RuleViolation, match="No lead is tagged"):
        bulk.remove_tag([plain.id], "unknown", admin)


def test_bulk_with_all_matching_subquery_changes_every_match(admin):
    data = build_dataset()
    filters = listing.parse_filters(MultiDict({"source": str(data["web"]), "converted": "1"}))
    result = bulk.add_tag(listing.matching_ids(filters, admin), "web-lead", admin)
    assert result.done == 2  # Alpha and Gamma; Delta is in the trash
    tagged = db.session.scalars(select(Lead.title).join(Lead.tags)
                                .where(Tag.name == "web-lead").order_by(Lead.title)).all()
    assert tagged == ["Alpha deal", "Gamma rollout"]


# --- Routes ----------------------------------------------------------------------------------


def make_leads(app: Any, number: int, **fields: Any) -> list[int]:
    with app.app_context():
        return [LeadFactory(**fields).id for _ in range(number)]


def test_bulk_confirm_names_the_action_and_count(app, hx, login):
    ids = make_leads(app, 3)
    login("admin", client_=hx)
    with app.app_context():
        owner = UserFactory(name="Olga")
        owner_id = owner.id
    response = hx.post("/admin/leads/bulk/confirm", data={
        "action": "assign", "scope": "checked", "lead_ids": ids[:2], "to_owner": owner_id,
        "q": "", "sort": "created"})
    html = body(response)
    assert response.status_code == 200
    assert "Assign 2 checked leads to Olga?" in html and "Yes, assign 2 leads" in html
    assert f'<input type="hidden" name="lead_ids" value="{ids[0]}">' in html
    with app.app_context():
        assert db.session.get(Lead, ids[0]).owner_id is None  # nothing changed yet


def test_bulk_confirm_without_checked_rows_explains_what_to_do(app, hx, login):
    make_leads(app, 2)
    login("admin", client_=hx)
    response = hx.post("/admin/leads/bulk/confirm", data={"action": "delete", "scope": "checked"})
    assert response.status_code == 422
    assert "Check the leads to change, or choose “All matching”." in body(response)


def test_bulk_confirm_without_required_choice_answers_422(app, hx, login):
    ids = make_leads(app, 2)
    login("admin", client_=hx)
    response = hx.post("/admin/leads/bulk/confirm", data={
        "action": "stage", "scope": "checked", "lead_ids": ids,
        "to_stage": str(_stage_id(app, "Closed"))})
    assert response.status_code == 422
    assert "Choose a loss reason for leads moved to a lost stage." in body(response)
    response = hx.post("/admin/leads/bulk/confirm", data={
        "action": "add_tag", "scope": "checked", "lead_ids": ids, "tag_name": " "})
    assert response.status_code == 422 and "Enter a tag." in body(response)


def _stage_id(app: Any, name: str) -> int:
    with app.app_context():
        return stage_named(name).id


def test_bulk_apply_all_matching_trashes_every_match_and_rerenders(app, hx, login):
    keep = make_leads(app, 1, city="Paris")
    doomed = make_leads(app, 3, city="Rome")
    login("manager", client_=hx)
    confirm = hx.post("/admin/leads/bulk/confirm", data={
        "action": "delete", "scope": "all", "city": "rome"})
    assert "Move all 3 matching leads to the trash?" in body(confirm)
    response = hx.post("/admin/leads/bulk", data={
        "action": "delete", "scope": "all", "query": "city=rome"})
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#lead-results"
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == (
        "Moved 3 leads to the trash.")
    assert "No leads match these filters." in body(response)
    assert '<div id="bulk-panel" class="bulk-panel" aria-live="polite" hx-swap-oob="true">' in body(
        response)
    with app.app_context():
        assert all(db.session.get(Lead, i).deleted_at is not None for i in doomed)
        assert db.session.get(Lead, keep[0]).deleted_at is None
        assert len(activities(doomed[0], ActivityKind.deleted)) == 1


def test_bulk_apply_without_htmx_redirects_with_a_flash(app, client, login):
    ids = make_leads(app, 2)
    login("admin")
    response = client.post("/admin/leads/bulk", data={
        "action": "add_tag", "scope": "checked", "lead_ids": ids, "tag_name": "hot",
        "query": "sort=title&dir=asc"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/leads?sort=title&dir=asc"
    assert "Tagged 2 leads “hot”." in body(client.get(response.headers["Location"]))


def test_bulk_apply_rule_violation_shows_in_the_panel(app, hx, login):
    with app.app_context():
        lead_id = LeadFactory(converted_at=func.now()).id
    login("admin", client_=hx)
    response = hx.post("/admin/leads/bulk", data={
        "action": "stage", "scope": "checked", "lead_ids": [lead_id],
        "to_stage": str(_stage_id(app, "Assigned"))})
    assert response.status_code == 422
    assert "A converted lead stays in the won stage." in body(response)


@pytest.mark.parametrize(("role", "action", "status"), [
    ("sales", "assign", 403), ("sales", "delete", 403), ("sales", "export", 403),
    ("marketeer", "delete", 403), ("marketeer", "add_tag", 403), ("marketeer", "export", 200),
    ("manager", "assign", 200),
])
def test_bulk_actions_follow_the_permission_matrix(app, hx, login, role, action, status):
    ids = make_leads(app, 1)
    login(role, client_=hx)
    response = hx.post("/admin/leads/bulk/confirm", data={
        "action": action, "scope": "checked", "lead_ids": ids, "to_owner": "none"})
    assert response.status_code == status


def _export_form(html: str) -> tuple[str, list[tuple[str, str]]]:
    """The confirm panel's export form: (action, its hidden fields)."""
    form = re.search(r'<form method="get" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert form, html
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2))
    return form.group(1), fields


def test_bulk_export_of_checked_leads_goes_to_the_exporter_with_their_ids(app, hx, login):
    with app.app_context():
        evil = LeadFactory(title="=HYPERLINK(\"http://x\")", first_name="+Bob", email="a@b.c",
                           tags=[TagFactory(name="@tag")])
        other = LeadFactory(title="Other")
        evil_id, other_id = evil.id, other.id
    login("marketeer", client_=hx)
    panel = hx.post("/admin/leads/bulk/confirm", data={
        "action": "export", "scope": "checked", "lead_ids": [evil_id]})
    assert panel.status_code == 200 and "CSV or Excel" in body(panel)
    action, fields = _export_form(body(panel))
    assert action == "/admin/leads/export" and fields == [("lead_ids", str(evil_id))]
    page = hx.get(action, query_string=fields)
    assert page.status_code == 200 and "selected on the lead list" in body(page)
    assert 'name="format" value="xlsx"' in body(page)
    response = hx.get("/admin/leads/export/file", query_string=[
        *fields, ("columns", "id"), ("columns", "title"), ("columns", "first_name"),
        ("columns", "tags"), ("format", "csv")])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="leads-selection-' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body(response).lstrip("\ufeff"))))
    assert rows == [["Lead ID", "Title", "First name", "Tags"],
                    [str(evil_id), "'=HYPERLINK(\"http://x\")", "'+Bob", "'@tag"]]
    assert str(other_id) not in body(response)


def test_bulk_export_of_all_matching_hands_the_filter_to_the_exporter(app, hx, login):
    make_leads(app, 2, city="Oslo")
    make_leads(app, 1, city="Lima")
    login("admin", client_=hx)
    panel = hx.post("/admin/leads/bulk/confirm", data={
        "action": "export", "scope": "all", "query": "city=oslo"})
    _action, fields = _export_form(body(panel))
    assert fields == [("city", "oslo")]
    response = hx.get("/admin/leads/export/file", query_string=[
        *fields, ("columns", "city"), ("format", "xlsx")])
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["City", "Oslo", "Oslo"]


def test_old_bulk_export_post_redirects_to_the_export_page(app, client, login):
    ids = make_leads(app, 2)
    login("marketeer")
    response = client.post("/admin/leads/bulk/export", data={
        "action": "export", "scope": "checked", "lead_ids": ids})
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/admin/leads/export?lead_ids={ids[0]}&lead_ids={ids[1]}")
    assert not hasattr(bulk, "export_csv") and not hasattr(bulk, "safe_cell")  # one CSV escape

