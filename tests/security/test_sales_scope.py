"""A sales user cannot read or change a lead outside their scope, by any door: pages, partials,
the API, exports, attachments. The dataset's hidden lead belongs to a manager in another team.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from leadapp.auth.models import Role
from leadapp.companies.models import Company, Contact, Opportunity
from leadapp.extensions import db
from leadapp.leads.models import Lead, LeadContact
from tests.security.conftest import changed_tables, snapshot
from tests.security.dataset import HIDDEN_COMMENT, HIDDEN_FILE, Dataset
from tests.security.routes import Route, all_routes, build_url

HIDDEN_TITLE = "Hidden from sales"
# Statuses that refuse without saying whether the lead exists.
REFUSED = {403, 404}


def _hidden_ids(dataset: Dataset) -> dict[str, int]:
    return {"lead_id": dataset.hidden_lead_id, "attachment_id": dataset.hidden_attachment_id,
            "comment_id": dataset.hidden_comment_id, "link_id": dataset.hidden_link_id}


def _lead_routes(app: Flask) -> list[Route]:
    return [route for route in all_routes(app) if "lead_id" in route.rule.arguments
            and Role.sales in route.allowed]


@pytest.fixture
def sales(client_as: Callable, dataset: Dataset) -> FlaskClient:
    return client_as(Role.sales)


def test_hidden_lead_is_hidden_from_sales_by_the_scope_rule(app: Flask, dataset: Dataset
                                                            ) -> None:
    from leadapp.auth.models import User
    from leadapp.leads.scope import can_see_lead

    with app.app_context():
        user = db.session.scalar(select(User).where(User.role == Role.sales).order_by(User.id))
        assert can_see_lead(user, db.session.get(Lead, dataset.hidden_lead_id)) is False
        assert can_see_lead(user, db.session.get(Lead, dataset.ids["lead_id"])) is True


def test_every_lead_route_refuses_sales_for_a_hidden_lead(app: Flask, dataset: Dataset,
                                                          sales: FlaskClient) -> None:
    routes = _lead_routes(app)
    assert len(routes) >= 40  # pages, partials and API
    problems = []
    for route in routes:
        url = build_url(app, route, dataset.ids, **_hidden_ids(dataset))
        before = snapshot(app)
        headers = {"authtoken": dataset.tokens[Role.sales]} if route.kind == "api" else {}
        response = sales.open(url, method=route.method, headers=headers,
                              data=None if route.method == "GET" else {"body": "x", "title": "x"})
        body = response.get_data(as_text=True)
        response.close()
        if response.status_code not in REFUSED:
            problems.append(f"{route.label}: {response.status_code}")
        elif HIDDEN_TITLE in body or "Hidden" in response.headers.get("HX-Trigger", ""):
            problems.append(f"{route.label}: refusal names the lead")
        if changed_tables(before, snapshot(app)):
            problems.append(f"{route.label}: changed {changed_tables(before, snapshot(app))}")
    assert problems == [], "\n".join(problems)


def test_same_routes_serve_sales_for_a_visible_lead(app: Flask, dataset: Dataset,
                                                    sales: FlaskClient) -> None:
    """The refusals above are about scope: the same GETs work on the sales user's own lead."""
    gets = [route for route in _lead_routes(app) if route.method == "GET"
            and route.kind == "page" and "field" not in route.rule.arguments
            and "key" not in route.rule.arguments]
    ok = 0
    for route in gets:
        response = sales.get(build_url(app, route, dataset.ids))
        response.close()
        assert response.status_code not in (403, 500), route.label
        ok += response.status_code == 200
    assert ok >= 8


def _hidden_email(app: Flask, dataset: Dataset) -> str:
    with app.app_context():
        return db.session.get(Lead, dataset.hidden_lead_id).email


@pytest.mark.parametrize("path", [
    "/admin/leads?q=Hidden", "/admin/leads", "/admin/leads/board", "/admin", "/admin/leads/trash",
    "/admin/notifications", "/admin/notifications/menu",
])
def test_lists_never_show_the_hidden_lead_to_sales(sales: FlaskClient, dataset: Dataset,
                                                   path: str) -> None:
    response = sales.get(path)
    assert response.status_code in (200, 403)
    assert HIDDEN_TITLE not in response.get_data(as_text=True)


