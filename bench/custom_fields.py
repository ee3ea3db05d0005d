"""Time lead-list filters and sorts on custom fields against the built-in ones, at scale.

    .venv/bin/python bench/custom_fields.py [DB_PATH] [--leads 100000] [--runs 20]

Builds DB_PATH with `demo seed` when the file does not exist (else reuses it), then adds one
custom field per storage type and fills ~80% of the leads with values in one INSERT ... SELECT
per field. Each case is a whole htmx list request (routing, SQL, templates) signed in as an admin.
The built-in budget filter and sort are timed alongside as the reference.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from _harness import seeded_app, signed_in_client, time_cases
from sqlalchemy import Date, cast, func, insert, literal, select

from leadapp.custom_fields import services
from leadapp.custom_fields.models import CustomField, FieldKind, LeadFieldValue
from leadapp.custom_fields.services import FieldSettings
from leadapp.extensions import db
from leadapp.leads.models import Lead

DEFAULT_DB = Path(__file__).resolve().parents[1] / "instance" / "bench_custom_fields.sqlite3"
TIERS = ["Bronze", "Silver", "Gold", "Platinum"]
FIELDS: dict[str, tuple[FieldKind, list[str]]] = {
    "seats": (FieldKind.number, []),
    "deal": (FieldKind.decimal, []),
    "go_live": (FieldKind.date, []),
    "signed": (FieldKind.yes_no, []),
    "tier": (FieldKind.choice, TIERS),
    "channels": (FieldKind.multi_choice, ["Web", "Phone", "Fair"]),
    "segment": (FieldKind.text, []),
}


def _value_columns(key: str) -> dict[str, Any]:
    """SQL expressions over leads.id giving each field varied, deterministic values."""
    lead_id = Lead.id
    if key == "seats":
        return {"number_value": lead_id % 1000}
    if key == "deal":
        return {"number_value": (lead_id * 37 % 1_000_000) / 100.0}
    if key == "go_live":
        if db.engine.dialect.name == "sqlite":
            return {"date_value": func.date("2025-01-01", "+" + cast(lead_id % 730, db.String)
                                            + " days")}
        return {"date_value": cast(literal("2025-01-01"), Date) + (lead_id % 730)}
    if key == "signed":
        return {"bool_value": lead_id % 2 == 0}
    if key == "tier":
        return {"text_value": func.coalesce(*(
            db.case((lead_id % 4 == number, literal(tier))) for number, tier in enumerate(TIERS)))}
    if key == "channels":
        return {"text_value": db.case((lead_id % 3 == 0, literal("|Web|Phone|")),
                                      (lead_id % 3 == 1, literal("|Phone|")),
                                      else_=literal("|Web|Fair|"))}
    return {"text_value": literal("segment ") + cast(lead_id % 500, db.String)}


def add_fields(app: Any) -> dict[str, int]:
    """Create the fields and their values once; reused with the file afterwards."""
    with app.app_context():
        db.create_all()  # a file seeded before custom fields existed lacks their tables
        existing = {item.key: item.id for item in services.list_fields()}
        if set(FIELDS) <= set(existing):
            return existing
        for key, (kind, options) in FIELDS.items():
            item = services.create_field(FieldSettings(
                label=key.replace("_", " ").title(), kind=kind, options=options,
                show_in_list=key in ("seats", "tier"), show_as_filter=True))
            columns = _value_columns(key)
            db.session.execute(insert(LeadFieldValue).from_select(
                ["lead_id", "field_id", *columns],
                select(Lead.id, literal(item.id), *columns.values()).where(Lead.id % 5 != 0)))
            db.session.commit()
            print(f"filled {key}", flush=True)
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return {item.key: item.id for item in db.session.scalars(select(CustomField))}


def cases() -> list[tuple[str, str, bool]]:
    return [
        ("built-in: filter budget range", "budget_min=5000&budget_max=20000", True),
        ("built-in: sort budget asc", "sort=budget&dir=asc", True),
        ("built-in: sort budget desc", "sort=budget&dir=desc", True),
        ("number range (narrow)", "cf_seats_min=100&cf_seats_max=120", True),
        ("number >= (wide)", "cf_seats_min=10", True),
        ("decimal range", "cf_deal_min=1000&cf_deal_max=1500", True),
        ("date range", "cf_go_live_min=2025-03-01&cf_go_live_max=2025-03-31", True),
        ("yes/no", "cf_signed=yes", True),
        ("one choice", "cf_tier=Gold", True),
        ("several choices: has", "cf_channels=Fair", True),
        ("text contains", "cf_segment=segment+42", True),
        ("custom + built-in", "cf_tier=Gold&status=open&budget_min=1000", True),
        ("sort number asc", "sort=cf_seats&dir=asc", True),
        ("sort number desc", "sort=cf_seats&dir=desc", True),
        ("sort date desc", "sort=cf_go_live&dir=desc", True),
        ("sort choice asc", "sort=cf_tier&dir=asc", True),
        ("sort text asc", "sort=cf_segment&dir=asc", True),
        ("filter + sort", "cf_tier=Gold&sort=cf_deal&dir=desc", True),
        ("list page (full, 2 columns)", "", False),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    app = seeded_app(args.db, args.leads)
    add_fields(app)
    client = signed_in_client(app)
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Lead))
    urls = [(name, "/admin/leads" + (f"?{query}" if query else ""), partial)
            for name, query, partial in cases() if args.only in name or "built-in" in name]
    time_cases(app, client, urls, runs=args.runs, warmup=args.warmup, budget_ms=50,
               heading=f"{total:,} leads · custom fields · SQLite {args.db}")


if __name__ == "__main__":
    main()
