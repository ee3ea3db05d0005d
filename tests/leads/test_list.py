"""The lead list page: full page vs htmx partial, URL state, saved views, columns, query count."""

from __future__ import annotations

import html
import json
import re
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from leadapp.extensions import db
from leadapp.models import SavedView, User
from tests.factories import CompanyFactory, LeadFactory, TagFactory, UserFactory
from tests.leads.test_listing import build_dataset


def body(response: Any) -> str:
    return response.get_data(as_text=True)


def seed(app: Any) -> dict[str, Any]:
    with app.app_context():
        return build_dataset()


# --- Page and partial ------------------------------------------------------------------------


def test_index_without_sign_in_redirects_to_login(client):
    response = client.get("/admin/leads?q=acme")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_index_full_page_has_filters_bulk_bar_and_rows(app, client, login):
    data = seed(app)
    login("admin")
    response = client.get("/admin/leads")
    html = body(response)
    assert response.status_code == 200 and "<html" in html
    assert 'id="lead-filters"' in html and 'id="bulk-form"' in html
    assert f'id="lead-{data["alpha"]}"' in html and f'id="lead-{data["beta"]}"' in html
    assert f'id="lead-{data["gamma"]}"' not in html  # converted: hidden by default
    assert f'href="/admin/leads/{data["alpha"]}"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_index_htmx_request_returns_rows_and_state_only(app, hx, login):
    data = seed(app)
    login("admin", client_=hx)
    response = hx.get("/admin/leads?q=jones&sort=title&dir=asc")
    html = body(response)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="lead-results"')
    assert 'id="lead-filters"' not in html
    assert f'id="lead-{data["beta"]}"' in html and f'id="lead-{data["alpha"]}"' not in html
    assert '<div id="list-state" hx-swap-oob="true">' in html
    assert '<input type="hidden" name="sort" value="title">' in html
    assert response.headers["HX-Push-Url"] == "/admin/leads?q=jones&sort=title&dir=asc"


def test_index_htmx_request_pushes_a_url_without_empty_fields(app, hx, login):
    seed(app)
    login("admin", client_=hx)
    response = hx.get("/admin/leads?q=&source=&city=berlin&sort=created&dir=desc&page=7")
    assert response.headers["HX-Push-Url"] == "/admin/leads?city=berlin"


def test_index_boosted_request_gets_the_full_page(app, hx, login):
    seed(app)
    login("admin", client_=hx)
    response = hx.get("/admin/leads", headers={"HX-Boosted": "true"})
    assert "<html" in body(response) and 'id="lead-filters"' in body(response)


def test_index_links_keep_the_whole_state(app, client, login):
    seed(app)
    login("admin")
    html = body(client.get("/admin/leads?q=smith&converted=1&status=open&per_page=50"))
    # The sort link for "Title" carries search and filters, and drops the page number.
    assert ('href="/admin/leads?q=smith&amp;status=open&amp;converted=1&amp;sort=title'
            '&amp;dir=asc&amp;per_page=50"') in html
    assert 'value="smith"' in html and '<option value="open" selected>' in html


def test_index_with_bad_filter_values_answers_422_with_messages(app, client, hx, login):
    seed(app)
    login("admin")
    response = client.get("/admin/leads?created_from=yesterday&budget_min=-5")
    html = body(response)
    assert response.status_code == 422
    assert 'value="yesterday"' in html
    assert "Enter a date like 2026-01-31." in html and "Enter an amount of zero or more." in html
    login("admin", client_=hx)
    partial = hx.get("/admin/leads?created_from=yesterday")
    assert partial.status_code == 422
    assert ('<p class="error" id="filter-error-created_from" hx-swap-oob="true">'
            'Enter a date like 2026-01-31.</p>') in body(partial)


def test_index_counts_open_closed_and_converted(app, client, login):
    seed(app)
    login("admin")
    html = body(client.get("/admin/leads"))
    assert "<strong>2</strong> leads" in html
    assert "1 open" in html and "1 closed" in html and "2 converted (hidden)" in html


