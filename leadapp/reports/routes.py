"""The source performance report: the page (and its htmx partial), CSV export and print view."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, g, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user

from ..auth.permissions import require
from ..config import check_report_settings, default_currency
from ..web import render
from . import charts, exporting, services
from .filters import choices, parse_filters, query_args

bp = Blueprint("reports", __name__, url_prefix="/admin/reports")


@bp.record_once
def _check_settings(state: BlueprintSetupState) -> None:
    # At start-up (registration sees the final config, test overrides included), not at the
    # first report request.
    check_report_settings(state.app.config)


def _context(with_charts: bool = True) -> dict[str, Any]:
    filters, errors = parse_filters(request.args)
    report = services.source_report(current_user, filters, with_charts=with_charts)
    return {"report": report, "filters": filters, "errors": errors, "columns": services.COLUMNS,
            "short": services.SHORT,
            "charts": charts.build(report) if with_charts else None, "choices": choices(),
            "presets": services.PRESETS, "attributions": services.ATTRIBUTION_LABELS,
            "zone": filters.zone.key,
            "link": lambda endpoint="reports.sources", **changes: url_for(
                endpoint, **query_args(filters, request.args, **changes))}


@bp.get("/sources")
@require("reports.view")
def sources() -> Response:
    return render("reports/sources.html", "reports/_partials/report.html", **_context())


@bp.get("/sources/print")
@require("reports.view")
def print_view() -> str:
    context = _context()
    return render_template("reports/print.html", today=services.local_today(
        context["filters"].zone), **context)


@bp.get("/sources/export.csv")
@require("reports.view")
def export() -> Response:
    filters, _ = parse_filters(request.args)
    report = services.source_report(current_user, filters, with_charts=False)
    name = f"source-report-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    return Response(exporting.report_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/sources/month")
@require("reports.view")
def month_cards() -> str:
    """This month's totals as small cards (loaded into the dashboard)."""
    today = services.local_today(services.app_zone())
    start, _ = services.preset_range("this_month", today)
    return render_template("reports/_partials/month_cards.html", start=start, today=today,
                           currency=default_currency(),
                           total=services.month_figures(current_user, today))


@bp.app_template_global()
def source_won_revenue(source_id: int) -> Decimal:
    """All-time won revenue of a source over the leads the user may see (the sources list's
    column); one grouped query per request, however many rows ask."""
    if "source_won_revenue" not in g:
        g.source_won_revenue = services.won_revenue_by_source(current_user)
    return g.source_won_revenue.get(source_id, Decimal("0.00"))
