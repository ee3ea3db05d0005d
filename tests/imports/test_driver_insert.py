"""DriverInsert: rows sent straight to the driver are stored as a Core insert stores them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert, select, text

from leadapp.extensions import db
from leadapp.imports.driver_insert import DriverInsert
from leadapp.leads.intake import default_pipeline
from leadapp.leads.models import Lead
from leadapp.reference import ensure_reference_data
from leadapp.sources.models import LeadSource

LEADS = Lead.__table__
STORED = [column.name for column in LEADS.c if column.name != "id"]
# currency has a computed default (the app's DEFAULT_CURRENCY): DriverInsert must be given it.
COLUMNS = ("title", "source_id", "pipeline_id", "stage_id", "budget", "currency", "start_date",
           "board_position", "created_at", "updated_at", "ref", "ref_id")


def _row(ref_id: str, moment: datetime) -> dict:
    ensure_reference_data()
    pipeline = default_pipeline()
    return {"title": "Ann’s deal", "source_id": db.session.scalar(select(LeadSource.id)),
            "pipeline_id": pipeline.id, "stage_id": pipeline.stages[0].id,
            "budget": Decimal("1250.50"), "currency": "EUR", "start_date": date(2026, 1, 31),
            "board_position": -1024.0, "created_at": moment, "updated_at": moment,
            "ref": "import:test", "ref_id": ref_id}


def _stored(lead_id: int) -> tuple:
    """The row as the database holds it, with each value's type (SQLite: typeof)."""
    if db.engine.dialect.name == "sqlite":
        shown = ", ".join(f'typeof("{name}") || \':\' || quote("{name}")' for name in STORED)
    else:
        shown = ", ".join(f'pg_typeof("{name}")::text || \':\' || coalesce("{name}"::text, '
                          "'NULL')" for name in STORED)
    return tuple(db.session.execute(text(f"SELECT {shown} FROM leads WHERE id = :id"),
                                    {"id": lead_id}).one())


def test_driver_insert_stores_what_a_core_insert_stores(app_ctx: Flask):
    moment = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    core_id = db.session.execute(insert(LEADS).returning(LEADS.c.id), [_row("1", moment)]
                                 ).scalar_one()
    row = _row("2", moment)
    returned = DriverInsert(LEADS, COLUMNS, returning=("id", "ref_id")).execute(
        [tuple(row[name] for name in COLUMNS)])
    [(driver_id, ref_id)] = returned
    assert ref_id == "2"
    core, driver = _stored(core_id), _stored(driver_id)
    differing = [name for name, a, b in zip(STORED, core, driver, strict=True) if a != b]
    assert differing == ["ref_id"]  # closing_comment etc.: the scalar defaults are there too
    db.session.rollback()


def test_driver_insert_splits_rows_and_returns_every_one(app_ctx: Flask):
    row = _row("", datetime(2026, 3, 4, tzinfo=UTC))
    rows = [tuple({**row, "ref_id": str(n)}[name] for name in COLUMNS) for n in range(2500)]
    returned = DriverInsert(LEADS, COLUMNS, returning=("id", "ref_id")).execute(rows)
    assert sorted(int(ref_id) for _id, ref_id in returned) == list(range(2500))
    assert len({lead_id for lead_id, _ref in returned}) == 2500
    db.session.rollback()


def test_driver_insert_refuses_to_leave_out_a_computed_default():
    table = Table("stamped", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", DateTime(timezone=True), default=lambda: datetime.now(UTC)))
    with pytest.raises(ValueError, match="stamped.at has a computed default"):
        DriverInsert(table, ("id",))