def test_index_empty_states_say_what_to_do(app, client, login):
    login("admin")
    html = body(client.get("/admin/leads"))
    assert "No leads yet." in html and "Add your first lead" in html
    html = body(client.get("/admin/leads?q=nothing-like-this"))
    assert "No leads match “nothing-like-this”." in html and "clear the search and filters" in html


def test_index_for_sales_user_shows_visible_leads_and_no_bulk_bar(app, client, login):
    data = seed(app)
    with app.app_context():
        ann_email = db.session.get(User, data["ann"]).email
    client.post("/login", data={"email": ann_email, "password": "correct-horse-battery"})
    html = body(client.get("/admin/leads?converted=1"))
    assert f'id="lead-{data["alpha"]}"' in html and f'id="lead-{data["beta"]}"' in html
    assert f'id="lead-{data["gamma"]}"' not in html  # Zed's lead, not Ann's team
    assert 'id="bulk-form"' not in html and 'name="lead_ids"' not in html


def test_index_page_past_the_end_shows_last_page(app, client, login):
    with app.app_context():
        for number in range(27):
            LeadFactory(title=f"Row {number}")
    login("admin")
    html = body(client.get("/admin/leads?page=9"))
    assert "Showing 26–27 of 27" in html and 'aria-current="page">2<' in html


# --- Query count -----------------------------------------------------------------------------


@contextmanager
def counting_queries(app: Any) -> Any:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def add_rich_leads(app: Any, number: int) -> None:
    with app.app_context():
        owner = UserFactory(role="sales")
        tags = [TagFactory(), TagFactory()]
        for _ in range(number):
            LeadFactory(owner=owner, company=CompanyFactory(), tags=tags)


def test_index_query_count_does_not_grow_with_rows(app, client, hx, login):
    login("admin")
    login("admin", client_=hx)
    add_rich_leads(app, 3)
    with counting_queries(app) as few_full:
        assert client.get("/admin/leads").status_code == 200
    with counting_queries(app) as few_rows:
        assert hx.get("/admin/leads?sort=owner").status_code == 200
    add_rich_leads(app, 40)
    with counting_queries(app) as many_full:
        assert client.get("/admin/leads?per_page=50").status_code == 200
    with counting_queries(app) as many_rows:
        assert hx.get("/admin/leads?sort=owner&per_page=50").status_code == 200
    assert len(few_full) == len(many_full) <= 16
    assert len(few_rows) == len(many_rows) <= 8


# --- Saved views and columns -----------------------------------------------------------------


def test_save_view_stores_the_filters_and_lists_it(app, hx, login):
    user_id = login("manager", client_=hx)
    response = hx.post("/admin/leads/views", data={
        "view_name": "  Hot  Berlin ", "q": "acme", "city": "Berlin", "sort": "title",
        "dir": "asc", "page": "3"})
    assert response.status_code == 200
    trigger = json.loads(response.headers["HX-Trigger"])
    assert trigger["toast"]["message"] == "Saved the view “Hot Berlin”."
    assert "q=acme&amp;city=Berlin&amp;sort=title&amp;dir=asc" in body(response)
    with app.app_context():
        view = db.session.scalar(select(SavedView).where(SavedView.user_id == user_id))
        assert (view.name, view.query) == ("Hot Berlin", "q=acme&city=Berlin&sort=title&dir=asc")


