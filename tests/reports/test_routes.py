"""The report page, its htmx partial, CSV export, print view and permissions."""

from __future__ import annotations

import csv
import io

import pytest

from tests.reports import dataset

URL = "/admin/reports/sources"
MAY = "range=custom&start=2026-05-01&end=2026-05-31"


def _build(app) -> dict:
    with app.app_context():
        return dataset.build()


@pytest.mark.parametrize("role", ["admin", "manager", "marketeer"])
def test_report_for_reporting_roles_renders_page(client, login, app, role):
    login(role)
    _build(app)
    response = client.get(f"{URL}?{MAY}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert 'id="report-table"' in html and "3,500.35" in html and "300.30" in html
    assert "the lead&#39;s source and campaign" in html or "the lead's source and campaign" in html
    assert '<svg class="chart chart-bars"' in html and "<title id=\"chart-bars-t\">" in html


def test_report_for_sales_is_forbidden(client, login):
    login("sales")
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/export.csv").status_code == 403
    assert client.get(f"{URL}/print").status_code == 403


def test_report_signed_out_redirects_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_report_htmx_request_returns_only_report_fragment(hx, login, app):
    login("admin", client_=hx)
    _build(app)
    response = hx.get(f"{URL}?{MAY}&sort=label&dir=asc")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="report"')
    table = html[html.index('id="report-table"'):]
    assert table.index(">Ads<") < table.index(">Calls<") < table.index(">Fairs<")
    assert "HX-Request" in response.headers["Vary"]


def test_report_bad_custom_dates_show_messages_and_fall_back(client, login, app):
    login("admin")
    html = client.get(f"{URL}?range=custom&start=2026-05-31&end=2026-05-01").get_data(
        as_text=True)
    assert "The last day must be on or after the first day." in html
    assert 'value="2026-05-01"' in html  # the user's own value is kept in the field
    html = client.get(f"{URL}?range=custom&start=nonsense&end=").get_data(as_text=True)
    assert "Enter the first day as YYYY-MM-DD." in html and 'value="nonsense"' in html


def test_report_expand_shows_campaign_rows(client, login, app):
    login("admin")
    ids = _build(app)
    html = client.get(f"{URL}?{MAY}&expand={ids['ads']}").get_data(as_text=True)
    assert 'class="report-campaign"' in html and "Spring" in html and "(no campaign)" in html
    assert 'aria-expanded="true"' in html


def test_export_csv_has_rows_total_and_exact_money(client, login, app):
    login("marketeer")
    ids = _build(app)
    response = client.get(f"{URL}/export.csv?{MAY}&expand={ids['ads']}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="source-report-2026-05-01-2026-05-31.csv"' in (
        response.headers["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header = rows[0]
    by_label = {row[2]: dict(zip(header, row, strict=True)) for row in rows[1:]
                if len(row) == len(header)}
    ads = by_label["Ads"]
    assert ads["Won revenue (USD)"] == "3500.35" and ads["Spend (USD)"] == "100.30"
    assert by_label["Ads"]["Return on spend"] == "34.90"
    assert by_label["Fairs"]["Cost per lead (USD)"] == ""  # a division by zero stays empty
    assert by_label["Spring"]["Level"] == "campaign" and by_label["Spring"]["Parent"] == "Ads"
    assert by_label["Total"]["Level"] == "total" and by_label["Total"]["Spend (USD)"] == "300.30"
    assert ["Range", "2026-05-01", "2026-05-31", "UTC"] in rows


def test_export_csv_quotes_formula_like_labels(client, login, app):
    login("admin")
    with app.app_context():
        from datetime import UTC, datetime

        from tests.factories import LeadFactory

        LeadFactory(created_at=datetime(2026, 5, 2, tzinfo=UTC),
                    first_touch={"utm_source": "=HYPERLINK(1)"})
    text = client.get(f"{URL}/export.csv?{MAY}&model=first_touch").get_data(as_text=True)
    assert "'=hyperlink(1)" in text


def test_print_view_renders_standalone_table(client, login, app):
    login("admin")
    _build(app)
    html = client.get(f"{URL}/print?{MAY}").get_data(as_text=True)
    assert 'class="report-print"' in html and 'id="report-table"' in html
    assert "3,500.35" in html and "hx-get" not in html and "<nav" not in html


def test_nav_links_reports_for_marketeer_only(client, login, app):
    login("marketeer")
    assert 'href="/admin/reports/sources"' in client.get("/admin").get_data(as_text=True)


def test_dashboard_loads_month_cards_for_reporting_roles(client, login, app):
    login("manager")
    html = client.get("/admin").get_data(as_text=True)
    assert 'hx-get="/admin/reports/sources/month"' in html
    cards = client.get("/admin/reports/sources/month", headers={"HX-Request": "true"})
    text = cards.get_data(as_text=True)
    assert cards.status_code == 200 and 'id="report-month-cards"' in text
    assert "Cost per won lead" in text and "<html" not in text


def test_dashboard_month_cards_hidden_for_sales(client, login):
    login("sales")
    assert "/admin/reports/sources/month" not in client.get("/admin").get_data(as_text=True)
    assert client.get("/admin/reports/sources/month").status_code == 403


def test_sources_list_shows_won_revenue_per_source(client, login, app):
    login("sales")
    _build(app)
    html = client.get("/admin/leads/sources?q=Ads").get_data(as_text=True)
    assert "Won revenue (USD)</th>" in html  # the currency it adds up, DEFAULT_CURRENCY
    # Sales see the unassigned dataset leads; all-time won revenue includes the leads
    # created outside May (budget 1000.00 each from the factory): 3500.35 + 2 × 1000.00.
    assert "5,500.35" in html
