"""The lead sources pages: list, inline create/edit, toggle, delete, merge, bulk, export."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from leadapp.extensions import db
from leadapp.models import Activity, Lead, LeadSource
from tests.factories import LeadFactory, LeadSourceFactory

URL = "/admin/leads/sources"


def _source(app, **fields) -> int:
    with app.app_context():
        return LeadSourceFactory(**fields).id


def _with_leads(app, name: str, count: int) -> int:
    with app.app_context():
        source = LeadSourceFactory(name=name)
        for _ in range(count):
            LeadFactory(source=source)
        return source.id


def _get(app, source_id: int) -> LeadSource | None:
    with app.app_context():
        source = db.session.get(LeadSource, source_id)
        if source is not None:
            db.session.expunge(source)
        return source


def _trigger(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


# --- Pages and permissions --------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "manager", "marketeer"])
def test_index_for_managing_roles_shows_create_form_and_bulk_bar(client, login, role):
    login(role)
    html = client.get(URL).get_data(as_text=True)
    assert 'id="source-create"' in html and 'id="src-bulk-form"' in html
    assert "Website form" in html


def test_index_for_sales_is_read_only(client, login, app):
    login("sales")
    source_id = _source(app, name="Visible")
    response = client.get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Visible" in html
    assert 'id="source-create"' not in html and 'id="src-bulk-form"' not in html
    assert "hx-delete" not in html and "inline-edit" not in html
    assert client.post(URL, data={"name": "Nope"}).status_code == 403
    assert client.delete(f"{URL}/{source_id}").status_code == 403
    assert client.put(f"{URL}/{source_id}/fields/name", data={"name": "X"}).status_code == 403
    assert client.post(f"{URL}/{source_id}/active", data={"active": "0"}).status_code == 403
    assert client.post(f"{URL}/bulk", data={"action": "delete",
                                            "source_ids": source_id}).status_code == 403
    assert client.get(f"{URL}/{source_id}").status_code == 200


def test_index_signed_out_redirects_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_index_search_returns_table_partial_for_htmx(hx, login, app):
    login("admin", client_=hx)
    _source(app, name="Podcast ads")
    response = hx.get(f"{URL}?q=podcast")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="sources-table"' in html and "Podcast ads" in html
    assert html.count('<tr id="source-') == 1
    assert "HX-Request" in response.headers["Vary"]


def test_index_filter_and_sort_are_kept_in_links(client, login, app):
    login("admin")
    _source(app, name="Dormant", active=False)
    html = client.get(f"{URL}?status=inactive&sort=created&dir=desc").get_data(as_text=True)
    assert "Dormant" in html and html.count('<tr id="source-') == 1
    assert "status=inactive" in html and 'aria-sort="descending"' in html


def test_index_with_bad_parameters_falls_back_to_defaults(client, login):
    login("admin")
    response = client.get(f"{URL}?sort=drop&status=weird&page=abc&dir=sideways")
    assert response.status_code == 200


def test_index_paginates(client, login, app):
    login("admin")
    for index in range(20):
        _source(app, name=f"Many {index:02d}")
    html = client.get(f"{URL}?page=2").get_data(as_text=True)
    assert "page 2 of 2" in html and 'rel="prev"' in html


def test_detail_shows_figures_campaigns_and_recent_leads(client, login, app):
    login("admin")
    with app.app_context():
        from tests.factories import CampaignFactory

        source = LeadSourceFactory(name="Detailed")
        CampaignFactory(name="Autumn push", source=source)
        LeadFactory(source=source, title="Big deal")
        source_id = source.id
    html = client.get(f"{URL}/{source_id}").get_data(as_text=True)
    assert "Detailed" in html and "Autumn push" in html and "Big deal" in html
    assert 'id="source-dialog"' in html


def test_detail_unknown_source_returns_404(client, login):
    login("admin")
    assert client.get(f"{URL}/999999").status_code == 404


# --- Create -----------------------------------------------------------------------------------

def test_create_from_list_returns_fresh_form_and_refresh_trigger(hx, login, app):
    login("marketeer", client_=hx)
    response = hx.post(URL, data={"name": "  Meetup ", "description": "Monthly", "active": "y"})
    assert response.status_code == 200
    trigger = _trigger(response)
    assert trigger["sources-changed"] is True and "Meetup" in trigger["toast"]["message"]
    assert 'id="source-create"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(LeadSource).where(LeadSource.name == "Meetup"))


@pytest.mark.parametrize("name", ["website FORM", "  Website form  "])
def test_create_duplicate_returns_422_with_inline_error_and_keeps_input(hx, login, name):
    login("admin", client_=hx)
    response = hx.post(URL, data={"name": name, "description": "typed text"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already exists" in html and 'value="typed text"' in html
    assert 'aria-invalid="true"' in html


def test_create_blank_name_returns_422(hx, login):
    login("admin", client_=hx)
    response = hx.post(URL, data={"name": " "})
    assert response.status_code == 422 and "Enter a name." in response.get_data(as_text=True)


def test_create_without_htmx_redirects_with_flash(client, login):
    login("admin")
    response = client.post(URL, data={"name": "No JS"})
    assert response.status_code == 303
    assert "Source “No JS” added." in client.get(URL).get_data(as_text=True)


def test_create_without_htmx_invalid_renders_page_422(client, login):
    login("admin")
    response = client.post(URL, data={"name": "referral"})
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)


# --- Inline edit ------------------------------------------------------------------------------

def test_field_form_and_display_round_trip(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app, name="Editable")
    form = hx.get(f"{URL}/{source_id}/fields/name/form?ctx=list").get_data(as_text=True)
    assert f'id="source-{source_id}-name"' in form and "hx-put" in form
    assert 'value="Editable"' in form
    display = hx.get(f"{URL}/{source_id}/fields/name?ctx=list").get_data(as_text=True)
    assert f'href="/admin/leads/sources/{source_id}"' in display


def test_update_name_in_place_returns_display(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app, name="Before")
    response = hx.put(f"{URL}/{source_id}/fields/name", data={"name": " After ", "ctx": "list"})
    assert response.status_code == 200
    assert "After" in response.get_data(as_text=True)
    assert _get(app, source_id).name == "After"


def test_update_name_to_duplicate_returns_409_form_with_error(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app, name="Mine")
    response = hx.put(f"{URL}/{source_id}/fields/name", data={"name": "CHAT"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "already exists" in html and 'value="CHAT"' in html
    assert _get(app, source_id).name == "Mine"


def test_update_description_in_place(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app)
    response = hx.put(f"{URL}/{source_id}/fields/description", data={"description": "Ads"})
    assert response.status_code == 200 and _get(app, source_id).description == "Ads"


def test_update_unknown_field_returns_404(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app)
    assert hx.put(f"{URL}/{source_id}/fields/created_at", data={}).status_code == 404


# --- Toggle, delete, merge --------------------------------------------------------------------

def test_toggle_deactivates_and_returns_row(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app, name="Toggle me")
    response = hx.post(f"{URL}/{source_id}/active", data={"active": "0", "view": "row"})
    assert response.status_code == 200
    assert f'id="source-{source_id}"' in response.get_data(as_text=True)
    assert "inactive" in _trigger(response)["toast"]["message"]
    assert _get(app, source_id).active is False


def test_toggle_status_view_returns_status_fragment(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app, active=False)
    response = hx.post(f"{URL}/{source_id}/active", data={"active": "1", "view": "status"})
    assert f'id="source-{source_id}-status"' in response.get_data(as_text=True)
    assert _get(app, source_id).active is True


def test_delete_unused_source_removes_it(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app, name="Bye")
    response = hx.delete(f"{URL}/{source_id}")
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    assert _trigger(response)["sources-changed"] is True
    assert _get(app, source_id) is None


def test_delete_source_in_use_returns_409_with_merge_offer(hx, login, app):
    login("admin", client_=hx)
    source_id = _with_leads(app, "In use", 2)
    response = hx.delete(f"{URL}/{source_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "used by 2 leads" in html and "Merge into" in html
    assert response.headers["HX-Retarget"] == "#source-dialog"
    assert _get(app, source_id) is not None


def test_delete_from_detail_page_redirects_to_list(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app)
    response = hx.delete(f"{URL}/{source_id}?from=detail")
    assert response.headers["HX-Redirect"] == URL


def test_merge_moves_leads_and_deletes_source(hx, login, app):
    login("admin", client_=hx)
    source_id = _with_leads(app, "Merge me", 2)
    target_id = _source(app, name="Keeper")
    response = hx.post(f"{URL}/{source_id}/merge", data={"target_id": target_id})
    assert response.status_code == 200
    assert "2 lead(s) moved" in _trigger(response)["toast"]["message"]
    assert _get(app, source_id) is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)
                                 .where(Lead.source_id == target_id)) == 2
        assert db.session.scalar(select(func.count()).select_from(Activity)
                                 .where(Activity.field == "source")) == 2


def test_merge_from_detail_redirects_to_target(hx, login, app):
    login("admin", client_=hx)
    source_id, target_id = _source(app), _source(app)
    response = hx.post(f"{URL}/{source_id}/merge", data={"target_id": target_id,
                                                         "from": "detail"})
    assert response.headers["HX-Redirect"] == f"{URL}/{target_id}"


def test_merge_without_target_returns_422_panel(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app)
    response = hx.post(f"{URL}/{source_id}/merge", data={"target_id": ""})
    assert response.status_code == 422
    assert "Pick the source to merge into." in response.get_data(as_text=True)
    assert _get(app, source_id) is not None


def test_merge_form_lists_other_sources_only(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app, name="Self")
    html = hx.get(f"{URL}/{source_id}/merge").get_data(as_text=True)
    assert ">Self</option>" not in html and ">Referral</option>" in html


# --- Bulk -------------------------------------------------------------------------------------

def _ids(*values: int) -> list[str]:
    return [str(value) for value in values]


def test_bulk_deactivate_reports_count(hx, login, app):
    login("admin", client_=hx)
    first, second = _source(app), _source(app)
    response = hx.post(f"{URL}/bulk", data={"action": "deactivate",
                                            "source_ids": _ids(first, second)})
    assert response.status_code == 200
    assert "Deactivated 2 of 2" in response.get_data(as_text=True)
    assert _trigger(response) == {"sources-changed": True}
    assert not _get(app, first).active and not _get(app, second).active


def test_bulk_activate(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app, active=False)
    response = hx.post(f"{URL}/bulk", data={"action": "activate", "source_ids": _ids(source_id)})
    assert "Activated 1 of 1" in response.get_data(as_text=True)
    assert _get(app, source_id).active


def test_bulk_delete_keeps_sources_in_use(hx, login, app):
    login("admin", client_=hx)
    idle, busy = _source(app), _with_leads(app, "Bulk busy", 3)
    response = hx.post(f"{URL}/bulk", data={"action": "delete", "source_ids": _ids(idle, busy)})
    html = response.get_data(as_text=True)
    assert "Deleted 1 source(s). Kept 1 in use:" in html and "used by 3 leads" in html
    assert _get(app, idle) is None and _get(app, busy) is not None


def test_bulk_merge_into_target(hx, login, app):
    login("admin", client_=hx)
    first, second = _with_leads(app, "Bulk A", 1), _with_leads(app, "Bulk B", 2)
    target = _source(app, name="Bulk target")
    response = hx.post(f"{URL}/bulk", data={"action": "merge", "target_id": target,
                                            "source_ids": _ids(first, second, target)})
    assert "Merged 2 source(s) into “Bulk target”: 3 lead(s) moved." in response.get_data(
        as_text=True)
    assert _get(app, first) is None and _get(app, second) is None


def test_bulk_merge_without_target_returns_422(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app)
    response = hx.post(f"{URL}/bulk", data={"action": "merge", "source_ids": _ids(source_id)})
    assert response.status_code == 422
    assert "Pick the source to merge" in response.get_data(as_text=True)


def test_bulk_without_selection_returns_422(hx, login):
    login("admin", client_=hx)
    response = hx.post(f"{URL}/bulk", data={"action": "delete"})
    assert response.status_code == 422 and "Tick at least one" in response.get_data(as_text=True)


def test_bulk_with_unknown_action_returns_422(hx, login, app):
    login("admin", client_=hx)
    response = hx.post(f"{URL}/bulk", data={"action": "explode", "source_ids": _ids(_source(app))})
    assert response.status_code == 422


def test_export_csv_of_ticked_sources(client, login, app):
    login("admin")
    source_id = _with_leads(app, "Exported", 2)
    response = client.post(f"{URL}/export", data={"source_ids": _ids(source_id)})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).strip().splitlines()
    assert len(lines) == 2 and "Exported" in lines[1] and ",2,2,0," in lines[1]


def test_export_csv_without_selection_exports_all(client, login):
    login("admin")
    lines = client.post(f"{URL}/export").get_data(as_text=True).strip().splitlines()
    assert len(lines) == 11  # header + the ten starter sources


def test_huge_ids_and_nul_input_return_404_or_200_not_500(client, login, app):
    login("admin")
    assert client.get(f"{URL}/99999999999").status_code == 404
    assert client.get("/admin/campaigns/99999999999").status_code == 404
    assert client.get(f"{URL}?q=a%00b").status_code == 200
    assert client.get("/admin/campaigns?q=a%00b&source=99999999999").status_code == 200
    response = client.post(f"{URL}/bulk", data={"action": "merge", "target_id": "99999999999",
                                                "source_ids": ["99999999999", "x"]})
    assert response.status_code == 422


def test_merge_without_htmx_redirects_to_list_with_flash(client, login, app):
    login("admin")
    source_id = _with_leads(app, "Plain merge", 1)
    target_id = _source(app, name="Plain target")
    response = client.post(f"{URL}/{source_id}/merge", data={"target_id": target_id})
    assert response.status_code == 303 and response.headers["Location"] == URL
    assert "Merged “Plain merge” into “Plain target”" in client.get(URL).get_data(as_text=True)


def test_bulk_without_htmx_redirects_with_flash(client, login, app):
    login("admin")
    source_id = _source(app)
    response = client.post(f"{URL}/bulk", data={"action": "deactivate",
                                                 "source_ids": [str(source_id)]})
    assert response.status_code == 303
    assert "Deactivated 1 of 1" in client.get(URL).get_data(as_text=True)


def test_table_refresh_also_refreshes_merge_targets_out_of_band(hx, login, app):
    login("admin", client_=hx)
    html = hx.get(URL).get_data(as_text=True)
    assert 'id="bulk-target"' in html and 'hx-swap-oob="true"' in html


def test_full_page_has_single_merge_target_select(client, login):
    login("admin")
    html = client.get(URL).get_data(as_text=True)
    assert html.count('id="bulk-target"') == 1 and "hx-swap-oob" not in html