def test_save_view_without_javascript_keeps_the_filters_it_was_rendered_with(app, client, login):
    user_id = login("manager")
    page = body(client.get("/admin/leads?q=acme&city=Berlin&sort=title&dir=asc"))
    state = re.search(r'name="state" value="([^"]*)"', page).group(1)
    response = client.post("/admin/leads/views", data={
        "view_name": "Berlin", "state": html.unescape(state),
        "csrf_token": re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/leads?q=acme&city=Berlin&sort=title&dir=asc"
    with app.app_context():
        view = db.session.scalar(select(SavedView).where(SavedView.user_id == user_id))
        assert view.query == "q=acme&city=Berlin&sort=title&dir=asc"
    token = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
    failed = client.post("/admin/leads/views", data={"view_name": " ", "state": "q=acme",
                                                     "csrf_token": token})
    assert failed.status_code == 422 and "Give the view a name." in body(failed)
    assert "<html" in body(failed).lower()  # the whole page again, not a fragment


def test_save_view_with_same_name_replaces_it(app, hx, login):
    user_id = login("manager", client_=hx)
    hx.post("/admin/leads/views", data={"view_name": "Mine", "owner": "me"})
    hx.post("/admin/leads/views", data={"view_name": "mine", "owner": "unassigned"})
    with app.app_context():
        views = db.session.scalars(select(SavedView).where(SavedView.user_id == user_id)).all()
        assert [(view.name, view.query) for view in views] == [("Mine", "owner=unassigned")]


def test_save_view_without_name_answers_422_next_to_the_field(app, hx, login):
    login("manager", client_=hx)
    response = hx.post("/admin/leads/views", data={"view_name": "  ", "q": "x"})
    assert response.status_code == 422
    assert '<p class="error" id="view-name-error">Give the view a name.</p>' in body(response)
    with app.app_context():
        assert db.session.scalar(select(SavedView)) is None


def test_delete_view_removes_own_view_only(app, hx, login, make_user):
    other_id = make_user("manager")
    with app.app_context():
        theirs = SavedView(user_id=other_id, name="Theirs", query="q=x")
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    login("manager", client_=hx)
    hx.post("/admin/leads/views", data={"view_name": "Mine"})
    with app.app_context():
        mine_id = db.session.scalar(select(SavedView.id).where(SavedView.name == "Mine"))
    assert hx.delete(f"/admin/leads/views/{theirs_id}").status_code == 404
    response = hx.delete(f"/admin/leads/views/{mine_id}")
    assert response.status_code == 200 and "Mine" not in body(response)
    with app.app_context():
        assert db.session.scalars(select(SavedView.name)).all() == ["Theirs"]


def test_saved_views_show_in_the_menu_as_links(app, client, login):
    user_id = login("admin")
    with app.app_context():
        db.session.add(SavedView(user_id=user_id, name="Lost ones", query="status=lost"))
        db.session.commit()
    html = body(client.get("/admin/leads"))
    assert '<a class="view-link" href="/admin/leads?status=lost">Lost ones</a>' in html


def test_save_columns_is_remembered_and_keeps_the_title(app, client, hx, login):
    data = seed(app)
    user_id = login("admin")
    hx.post("/login", data={"email": _email(app, user_id), "password": "correct-horse-battery"})
    response = hx.post("/admin/leads/columns", data={"columns": ["owner", "budget", "bogus"],
                                                    "q": "alpha"})
    html = body(response)
    assert response.status_code == 200 and 'class="col-budget num"' in html
    assert 'class="col-source"' not in html and 'class="col-title"' in html
    assert f'id="lead-{data["alpha"]}"' in html and f'id="lead-{data["beta"]}"' not in html
    with app.app_context():
        prefs = db.session.get(User, user_id).preferences
        assert prefs["lead_list_columns"] == ["title", "owner", "budget"]
    page = body(client.get("/admin/leads"))
    assert 'class="col-owner"' in page and 'class="col-company"' not in page


def _email(app: Any, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def test_list_links_export_with_current_filters_and_import(app, client, login):
    login("manager")
    with app.app_context():
        from tests.factories import LeadFactory

        source_id = LeadFactory(title="Exportable").source_id
    html = client.get(f"/admin/leads?source={source_id}&q=expo").get_data(as_text=True)
    assert f'href="/admin/leads/export?q=expo&amp;source={source_id}"' in html
    assert "Export these 1" in html
    assert 'href="/admin/leads/import"' in html


def test_list_hides_import_and_export_from_sales(app, client, login):
    login("sales")
    with app.app_context():
        from tests.factories import LeadFactory

        LeadFactory(title="Mine")
    html = client.get("/admin/leads").get_data(as_text=True)
    assert "/admin/leads/export" not in html and "/admin/leads/import" not in html
