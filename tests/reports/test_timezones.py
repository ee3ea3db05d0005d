"""Report days, months and weeks follow APP_TIMEZONE, not UTC, across clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from leadapp.reports import services
from leadapp.reports.filters import parse_filters
from leadapp.reports.services import Filters
from tests.conftest import make_app
from tests.factories import LeadFactory, LeadSourceFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def _local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)


def _leads(zone: ZoneInfo, start: date, end: date) -> int:
    admin = UserFactory(role="admin")
    filters = Filters(start=start, end=end, preset="custom", zone=zone)
    return services.source_report(admin, filters).total.leads


def test_report_new_york_late_evening_lead_counts_in_its_local_month(app_ctx: Flask) -> None:
    # 23:30 on 31 May in New York is 03:30 on 1 June in UTC.
    LeadFactory(created_at=_local(NEW_YORK, 2026, 5, 31, 23, 30))
    assert _leads(NEW_YORK, date(2026, 5, 1), date(2026, 5, 31)) == 1
    assert _leads(NEW_YORK, date(2026, 6, 1), date(2026, 6, 30)) == 0
    assert _leads(ZoneInfo("UTC"), date(2026, 6, 1), date(2026, 6, 30)) == 1


def test_report_berlin_just_after_midnight_lead_counts_in_the_new_month(app_ctx: Flask) -> None:
    # 00:30 on 1 June in Berlin (summer time) is 22:30 on 31 May in UTC.
    LeadFactory(created_at=_local(BERLIN, 2026, 6, 1, 0, 30))
    assert _leads(BERLIN, date(2026, 6, 1), date(2026, 6, 30)) == 1
    assert _leads(BERLIN, date(2026, 5, 1), date(2026, 5, 31)) == 0
    assert _leads(ZoneInfo("UTC"), date(2026, 5, 1), date(2026, 5, 31)) == 1


def test_report_day_when_clocks_go_back_lasts_25_hours(app_ctx: Flask) -> None:
    # New York falls back on 1 November 2026: that day runs 04:00 UTC to 05:00 UTC next day.
    LeadFactory(created_at=_local(NEW_YORK, 2026, 11, 1, 0, 30))
    LeadFactory(created_at=_local(NEW_YORK, 2026, 11, 1, 23, 30))  # 04:30 UTC on the 2nd
    LeadFactory(created_at=_local(NEW_YORK, 2026, 10, 31, 23, 30))  # 03:30 UTC on the 1st
    assert _leads(NEW_YORK, date(2026, 11, 1), date(2026, 11, 1)) == 2
    assert _leads(NEW_YORK, date(2026, 10, 1), date(2026, 10, 31)) == 1
    assert _leads(NEW_YORK, date(2026, 11, 1), date(2026, 11, 30)) == 2


def test_report_berlin_month_ending_on_a_clock_change_day(app_ctx: Flask) -> None:
    # Berlin springs forward on Sunday 29 March 2026 (02:00 -> 03:00): a 23-hour last day.
    LeadFactory(created_at=_local(BERLIN, 2026, 3, 31, 23, 30))  # 21:30 UTC, summer time
    LeadFactory(created_at=_local(BERLIN, 2026, 3, 1, 0, 30))  # 23:30 UTC on 28 February
    assert _leads(BERLIN, date(2026, 3, 1), date(2026, 3, 31)) == 2
    assert _leads(BERLIN, date(2026, 2, 1), date(2026, 2, 28)) == 0


def test_report_weekly_line_buckets_by_local_monday_across_clock_change(
        app_ctx: Flask) -> None:
    source = LeadSourceFactory(name="Ads")
    # Sunday 00:30 before the change (23:30 UTC Saturday) and Monday 00:30 after it
    # (22:30 UTC Sunday): in UTC both fall in the week of 23 March.
    LeadFactory(source=source, created_at=_local(BERLIN, 2026, 3, 29, 0, 30))
    LeadFactory(source=source, created_at=_local(BERLIN, 2026, 3, 30, 0, 30))
    admin = UserFactory(role="admin")
    filters = Filters(start=date(2026, 3, 16), end=date(2026, 4, 5), preset="custom",
                      zone=BERLIN)
    weekly = dict(services.source_report(admin, filters).weekly)
    assert weekly["Ads"] == [(date(2026, 3, 16), 0), (date(2026, 3, 23), 1),
                             (date(2026, 3, 30), 1)]
    utc = services.source_report(admin, Filters(start=date(2026, 3, 16), end=date(2026, 4, 5),
                                                preset="custom"))
    assert dict(utc.weekly)["Ads"][1] == (date(2026, 3, 23), 2)


def test_report_days_to_won_counts_from_the_local_creation_date(app_ctx: Flask) -> None:
    from tests.reports.dataset import stage

    # Created 00:30 on 2 June in Berlin (1 June in UTC), won on 4 June: two days, not three.
    LeadFactory(stage=stage("Converted"), created_at=_local(BERLIN, 2026, 6, 2, 0, 30),
                closing_date=date(2026, 6, 4))
    admin = UserFactory(role="admin")
    report = services.source_report(admin, Filters(start=date(2026, 6, 1),
                                                   end=date(2026, 6, 30), zone=BERLIN))
    assert report.total.avg_days == 2


def test_offset_spans_list_each_clock_change_in_range(app_ctx: Flask) -> None:
    low, high = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    spans = services.offset_spans(BERLIN, low, high)
    assert spans == ((low, 3600), (datetime(2026, 3, 29, 1, tzinfo=UTC), 7200),
                     (datetime(2026, 10, 25, 1, tzinfo=UTC), 3600))
    assert services.offset_spans(ZoneInfo("UTC"), low, high) == ((low, 0),)


def test_parse_filters_uses_configured_zone_for_presets(app: Flask) -> None:
    app.config["APP_TIMEZONE"] = "America/New_York"
    with app.test_request_context("/admin/reports/sources?range=last_month"):
        filters, errors = parse_filters({"range": "last_month"}, date(2026, 6, 1))
    assert not errors and filters.zone == NEW_YORK
    assert (filters.start, filters.end) == (date(2026, 5, 1), date(2026, 5, 31))


def test_report_page_names_the_configured_zone(client, login, app) -> None:
    app.config["APP_TIMEZONE"] = "Europe/Berlin"
    login("admin")
    html = client.get("/admin/reports/sources").get_data(as_text=True)
    assert "(Europe/Berlin)" in html and "(UTC)" not in html


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("APP_TIMEZONE", "Mars/Olympus_Mons", "APP_TIMEZONE must be an IANA time zone name"),
    ("APP_TIMEZONE", "../etc/passwd", "APP_TIMEZONE must be an IANA time zone name"),
    ("DEFAULT_CURRENCY", "XBT", "DEFAULT_CURRENCY must be one of USD, EUR"),
])
def test_create_app_with_unknown_zone_or_currency_refuses_to_start(
        setting: str, value: str, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        make_app(**{setting: value})


def test_dashboard_month_starts_at_local_midnight(app: Flask) -> None:
    from leadapp.dashboard.services import summary

    app.config["APP_TIMEZONE"] = "Europe/Berlin"
    with app.app_context():
        user = UserFactory(role="admin")
        # 23:30 UTC on 31 May is already 1 June in Berlin.
        result = summary(user, now=datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    assert result.month_start.date() == date(2026, 6, 1)
