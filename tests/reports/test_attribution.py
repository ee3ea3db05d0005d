"""First/last touch: spend rows survive without leads, and utm_medium shows in the drill-down."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask

from leadapp.reports import services
from leadapp.reports.services import Attribution, Filters
from tests.factories import LeadFactory, UserFactory
from tests.reports import dataset


def _report(model: Attribution, expand: tuple[str, ...] = ()) -> services.Report:
    admin = UserFactory(role="admin")
    return services.source_report(admin, Filters(*dataset.MAY, attribution=model,
                                                 expand=expand))


def test_touch_models_keep_total_spend_of_every_model(app_ctx: Flask) -> None:
    dataset.build()
    totals = {model: _report(model).total.spend for model in Attribution}
    assert set(totals.values()) == {Decimal("300.30")}


def test_touch_model_shows_spend_of_source_no_lead_names_as_zero_lead_row(
        app_ctx: Flask) -> None:
    dataset.build()  # no lead's first touch names "ads" or "fairs"
    rows = {row.label: row for row in _report(Attribution.first_touch).rows}
    assert (rows["ads"].leads, rows["ads"].spend) == (0, Decimal("100.30"))
    assert (rows["fairs"].leads, rows["fairs"].spend) == (0, Decimal("200.00"))
    assert rows["ads"].cpl is None


def test_touch_drill_down_lists_medium_and_campaign_pairs(app_ctx: Flask) -> None:
    dataset.build()
    LeadFactory(created_at=dataset.at(2026, 5, 9),
                last_touch={"utm_source": "Google", "utm_medium": " CPC ",
                            "utm_campaign": "brand"})
    LeadFactory(created_at=dataset.at(2026, 5, 9), last_touch={"utm_source": "google"})
    report = _report(Attribution.last_touch, expand=("google",))
    google = next(row for row in report.rows if row.label == "google")
    pairs = {item.label: item.leads for item in google.campaigns}
    # the dataset's l1 touched google / brand without a medium
    assert pairs == {"cpc / brand": 1, "(no medium) / brand": 1,
                     "(no medium) / (no campaign)": 1}
    assert google.leads == 3


def test_touch_drill_down_puts_campaign_spend_under_any_medium(app_ctx: Flask) -> None:
    ids = dataset.build()
    LeadFactory(created_at=dataset.at(2026, 5, 9),
                first_touch={"utm_source": "ads", "utm_medium": "email",
                             "utm_campaign": "Spring"})
    report = _report(Attribution.first_touch, expand=("ads",))
    ads = next(row for row in report.rows if row.label == "ads")
    items = {item.label: item for item in ads.campaigns}
    assert (items["email / spring"].leads, items["email / spring"].spend) == (1, Decimal("0"))
    assert items["(any medium) / spring"].spend == Decimal("100.10")
    assert items["(any medium) / (no campaign)"].spend == Decimal("0.20")
    assert ads.spend == Decimal("100.30") and ids["ads"]


def test_touch_report_page_explains_medium_drill_down(client, login, app) -> None:
    login("admin")
    with app.app_context():
        dataset.build()
    html = client.get("/admin/reports/sources?range=custom&start=2026-05-01&end=2026-05-31"
                      "&model=last_touch").get_data(as_text=True)
    assert "utm_medium / utm_campaign pairs" in html
    assert "total spend is the same in every model" in html
