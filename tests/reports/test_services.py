"""The source report's aggregation on a hand-built dataset with known totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask import Flask

from leadapp.auth.models import User
from leadapp.extensions import db
from leadapp.reports import services
from leadapp.reports.services import Attribution, Filters, Row
from tests.factories import UserFactory
from tests.reports import dataset


def _report(attribution: Attribution = Attribution.source, expand: tuple[str, ...] = (),
            start: date = dataset.MAY[0], end: date = dataset.MAY[1]) -> services.Report:
    admin = UserFactory(role="admin")
    return services.source_report(admin, Filters(start=start, end=end, preset="custom",
                                                 attribution=attribution, expand=expand))


def _row(report: services.Report, label: str) -> Row:
    return next(row for row in report.rows if row.label == label)


def test_report_hand_built_dataset_counts_exact_figures(app_ctx: Flask) -> None:
    dataset.build()
    ads = _row(_report(), "Ads")
    assert (ads.leads, ads.won, ads.lost, ads.open, ads.qualified) == (5, 3, 1, 1, 4)
    assert ads.revenue == Decimal("3500.35")
    assert ads.spend == Decimal("100.30")
    assert ads.conversion == Decimal("60.0")
    assert ads.avg_days == Decimal("6.0")
    assert ads.cpl == Decimal("20.06")
    assert ads.cpa == Decimal("33.43")
    assert ads.ros == Decimal("34.90")
    assert ads.median_response == pytest.approx(3.0, abs=1e-4)  # hours; julianday is a float


def test_report_spend_without_leads_shows_row_with_empty_divisions(app_ctx: Flask) -> None:
    dataset.build()
    fairs = _row(_report(), "Fairs")
    assert (fairs.leads, fairs.spend, fairs.revenue) == (0, Decimal("200.00"), Decimal("0.00"))
    assert fairs.cpl is None and fairs.cpa is None and fairs.conversion is None
    assert fairs.ros == Decimal("0.00")


def test_report_leads_without_spend_have_no_cost_figures(app_ctx: Flask) -> None:
    dataset.build()
    calls = _row(_report(), "Calls")
    assert (calls.leads, calls.open, calls.spend) == (1, 1, Decimal("0.00"))
    assert calls.cpl == Decimal("0.00") and calls.cpa is None and calls.ros is None
    assert calls.median_response is None


def test_report_total_row_adds_every_source_exactly(app_ctx: Flask) -> None:
    dataset.build()
    total = _report().total
    assert (total.leads, total.won, total.lost, total.open) == (6, 3, 1, 2)
    assert total.revenue == Decimal("3500.35")
    assert total.spend == Decimal("300.30")
    assert total.cpl == Decimal("50.05")
    assert total.median_response == pytest.approx(3.0, abs=1e-4)


def test_report_midnight_boundaries_include_first_and_exclude_next_day(app_ctx: Flask) -> None:
    dataset.build()
    june = _report(start=date(2026, 6, 1), end=date(2026, 6, 1))
    assert _row(june, "Ads").leads == 1
    assert _row(june, "Ads").spend == Decimal("50.00")
    last_april_day = _report(start=date(2026, 4, 30), end=date(2026, 4, 30))
    assert _row(last_april_day, "Ads").leads == 1
    last_may_day = _report(start=date(2026, 5, 31), end=date(2026, 5, 31))
    assert _row(last_may_day, "Ads").leads == 1  # 23:59:59 on the 31st


def test_report_deleted_leads_are_excluded(app_ctx: Flask) -> None:
    ids = dataset.build()
    report = _report(start=date(2026, 5, 7), end=date(2026, 5, 7))
    assert all(row.leads == 0 for row in report.rows)
    assert ids["leads"]["deleted"]


def test_report_expanded_source_lists_campaigns_with_same_columns(app_ctx: Flask) -> None:
    ids = dataset.build()
    ads = _row(_report(expand=(str(ids["ads"]),)), "Ads")
    spring = next(item for item in ads.campaigns if item.label == "Spring")
    none = next(item for item in ads.campaigns if item.label == services.NO_CAMPAIGN)
    assert (spring.leads, spring.won, spring.revenue, spring.spend) == (
        2, 2, Decimal("1000.10"), Decimal("100.10"))
    assert spring.avg_days == Decimal("6.0")
    assert (none.leads, none.revenue, none.spend) == (3, Decimal("2500.25"), Decimal("0.20"))
    assert spring.median_response == pytest.approx(2.0, abs=1e-4)  # l3's only answer is a bot's
    assert none.median_response == pytest.approx(4.0, abs=1e-4)


def test_report_first_touch_groups_by_utm_source_and_no_touch(app_ctx: Flask) -> None:
    dataset.build()
    report = _report(Attribution.first_touch)
    labels = {row.label: row for row in report.rows}
    assert labels["newsletter"].leads == 1
    assert labels["newsletter"].revenue == Decimal("1000.10")
    assert labels[services.NO_TOUCH].leads == 5
    assert "first touch" in report.attribution_label
    assert _row(_report(Attribution.last_touch), "google").won == 1


def test_report_sales_user_sees_only_visible_leads(app_ctx: Flask) -> None:
    dataset.build()
    rep = UserFactory(role="sales")
    other = UserFactory(role="sales")
    lead = db.session.get(User, rep.id)
    assert lead is not None
    from leadapp.models import Lead

    for item in db.session.scalars(db.select(Lead)):
        item.owner_id = other.id
    db.session.commit()
    report = services.source_report(rep, Filters(start=dataset.MAY[0], end=dataset.MAY[1]))
    assert report.total.leads == 0
    assert report.total.spend == Decimal("300.30")


def test_sort_rows_missing_figures_go_last_either_direction(app_ctx: Flask) -> None:
    rows = [Row(key="a", label="A", leads=2, spend=Decimal("10")),
            Row(key="b", label="B", leads=0, spend=Decimal("5")),
            Row(key="c", label="C", leads=1, spend=Decimal("1"))]
    assert [row.key for row in services.sort_rows(rows, "cpl", False)] == ["c", "a", "b"]
    assert [row.key for row in services.sort_rows(rows, "cpl", True)] == ["a", "c", "b"]
    assert [row.key for row in services.sort_rows(rows, "label", True)] == ["c", "b", "a"]


def test_preset_range_covers_calendar_periods(app_ctx: Flask) -> None:
    today = date(2026, 1, 15)
    assert services.preset_range("this_month", today) == (date(2026, 1, 1), today)
    assert services.preset_range("last_month", today) == (date(2025, 12, 1), date(2025, 12, 31))
    assert services.preset_range("this_quarter", date(2026, 8, 3)) == (date(2026, 7, 1),
                                                                       date(2026, 8, 3))
    assert services.preset_range("last_12_months", today) == (date(2025, 2, 1), today)
    assert services.preset_range("last_12_months", date(2026, 12, 5)) == (date(2026, 1, 1),
                                                                          date(2026, 12, 5))


def test_month_figures_counts_this_month_only(app_ctx: Flask) -> None:
    dataset.build()
    admin = UserFactory(role="admin")
    assert services.month_figures(admin, date(2026, 5, 31)).leads == 6
    assert services.month_figures(admin, date(2026, 5, 20)).leads == 5  # month to date
    assert services.month_figures(admin, date(2026, 7, 2)).leads == 0


def test_report_owner_and_team_filters_narrow_leads(app_ctx: Flask) -> None:
    from leadapp.models import Lead
    from tests.factories import TeamFactory

    ids = dataset.build()
    owner, team = UserFactory(role="sales"), TeamFactory()
    lead = db.session.get(Lead, ids["leads"]["l1"])
    lead.owner_id, lead.team_id = owner.id, team.id
    db.session.commit()
    admin = UserFactory(role="admin")
    by_owner = services.source_report(admin, Filters(*dataset.MAY, owner_id=owner.id))
    by_team = services.source_report(admin, Filters(*dataset.MAY, team_id=team.id))
    assert by_owner.total.leads == by_team.total.leads == 1
    assert by_owner.total.revenue == Decimal("1000.10")
    assert by_owner.total.spend == Decimal("300.30")  # spend is not owned by anyone


def test_report_later_qualifying_stage_counts_fewer_leads(app_ctx: Flask) -> None:
    ids = dataset.build()
    admin = UserFactory(role="admin")
    in_process = dataset.stage("In process")
    recycled = dataset.stage("Recycled")
    ads = str(ids["ads"])
    row = next(r for r in services.source_report(
        admin, Filters(*dataset.MAY, qualify_stage_id=in_process.id)).rows if r.key == ads)
    assert row.qualified == 4  # l8 was once In process
    row = next(r for r in services.source_report(
        admin, Filters(*dataset.MAY, qualify_stage_id=recycled.id)).rows if r.key == ads)
    assert row.qualified == 3  # only the won ones


def test_report_touch_model_matches_spend_by_source_name(app_ctx: Flask) -> None:
    from leadapp.models import Lead
    from tests.factories import SpendFactory

    ids = dataset.build()
    lead = db.session.get(Lead, ids["leads"]["l2"])
    lead.first_touch = {"utm_source": " Fairs ", "utm_campaign": "expo"}
    db.session.commit()
    fairs = db.session.get(services.LeadSource, ids["fairs"])
    SpendFactory(source=fairs, spent_on=dataset.MAY[0], amount=Decimal("0.01"))
    report = _report(Attribution.first_touch)
    row = _row(report, "fairs")
    assert (row.leads, row.revenue, row.spend) == (1, Decimal("2500.25"), Decimal("200.01"))
    assert row.ros == Decimal("12.50")


def test_report_pipeline_filter_narrows_table_and_weekly_chart(app_ctx: Flask) -> None:
    from leadapp.models import Pipeline, Stage
    from tests.factories import LeadFactory, default_pipeline

    ids = dataset.build()
    partners = Pipeline(name="Partners", is_default=False,
                        stages=[Stage(name="Talking", kind="open"), Stage(name="Won", kind="won")])
    db.session.add(partners)
    db.session.commit()
    ads = db.session.get(services.LeadSource, ids["ads"])
    LeadFactory(source=ads, pipeline=partners, stage=partners.stages[0],
                created_at=dataset.at(2026, 5, 20))
    admin = UserFactory(role="admin")
    default = services.source_report(admin, Filters(*dataset.MAY,
                                                    pipeline_id=default_pipeline().id))
    only = services.source_report(admin, Filters(*dataset.MAY, pipeline_id=partners.id))
    assert (default.total.leads, only.total.leads) == (6, 1)
    assert [(label, sum(n for _, n in weeks)) for label, weeks in only.weekly] == [("Ads", 1)]
