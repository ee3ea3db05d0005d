"""One currency at a time: revenue adds only wins in the chosen currency, the rest are counted."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from flask import Flask

from leadapp.reports import services
from leadapp.reports.services import Filters
from tests.factories import LeadFactory, OpportunityFactory, UserFactory
from tests.reports import dataset

URL = "/admin/reports/sources"
MAY = "range=custom&start=2026-05-01&end=2026-05-31"


def _add_euro_wins(ids: dict[str, Any]) -> None:
    """Two EUR wins on Ads: a budget, and a USD lead converted to a EUR opportunity."""
    from leadapp.extensions import db
    from leadapp.models import LeadSource

    ads = db.session.get(LeadSource, ids["ads"])
    won = dataset.stage("Converted")
    LeadFactory(source=ads, stage=won, currency="EUR", budget=Decimal("400.00"),
                created_at=dataset.at(2026, 5, 3))
    converted = LeadFactory(source=ads, stage=won, currency="USD", budget=Decimal("1.00"),
                            created_at=dataset.at(2026, 5, 4), converted_at=dataset.at(2026, 5, 5))
    OpportunityFactory(lead=converted, amount=Decimal("250.50"), currency="EUR")


def _report(currency: str) -> services.Report:
    admin = UserFactory(role="admin")
    return services.source_report(admin, Filters(*dataset.MAY, currency=currency,
                                                 spend_currency="USD"))


def test_report_revenue_adds_only_wins_in_chosen_currency(app_ctx: Flask) -> None:
    _add_euro_wins(dataset.build())
    usd = _report("USD")
    assert usd.total.revenue == Decimal("3500.35")  # unchanged by the EUR wins
    assert (usd.total.won, usd.total.won_elsewhere) == (5, 2)
    assert usd.other_currencies == [("EUR", 2)]
    eur = _report("EUR")
    assert eur.total.revenue == Decimal("650.50")
    assert (eur.total.won, eur.total.won_elsewhere) == (5, 3)
    assert eur.other_currencies == [("USD", 3)]


def test_report_return_on_spend_only_when_revenue_is_in_spend_currency(app_ctx: Flask) -> None:
    _add_euro_wins(dataset.build())
    eur = _report("EUR")
    ads = next(row for row in eur.rows if row.label == "Ads")
    assert ads.ros is None and eur.total.ros is None
    assert ads.cpl == Decimal("14.33")  # spend figures stay, in USD
    assert _report("USD").total.ros == Decimal("11.66")


def test_report_single_currency_has_no_other_currency_note(app_ctx: Flask) -> None:
    dataset.build()
    report = _report("USD")
    assert report.total.won_elsewhere == 0 and report.other_currencies == []


def test_report_page_defaults_to_default_currency_and_links_the_others(client, login, app):
    login("admin")
    with app.app_context():
        _add_euro_wins(dataset.build())
    html = client.get(f"{URL}?{MAY}").get_data(as_text=True)
    assert 'id="report-currencies"' in html
    assert "2 won leads in other currencies are left out of the USD revenue" in html
    assert "currency=EUR" in html and ">2 in EUR</a>" in html
    assert "3,500.35" in html and '<option value="USD" selected>USD (default)' in html
    html = client.get(f"{URL}?{MAY}&currency=EUR").get_data(as_text=True)
    assert "650.50" in html and "3 in USD</a>" in html
    assert "revenue in <strong>EUR</strong>, spend in <strong>USD</strong>" in html
    assert "Revenue in EUR, spend in USD: not comparable" in html


def test_report_default_currency_setting_picks_the_first_currency(client, login, app):
    login("admin")
    with app.app_context():
        _add_euro_wins(dataset.build())  # in USD, but for the two EUR wins
    app.config["DEFAULT_CURRENCY"] = "EUR"  # after: new leads would start in EUR
    html = client.get(f"{URL}?{MAY}").get_data(as_text=True)
    assert '<option value="EUR" selected>EUR (default)' in html and "650.50" in html
    assert "spend in <strong>EUR</strong>" in html


def test_report_unknown_currency_falls_back_to_default(client, login, app):
    login("admin")
    html = client.get(f"{URL}?{MAY}&currency=%3Cb%3E").get_data(as_text=True)
    assert '<option value="USD" selected>' in html


def test_export_csv_names_currencies_and_left_out_wins(client, login, app):
    login("admin")
    with app.app_context():
        _add_euro_wins(dataset.build())
    text = client.get(f"{URL}/export.csv?{MAY}&currency=EUR").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert "Won revenue (EUR)" in rows[0] and "Spend (USD)" in rows[0]
    assert "Cost per lead (USD)" in rows[0]
    total = dict(zip(rows[0], next(row for row in rows if row[0] == "total"), strict=True))
    assert total["Won revenue (EUR)"] == "650.50" and total["Return on spend"] == ""
    assert ["Revenue currency", "EUR"] in rows and ["Spend currency", "USD"] in rows
    assert ["Won leads in USD left out of revenue", "3"] in rows


def test_month_cards_show_default_currency_revenue(client, login, app):
    login("manager")
    with app.app_context():
        LeadFactory(stage=dataset.stage("Converted"), currency="EUR", budget=Decimal("9.00"))
        LeadFactory(stage=dataset.stage("Converted"), budget=Decimal("7.00"))
    html = client.get(f"{URL}/month").get_data(as_text=True)
    assert "Won revenue (USD)" in html and "7.00" in html and "9.00" not in html


def test_sources_list_won_revenue_counts_default_currency_only(app_ctx: Flask) -> None:
    ids = dataset.build()
    _add_euro_wins(ids)
    admin = UserFactory(role="admin")
    assert services.won_revenue_by_source(admin)[ids["ads"]] == Decimal("5500.35")


def test_print_view_currency_links_stay_in_print_view(client, login, app):
    login("admin")
    with app.app_context():
        _add_euro_wins(dataset.build())
    html = client.get(f"{URL}/print?{MAY}").get_data(as_text=True)
    assert 'href="/admin/reports/sources/print?' in html and "currency=EUR" in html
    assert "hx-get" not in html