def test_board_columns_never_show_the_hidden_lead_to_sales(app: Flask, sales: FlaskClient,
                                                           dataset: Dataset) -> None:
    with app.app_context():
        stage_id = db.session.get(Lead, dataset.hidden_lead_id).stage_id
    response = sales.get(f"/admin/leads/board/stages/{stage_id}/cards?offset=0",
                         headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert HIDDEN_TITLE not in response.get_data(as_text=True)


def test_duplicate_check_does_not_reveal_the_hidden_lead(app: Flask, sales: FlaskClient,
                                                         dataset: Dataset) -> None:
    email = _hidden_email(app, dataset)
    response = sales.get("/admin/leads/form/duplicates",
                         query_string={"email": email, "new_contact": "y"},
                         headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert HIDDEN_TITLE not in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["", "?q=Hidden", "?limit=100", "?trash=1"])
def test_api_list_never_returns_the_hidden_lead_to_sales(client: FlaskClient, dataset: Dataset,
                                                         query: str) -> None:
    response = client.get(f"/api/leads{query}",
                          headers={"authtoken": dataset.tokens[Role.sales]})
    assert response.status_code in (200, 403, 422)
    assert HIDDEN_TITLE not in response.get_data(as_text=True)
    ids = {row["id"] for row in (response.get_json() or {}).get("data", []) or []}
    assert dataset.hidden_lead_id not in ids


def test_sales_cannot_export_leads_at_all(sales: FlaskClient) -> None:
    for path in ("/admin/leads/export", "/admin/leads/export/file?format=csv"):
        assert sales.get(path).status_code == 403
    assert sales.post("/admin/leads/bulk/export", data={"lead_ids": "1"}).status_code == 403


def test_sales_bulk_actions_skip_or_refuse_the_hidden_lead(app: Flask, sales: FlaskClient,
                                                           dataset: Dataset) -> None:
    before = snapshot(app)
    for action in ("assign", "tag", "stage", "delete", "export"):
        response = sales.post("/admin/leads/bulk/confirm",
                              data={"action": action, "lead_ids": str(dataset.hidden_lead_id)})
        assert response.status_code < 500
        assert HIDDEN_TITLE not in response.get_data(as_text=True)
        response = sales.post("/admin/leads/bulk", data={
            "action": action, "lead_ids": str(dataset.hidden_lead_id), "confirm": "1"})
        assert response.status_code < 500
    assert changed_tables(before, snapshot(app)) == []


def test_sales_merge_with_a_hidden_lead_is_refused(app: Flask, sales: FlaskClient,
                                                   dataset: Dataset) -> None:
    own = dataset.ids["lead_id"]
    form = sales.get(f"/admin/leads/{own}/merge?other={dataset.hidden_lead_id}")
    assert HIDDEN_TITLE not in form.get_data(as_text=True)
    before = snapshot(app)
    response = sales.post(f"/admin/leads/{own}/merge",
                          data={"other_id": dataset.hidden_lead_id, "keep": "this"})
    assert response.status_code in (403, 404)
    assert changed_tables(before, snapshot(app)) == []


# ---- pages that list leads of a company or contact ------------------------------------------

@pytest.fixture
def shared(app: Flask, dataset: Dataset) -> dict[str, int]:
    """A company and a contact both the hidden and the visible lead belong to; the company was
    created from the hidden lead, and an opportunity came from it."""
    with app.app_context():
        hidden = db.session.get(Lead, dataset.hidden_lead_id)
        visible = db.session.get(Lead, dataset.ids["lead_id"])
        company = db.session.scalar(select(Company).order_by(Company.id))
        contact = db.session.scalar(select(Contact).order_by(Contact.id.desc()))
        for lead in (hidden, visible):
            lead.company_id = company.id
            if not any(link.contact_id == contact.id for link in lead.contact_links):
                db.session.add(LeadContact(lead_id=lead.id, contact_id=contact.id,
                                           is_primary=False))
        hidden.converted_company_id, hidden.converted_contact_id = company.id, contact.id
        company.created_from_lead_id = hidden.id
        opportunity = hidden.opportunity or Opportunity(name="Deal", lead_id=hidden.id)
        opportunity.company_id, opportunity.contact_id = company.id, contact.id
        db.session.add(opportunity)
        db.session.commit()
        return {"company": company.id, "contact": contact.id, "opportunity": opportunity.id,
                "visible_title": visible.title, "hidden_id": hidden.id}


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx"])
@pytest.mark.parametrize("kind", ["companies", "contacts"])
def test_company_and_contact_pages_list_only_leads_sales_may_see(sales: FlaskClient,
                                                                 shared: dict, kind: str,
                                                                 headers: dict) -> None:
    row_id = shared["company" if kind == "companies" else "contact"]
    response = sales.get(f"/admin/{kind}/{row_id}", headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert str(escape(shared["visible_title"])) in html  # the list is there...
    assert HIDDEN_TITLE not in html                      # ...without the hidden lead


def test_company_and_contact_pages_list_the_hidden_lead_for_a_manager(client_as: Callable,
                                                                      shared: dict) -> None:
    """The check above is about scope: a role that sees all leads gets it listed."""
    manager = client_as(Role.manager)
    for path in (f"/admin/companies/{shared['company']}", f"/admin/contacts/{shared['contact']}"):
        assert HIDDEN_TITLE in manager.get(path).get_data(as_text=True), path


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx"])
def test_opportunity_page_does_not_name_a_hidden_source_lead(sales: FlaskClient, shared: dict,
                                                             headers: dict) -> None:
    response = sales.get(f"/admin/opportunities/{shared['opportunity']}", headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert HIDDEN_TITLE not in html
    assert f"/admin/leads/{shared['hidden_id']}\"" not in html
    assert "A lead outside your scope" in html


def test_opportunity_page_names_its_source_lead_for_a_manager(client_as: Callable,
                                                              shared: dict) -> None:
    html = client_as(Role.manager).get(f"/admin/opportunities/{shared['opportunity']}"
                                       ).get_data(as_text=True)
    assert HIDDEN_TITLE in html


# ---- a visible lead with a hidden lead's comment or attachment ----------------------------

def _cross_routes(app: Flask) -> list[Route]:
    return [route for route in all_routes(app) if "lead_id" in route.rule.arguments
            and {"comment_id", "attachment_id"} & set(route.rule.arguments)]


@pytest.mark.parametrize("role", [Role.sales, Role.admin])
def test_visible_lead_with_a_hidden_leads_comment_or_file_is_refused(app: Flask,
                                                                      dataset: Dataset,
                                                                      client_as: Callable,
                                                                      role: Role) -> None:
    """The child id must belong to the lead in the URL, on the pages and in the API: 404 (or
    403 where the role may not do this at all), nothing shown, nothing changed."""
    routes = _cross_routes(app)
    assert {route.kind for route in routes} == {"page", "api"} and len(routes) >= 10
    client = client_as(role)
    problems = []
    for route in routes:
        url = build_url(app, route, dataset.ids, comment_id=dataset.hidden_comment_id,
                        attachment_id=dataset.hidden_attachment_id)
        expected = {404} if role in route.allowed else {403, 404}
        variants = ([{"authtoken": dataset.tokens[role]}] if route.kind == "api"
                    else [{}, {"HX-Request": "true"}])
        for headers in variants:
            before = snapshot(app)
            response = client.open(url, method=route.method, headers=headers,
                                   data=None if route.method == "GET" else {"body": "changed"})
            body = response.get_data()
            response.close()
            if response.status_code not in expected:
                problems.append(f"{route.label} {headers}: {response.status_code}")
            if HIDDEN_COMMENT.encode() in body or HIDDEN_FILE.encode() in body:
                problems.append(f"{route.label}: shows the hidden lead's comment or file")
            if changed_tables(before, snapshot(app)):
                problems.append(f"{route.label}: changed {changed_tables(before, snapshot(app))}")
    assert problems == [], "\n".join(problems)


def test_hidden_leads_comment_and_file_are_served_on_their_own_lead(app: Flask,
                                                                     dataset: Dataset,
                                                                     client_as: Callable) -> None:
    """The 404s above come from the mismatch: the same ids work with their own lead (admin)."""
    admin = client_as(Role.admin)
    lead, comment = dataset.hidden_lead_id, dataset.hidden_comment_id
    attachment = dataset.hidden_attachment_id
    token = {"authtoken": dataset.tokens[Role.admin]}
    assert HIDDEN_COMMENT in admin.get(f"/admin/leads/{lead}/comments/{comment}",
                                       headers={"HX-Request": "true"}).get_data(as_text=True)
    for path, headers in ((f"/admin/leads/{lead}/attachments/{attachment}", {}),
                          (f"/api/leads/{lead}/attachments/{attachment}", token)):
        response = admin.get(path, headers=headers)
        response.close()
        assert response.status_code == 200, path
