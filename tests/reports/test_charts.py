"""The SVG charts are drawn from the filtered report: what a filter removes, the chart drops."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.factories import LeadFactory, LeadSourceFactory, UserFactory
from tests.reports import dataset

URL = "/admin/reports/sources?range=custom&start=2026-05-01&end=2026-05-31"


def _chart(html: str, name: str) -> str:
    """The markup of one chart's <svg>, or "" when the chart is not drawn."""
    match = re.search(rf'<svg class="chart chart-{name}".*?</svg>', html, re.S)
    return match.group(0) if match else ""


def _build_with_owned_source(app) -> int:
    """The dataset plus "Webinars", whose only (won) lead belongs to one sales rep."""
    with app.app_context():
        dataset.build()
        rep = UserFactory(role="sales")
        webinars = LeadSourceFactory(name="Webinars")
        LeadFactory(source=webinars, owner_id=rep.id, stage=dataset.stage("Converted"),
                    budget=Decimal("777.00"), created_at=dataset.at(2026, 5, 12))
        return rep.id


def test_charts_show_every_source_without_filters(client, login, app):
    _build_with_owned_source(app)
    login("admin")
    html = client.get(URL).get_data(as_text=True)
    assert ">Webinars</text>" in _chart(html, "bars") and "777.00" in _chart(html, "bars")
    assert "Webinars, week of" in _chart(html, "lines")


def test_charts_drop_a_source_the_owner_filter_removes(client, login, app):
    rep_id = _build_with_owned_source(app)
    other = login("admin")
    html = client.get(f"{URL}&owner={other}").get_data(as_text=True)
    assert "Webinars" not in _chart(html, "bars")
    assert ">Fairs</text>" in _chart(html, "bars")  # spend has no owner, so it stays
    assert _chart(html, "lines") == ""  # no lead of the range is the admin's
    html = client.get(f"{URL}&owner={rep_id}").get_data(as_text=True)
    assert ">Webinars</text>" in _chart(html, "bars")
    assert "Webinars, week of" in _chart(html, "lines") and "Ads, week of" not in html


def test_bar_chart_revenue_follows_currency_filter(client, login, app):
    _build_with_owned_source(app)
    login("admin")
    html = client.get(f"{URL}&currency=EUR").get_data(as_text=True)
    bars = _chart(html, "bars")
    assert "Webinars" not in bars and "3,500.35" not in bars  # USD wins, no spend
    assert ">Ads</text>" in bars and "won revenue 0.00" in bars  # only its spend is drawn


def test_line_chart_weeks_follow_date_range(client, login, app):
    _build_with_owned_source(app)
    login("admin")
    html = client.get("/admin/reports/sources?range=custom&start=2026-05-11&end=2026-05-17"
                      ).get_data(as_text=True)
    lines = _chart(html, "lines")
    assert "week of 2026-05-11" in lines and "week of 2026-05-04" not in lines
    assert "Webinars, week of 2026-05-11: 1 leads" in lines
