"""Server-rendered SVG charts for the report: numbers in, plain shapes and text labels out.

No inline styles (the CSP forbids them): colours come from CSS classes in app.css, sizes from
SVG attributes. Each chart carries a <title> and <desc>, and the table holds the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .services import Report

BAR_TOP = 10
SERIES = 5


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    revenue_width: float
    spend_width: float
    revenue: Decimal
    spend: Decimal


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: float
    width: float
    label_width: float
    plot_width: float
    desc: str


@dataclass(frozen=True)
class Line:
    label: str
    css: str
    points: str
    last: int
    dots: list[tuple[float, float, int, date]]


@dataclass(frozen=True)
class LineChart:
    lines: list[Line]
    width: float
    height: float
    left: float
    top: float
    plot_height: float
    plot_width: float
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, str]]
    desc: str


@dataclass(frozen=True)
class Charts:
    bars: BarChart | None
    lines: LineChart | None


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _short(label: str, length: int) -> str:
    """A label cut to fit beside the bars, with an ellipsis so the cut shows."""
    return label if len(label) <= length else label[:length - 1] + "…"


def bar_chart(report: Report) -> BarChart | None:
    """Won revenue and spend per source, largest first (top 10)."""
    rows = sorted((row for row in report.rows if row.revenue or row.spend),
                  key=lambda row: -max(row.revenue, row.spend))[:BAR_TOP]
    if not rows:
        return None
    peak = max(max(row.revenue, row.spend) for row in rows) or Decimal(1)
    # About as wide in SVG units as the half-width card is in pixels, so the 12px labels are
    # drawn near 12px (a 710-unit chart shrank them to 9px).
    label_width, plot_width, band = 140.0, 360.0, 44.0
    bars = [Bar(label=_short(row.label, 20), y=12 + index * band,
                revenue_width=float(row.revenue / peak) * plot_width,
                spend_width=float(row.spend / peak) * plot_width,
                revenue=row.revenue, spend=row.spend) for index, row in enumerate(rows)]
    desc = "; ".join(f"{row.label}: won revenue {_money(row.revenue)}, spend {_money(row.spend)}"
                     for row in rows)
    return BarChart(bars=bars, height=24 + len(rows) * band, width=label_width + plot_width + 100,
                    label_width=label_width, plot_width=plot_width, desc=desc)


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return ((value // 10000) + 1) * 10000


def line_chart(report: Report) -> LineChart | None:
    """Leads per week for the top sources."""
    if not report.weekly:
        return None
    weeks = [monday for monday, _ in report.weekly[0][1]]
    peak = _nice_max(max((n for _, series in report.weekly for _, n in series), default=1) or 1)
    left, top, plot_width, plot_height = 48.0, 16.0, 560.0, 200.0
    step = plot_width / max(len(weeks) - 1, 1)
    lines = []
    for index, (label, series) in enumerate(report.weekly[:SERIES]):
        coords = [(left + i * step, top + plot_height - n / peak * plot_height, n, monday)
                  for i, (monday, n) in enumerate(series)]
        lines.append(Line(label=label[:28], css=f"series-{index}",
                          points=" ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coords),
                          last=series[-1][1] if series else 0,
                          dots=coords if len(coords) <= 26 else []))
    every = max(1, len(weeks) // 8)
    x_ticks = [(left + i * step, monday.strftime("%d %b")) for i, monday in enumerate(weeks)
               if i % every == 0]
    y_ticks = [(top + plot_height - plot_height * k / 4, peak * k // 4) for k in range(5)]
    desc = "; ".join(f"{label}: {sum(n for _, n in series)} leads over {len(series)} weeks"
                     for label, series in report.weekly[:SERIES])
    return LineChart(lines=lines, width=left + plot_width + 24, height=top + plot_height + 40,
                     left=left, top=top, plot_height=plot_height, plot_width=plot_width,
                     y_ticks=y_ticks, x_ticks=x_ticks, desc=desc)


def build(report: Report) -> Charts:
    return Charts(bars=bar_chart(report), lines=line_chart(report))
