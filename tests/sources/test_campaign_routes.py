"""The campaigns pages: list with filters, create, edit in place, deactivate, campaign page."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from leadapp.extensions import db
from leadapp.models import Campaign
from tests.factories import CampaignFactory, LeadFactory, LeadSourceFactory

URL = "/admin/campaigns"


def _campaign(app, **fields) -> int:
    with app.app_context():
        return CampaignFactory(**fields).id


def _get(app, campaign_id: int) -> Campaign:
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        db.session.expunge(campaign)
        return campaign


@pytest.mark.parametrize("role", ["admin", "manager", "marketeer"])
def test_index_for_managing_roles_shows_create_form(client, login, app, role):
    login(role)
    _campaign(app, name="Spring promo")
    html = client.get(URL).get_data(as_text=True)
    assert 'id="campaign-create"' in html and "Spring promo" in html


def test_index_for_sales_is_read_only(client, login, app):
    login("sales")
    campaign_id = _campaign(app, name="Look only")
    html = client.get(URL).get_data(as_text=True)
    assert "Look only" in html and 'id="campaign-create"' not in html and "inline-edit" not in html
    assert client.post(URL, data={"name": "X"}).status_code == 403
    assert client.put(f"{URL}/{campaign_id}/fields/name", data={"name": "Y"}).status_code == 403
    assert client.post(f"{URL}/{campaign_id}/active", data={"active": "0"}).status_code == 403


def test_index_filters_by_source_search_and_status(hx, login, app):
    login("admin", client_=hx)
    with app.app_context():
        source = LeadSourceFactory(name="Events")
        CampaignFactory(name="Expo 2026", source=source)
        CampaignFactory(name="Expo 2025", source=source, active=False)
        CampaignFactory(name="Expo elsewhere")
        source_id = source.id
    html = hx.get(f"{URL}?q=expo&source={source_id}&status=active").get_data(as_text=True)
    assert "<html" not in html and 'id="campaigns-table"' in html
    assert "Expo 2026" in html and "Expo 2025" not in html and "Expo elsewhere" not in html


def test_index_sorts_by_budget_descending(client, login, app):
    login("admin")
    _campaign(app, name="Cheap", budget=Decimal("10"))
    _campaign(app, name="Pricey", budget=Decimal("9000"))
    html = client.get(f"{URL}?sort=budget&dir=desc").get_data(as_text=True)
    assert html.index("Pricey") < html.index("Cheap")


def test_create_campaign_returns_fresh_form_and_trigger(hx, login, app):
    login("marketeer", client_=hx)
    with app.app_context():
        source_id = LeadSourceFactory().id
    response = hx.post(URL, data={"name": " Black Friday ", "source_id": source_id,
                                  "start_date": "2026-11-20", "end_date": "2026-11-30",
                                  "budget": "1500.00", "active": "y"})
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"])["campaigns-changed"] is True
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.name == "Black Friday"))
        assert campaign.source_id == source_id and campaign.budget == Decimal("1500.00")


def test_create_campaign_end_before_start_returns_422_keeping_values(hx, login):
    login("admin", client_=hx)
    response = hx.post(URL, data={"name": "Backwards", "start_date": "2026-05-10",
                                  "end_date": "2026-05-01", "budget": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "end date cannot be before" in html and 'value="Backwards"' in html
    assert 'value="2026-05-10"' in html


@pytest.mark.parametrize("budget, message", [("-5", "cannot be negative"),
                                             ("lots", "Not a valid decimal value")])
def test_create_campaign_bad_budget_returns_422(hx, login, budget, message):
    login("admin", client_=hx)
    response = hx.post(URL, data={"name": "Budget test", "budget": budget})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_create_campaign_duplicate_name_returns_422_inline(hx, login, app):
    login("admin", client_=hx)
    _campaign(app, name="Taken")
    response = hx.post(URL, data={"name": "TAKEN "})
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)


def test_update_budget_in_place(hx, login, app):
    login("admin", client_=hx)
    campaign_id = _campaign(app)
    form = hx.get(f"{URL}/{campaign_id}/fields/budget/form").get_data(as_text=True)
    assert "hx-put" in form
    response = hx.put(f"{URL}/{campaign_id}/fields/budget", data={"budget": "1234.5"})
    assert response.status_code == 200 and "1,234.50" in response.get_data(as_text=True)
    assert _get(app, campaign_id).budget == Decimal("1234.50")


def test_update_end_date_before_start_returns_422(hx, login, app):
    from datetime import date

    login("admin", client_=hx)
    campaign_id = _campaign(app, start_date=date(2026, 6, 1))
    response = hx.put(f"{URL}/{campaign_id}/fields/end_date", data={"end_date": "2026-05-01"})
    assert response.status_code == 422
    assert "cannot be before" in response.get_data(as_text=True)
    assert _get(app, campaign_id).end_date is None


def test_update_source_in_place(hx, login, app):
    login("admin", client_=hx)
    campaign_id = _campaign(app)
    with app.app_context():
        source_id = LeadSourceFactory(name="New home").id
    response = hx.put(f"{URL}/{campaign_id}/fields/source_id", data={"source_id": source_id})
    assert response.status_code == 200 and "New home" in response.get_data(as_text=True)
    assert _get(app, campaign_id).source_id == source_id


def test_toggle_deactivates_campaign(hx, login, app):
    login("admin", client_=hx)
    campaign_id = _campaign(app)
    response = hx.post(f"{URL}/{campaign_id}/active", data={"active": "0", "view": "row"})
    assert response.status_code == 200 and f'id="campaign-{campaign_id}"' in response.get_data(
        as_text=True)
    assert _get(app, campaign_id).active is False


def test_detail_lists_campaign_leads(client, login, app):
    login("admin")
    with app.app_context():
        campaign = CampaignFactory(name="Lead magnet")
        LeadFactory(campaign=campaign, source=campaign.source, title="From the magnet")
        campaign_id = campaign.id
    html = client.get(f"{URL}/{campaign_id}").get_data(as_text=True)
    assert "Lead magnet" in html and "From the magnet" in html


def test_detail_unknown_campaign_returns_404(client, login):
    login("admin")
    assert client.get(f"{URL}/424242").status_code == 404
