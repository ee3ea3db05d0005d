"""Spend on the source and campaign pages: record, edit, delete, CSV import, permissions."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.models import Spend
from leadapp.sources import spend as services
from tests.factories import CampaignFactory, LeadSourceFactory, SpendFactory


def _source(app, **fields) -> int:
    with app.app_context():
        return LeadSourceFactory(**fields).id


def _spend_rows(app) -> list[tuple[date, Decimal, int | None, str]]:
    with app.app_context():
        return [(row.spent_on, row.amount, row.campaign_id, row.note)
                for row in db.session.scalars(select(Spend).order_by(Spend.spent_on))]


def test_panel_for_source_lists_spend_and_total(hx, login, app):
    login("marketeer", client_=hx)
    with app.app_context():
        source = LeadSourceFactory(name="Ads")
        SpendFactory(source=source, spent_on=date(2026, 5, 1), amount=Decimal("0.10"))
        SpendFactory(source=source, spent_on=date(2026, 5, 2), amount=Decimal("0.20"))
        source_id = source.id
    html = hx.get(f"/admin/leads/sources/{source_id}/spend").get_data(as_text=True)
    assert html.lstrip().startswith('<section id="spend-panel"') and "<html" not in html
    assert "<strong>0.30</strong>" in html and "2026-05-02" in html


def test_panel_long_list_shows_newest_and_show_all(hx, login, app):
    login("admin", client_=hx)
    with app.app_context():
        source = LeadSourceFactory()
        for day in range(1, 16):
            SpendFactory(source=source, spent_on=date(2026, 5, day), amount=Decimal("1.00"))
        source_id = source.id
    html = hx.get(f"/admin/leads/sources/{source_id}/spend").get_data(as_text=True)
    assert "Showing the newest 12 of 15." in html and "2026-05-15" in html
    assert "2026-05-01" not in html and "<strong>15.00</strong>" in html
    html = hx.get(f"/admin/leads/sources/{source_id}/spend?all=1").get_data(as_text=True)
    assert "2026-05-01" in html and "Showing the newest" not in html


def test_panel_without_htmx_is_a_full_page(client, login, app):
    login("admin")
    source_id = _source(app, name="Ads")
    html = client.get(f"/admin/leads/sources/{source_id}/spend").get_data(as_text=True)
    assert "<html" in html and 'id="spend-panel"' in html


def test_create_valid_month_records_first_day(hx, login, app):
    login("admin", client_=hx)
    with app.app_context():
        campaign = CampaignFactory(name="Spring")
        source_id, campaign_id = campaign.source_id, campaign.id
    response = hx.post(f"/admin/leads/sources/{source_id}/spend",
                       data={"spend-spent_on": "2026-05", "spend-amount": "1250.50",
                             "spend-campaign_id": str(campaign_id), "spend-note": "Google Ads"})
    assert response.status_code == 200 and "Spend recorded." in response.get_data(as_text=True)
    assert _spend_rows(app) == [(date(2026, 5, 1), Decimal("1250.50"), campaign_id, "Google Ads")]


def test_create_invalid_values_returns_422_with_messages_and_values(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app)
    response = hx.post(f"/admin/leads/sources/{source_id}/spend",
                       data={"spend-spent_on": "31/05/2026", "spend-amount": "-5",
                             "spend-note": "kept"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a date as YYYY-MM-DD, or a month as YYYY-MM." in html
    assert "Enter an amount from 0 to 999,999,999,999.99." in html
    assert 'value="31/05/2026"' in html and 'value="kept"' in html
    assert _spend_rows(app) == []


def test_create_on_campaign_page_books_campaign_and_its_source(hx, login, app):
    login("admin", client_=hx)
    with app.app_context():
        campaign = CampaignFactory(name="Spring")
        campaign_id, source_id = campaign.id, campaign.source_id
    response = hx.post(f"/admin/campaigns/{campaign_id}/spend",
                       data={"spend-spent_on": "2026-05-03", "spend-amount": "10"})
    assert response.status_code == 200
    with app.app_context():
        spend = db.session.scalar(select(Spend))
        assert (spend.source_id, spend.campaign_id) == (source_id, campaign_id)


def test_update_and_delete_change_the_row(hx, login, app):
    login("manager", client_=hx)
    with app.app_context():
        spend_id = SpendFactory(spent_on=date(2026, 5, 1), amount=Decimal("5.00")).id
    edit = hx.get(f"/admin/spend/{spend_id}/edit").get_data(as_text=True)
    assert 'value="2026-05-01"' in edit and "hx-put" in edit
    response = hx.put(f"/admin/spend/{spend_id}", data={"edit-spent_on": "2026-05-09",
                                                        "edit-amount": "7.25"})
    assert response.status_code == 200
    assert _spend_rows(app) == [(date(2026, 5, 9), Decimal("7.25"), None, "")]
    bad = hx.put(f"/admin/spend/{spend_id}", data={"edit-spent_on": "2026-05-09",
                                                   "edit-amount": "1.234"})
    assert bad.status_code == 422 and "Use at most two decimals." in bad.get_data(as_text=True)
    assert hx.delete(f"/admin/spend/{spend_id}").status_code == 200
    assert _spend_rows(app) == []


def test_spend_for_sales_is_forbidden(client, login, app):
    login("sales")
    source_id = _source(app)
    assert client.get(f"/admin/leads/sources/{source_id}/spend").status_code == 403
    response = client.post(f"/admin/leads/sources/{source_id}/spend",
                           data={"spend-spent_on": "2026-05-01", "spend-amount": "1"})
    assert response.status_code == 403


def _upload(hx, source_id: int, text: str):
    return hx.post(f"/admin/leads/sources/{source_id}/spend/import",
                   data={"spend-import-file": (io.BytesIO(text.encode()), "spend.csv")},
                   content_type="multipart/form-data")


def test_import_csv_valid_rows_creates_spend(hx, login, app):
    login("admin", client_=hx)
    with app.app_context():
        ads = LeadSourceFactory(name="Ads")
        CampaignFactory(name="Spring", source=ads)
        LeadSourceFactory(name="Fairs")
        ads_id = ads.id
    response = _upload(hx, ads_id, "date,source,campaign,amount\n2026-05-01,ads,spring,0.10\n"
                                   "2026-05,Fairs,,\"1,000.20\"\n2026-05-03,,,0.20\n")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Imported 3 spend rows." in response.get_data(as_text=True)
    assert sum(amount for _, amount, _, _ in _spend_rows(app)) == Decimal("1000.50")


def test_import_csv_with_bad_lines_saves_nothing_and_names_lines(hx, login, app):
    login("admin", client_=hx)
    source_id = _source(app, name="Ads")
    response = _upload(hx, source_id, "date,source,campaign,amount\n2026-05-01,Ads,,10\n"
                                      "2026-13-01,Nope,Ghost,abc\n2026-05-02,Ads,,1,5\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nothing was imported." in html
    assert "Line 3:" in html and "no source is named “Nope”" in html
    assert "no campaign is named “Ghost”" in html
    assert "Line 4: the line has more columns than the first line" in html
    assert _spend_rows(app) == []


def test_import_csv_without_header_is_refused(app_ctx):
    import pytest

    from leadapp.errors import RuleViolation

    with pytest.raises(RuleViolation, match="first line must name the columns"):
        services.import_csv(b"2026-05-01;Ads;;10\n")


def test_record_spend_campaign_of_other_source_is_refused(app_ctx):
    import pytest

    from leadapp.errors import RuleViolation

    other = CampaignFactory()
    with pytest.raises(RuleViolation, match="belongs to another source"):
        services.record_spend(LeadSourceFactory(), date(2026, 5, 1), Decimal("1"), other)
