"""Reading the report's filters from the query string, and the choices its filter form offers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from ..auth.models import Team, User
from ..config import default_currency
from ..extensions import db
from ..leads.forms import CURRENCIES
from ..pipeline.models import Pipeline, Stage
from .services import (
    COLUMNS,
    PRESETS,
    Attribution,
    Filters,
    app_zone,
    local_today,
    preset_range,
)

MAX_DAYS = 366 * 5


def _int(raw: Any) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdecimal() and len(text) < 10 else None


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


def parse_filters(args: Mapping[str, Any], today: date | None = None
                  ) -> tuple[Filters, dict[str, str]]:
    """Filters from the URL; bad custom dates fall back to this month with a message per field.
    Presets count from `today` in APP_TIMEZONE unless a day is given."""
    errors: dict[str, str] = {}
    zone = app_zone()
    today = today or local_today(zone)
    preset = args.get("range", "this_month")
    preset = preset if preset in PRESETS else "this_month"
    start, end = preset_range(preset, today)
    if preset == "custom":
        start_in, end_in = _date(args.get("start")), _date(args.get("end"))
        if start_in is None:
            errors["start"] = "Enter the first day as YYYY-MM-DD."
        if end_in is None:
            errors["end"] = "Enter the last day as YYYY-MM-DD."
        if start_in and end_in and end_in < start_in:
            errors["end"] = "The last day must be on or after the first day."
        elif start_in and end_in and (end_in - start_in) > timedelta(days=MAX_DAYS):
            errors["end"] = "Choose a range of at most five years."
        if not errors and start_in and end_in:
            start, end = start_in, end_in
    attribution = args.get("model", Attribution.source.value)
    sort = args.get("sort", "revenue")
    spend_currency = default_currency()
    currency = args.get("currency", spend_currency)
    expand = tuple(value for value in args.getlist("expand") if 0 < len(value) <= 200)[:50] \
        if hasattr(args, "getlist") else ()
    return Filters(
        start=start, end=end, preset=preset, pipeline_id=_int(args.get("pipeline")),
        owner_id=_int(args.get("owner")), team_id=_int(args.get("team")),
        qualify_stage_id=_int(args.get("stage")),
        attribution=Attribution(attribution) if attribution in Attribution.__members__
        else Attribution.source,
        sort=sort if sort in COLUMNS else "revenue", desc=args.get("dir", "desc") != "asc",
        expand=expand, zone=zone,
        currency=currency if currency in CURRENCIES else spend_currency,
        spend_currency=spend_currency), errors


def query_args(filters: Filters, raw: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """The current query string with some values changed, for sort and expand links."""
    values: dict[str, Any] = {key: raw.getlist(key) if hasattr(raw, "getlist") else raw[key]
                              for key in raw}
    values.update(changes)
    return {key: value for key, value in values.items() if value not in (None, "", [])}


def choices() -> dict[str, list[Any]]:
    """Pipelines, stages (for "qualified"), owners, teams and currencies for the filter form."""
    stages = db.session.execute(
        select(Stage.id, Pipeline.name, Stage.name).join(Pipeline)
        .order_by(Pipeline.is_default.desc(), Pipeline.name, Stage.position))
    return {
        "pipelines": list(db.session.execute(select(Pipeline.id, Pipeline.name)
                                             .order_by(Pipeline.name)).tuples()),
        "stages": [(stage_id, f"{pipeline} · {name}") for stage_id, pipeline, name in stages],
        "owners": [(user_id, name or email) for user_id, name, email in db.session.execute(
            select(User.id, User.name, User.email).where(User.active.is_(True))
            .order_by(User.name, User.email))],
        "teams": list(db.session.execute(select(Team.id, Team.name).order_by(Team.name))
                      .tuples()),
        "currencies": CURRENCIES,
    }
