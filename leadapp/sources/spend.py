"""Marketing spend per source (optionally per campaign): list, record, edit, delete, CSV import."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, cast, func, select

from ..errors import RuleViolation
from ..extensions import db
from .models import Campaign, LeadSource, Spend

MAX_AMOUNT = Decimal("999999999999.99")
NOTE_MAX = 500
IMPORT_MAX_ROWS = 5000
IMPORT_HEADERS = ("date", "source", "campaign", "amount")


def spend_for(source: LeadSource | None = None, campaign: Campaign | None = None,
              limit: int | None = 200) -> list[Spend]:
    """Spend rows of a source or a campaign, newest first."""
    statement = select(Spend).order_by(Spend.spent_on.desc(), Spend.id.desc()).limit(limit)
    if campaign is not None:
        statement = statement.where(Spend.campaign_id == campaign.id)
    elif source is not None:
        statement = statement.where(Spend.source_id == source.id)
    return list(db.session.scalars(statement))


def spend_total(source: LeadSource | None = None, campaign: Campaign | None = None
                ) -> tuple[Decimal, int]:
    """(sum, number of rows) of a source's or a campaign's spend."""
    statement = select(func.coalesce(func.sum(_cents(Spend.amount)), 0), func.count(Spend.id))
    if campaign is not None:
        statement = statement.where(Spend.campaign_id == campaign.id)
    elif source is not None:
        statement = statement.where(Spend.source_id == source.id)
    cents, count = db.session.execute(statement).one()
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01")), count


def _cents(value: Any) -> Any:
    """Exact sums on SQLite too, which keeps NUMERIC as REAL."""
    return cast(func.round(value * 100), BigInteger)


def _check(source: LeadSource, campaign: Campaign | None, amount: Decimal | None) -> None:
    if amount is None or amount < 0 or amount > MAX_AMOUNT:
        raise RuleViolation("Enter an amount from 0 to 999,999,999,999.99.", field="amount")
    if campaign is not None and campaign.source_id not in (None, source.id):
        raise RuleViolation(f"The campaign “{campaign.name}” belongs to another source.",
                            field="campaign_id")


def record_spend(source: LeadSource, spent_on: date, amount: Decimal,
                 campaign: Campaign | None = None, note: str = "") -> Spend:
    """Record spend on a day (a month's spend goes on its first day)."""
    _check(source, campaign, amount)
    spend = Spend(source_id=source.id, campaign_id=campaign.id if campaign else None,
                  spent_on=spent_on, amount=amount.quantize(Decimal("0.01")),
                  note=(note or "").strip()[:NOTE_MAX])
    db.session.add(spend)
    db.session.commit()
    return spend


def update_spend(spend: Spend, spent_on: date, amount: Decimal, campaign: Campaign | None,
                 note: str = "") -> Spend:
    _check(spend.source, campaign, amount)
    spend.spent_on = spent_on
    spend.amount = amount.quantize(Decimal("0.01"))
    spend.campaign_id = campaign.id if campaign else None
    spend.note = (note or "").strip()[:NOTE_MAX]
    db.session.commit()
    return spend


def delete_spend(spend: Spend) -> None:
    db.session.delete(spend)
    db.session.commit()


@dataclass
class ImportResult:
    created: int = 0
    errors: list[str] = field(default_factory=list)
    total: Decimal = Decimal("0.00")


def parse_date(raw: str) -> date | None:
    """YYYY-MM-DD, or YYYY-MM for a whole month (booked on its first day)."""
    raw = raw.strip()
    try:
        return date.fromisoformat(raw if len(raw) != 7 else f"{raw}-01")
    except ValueError:
        return None


def parse_amount(raw: str) -> Decimal | None:
    cleaned = raw.strip().replace(",", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT or value != value.quantize(
            Decimal("0.01")):
        return None
    return value


def _lookup(model: type, name: str) -> Any:
    return db.session.scalar(select(model).where(func.lower(model.name) == name.strip().lower()))


def _import_row(line: int, row: dict[str, str], default_source: LeadSource | None,
                errors: list[str]) -> Spend | None:
    spent_on = parse_date(row.get("date") or "")
    amount = parse_amount(row.get("amount") or "")
    source_name = (row.get("source") or "").strip()
    source = _lookup(LeadSource, source_name) if source_name else default_source
    campaign_name = (row.get("campaign") or "").strip()
    campaign = _lookup(Campaign, campaign_name) if campaign_name else None
    problems = [message for ok, message in (
        (spent_on, "the date is not YYYY-MM-DD or YYYY-MM"),
        (amount is not None, "the amount is not a number from 0 with at most 2 decimals"),
        (source, f"no source is named “{source_name}”" if source_name else "the source is empty"),
        (campaign or not campaign_name, f"no campaign is named “{campaign_name}”"),
    ) if not ok]
    if row.get(None):  # type: ignore[call-overload]
        problems.append("the line has more columns than the first line (quote amounts that "
                        "contain commas)")
    if not problems and campaign is not None and campaign.source_id not in (None, source.id):
        problems.append(f"the campaign “{campaign.name}” belongs to another source")
    if problems:
        errors.append(f"Line {line}: " + "; ".join(problems) + ".")
        return None
    return Spend(source_id=source.id, campaign_id=campaign.id if campaign else None,
                 spent_on=spent_on, amount=amount, note="Imported from CSV")


def import_csv(data: bytes, default_source: LeadSource | None = None) -> ImportResult:
    """Import spend rows (date, source, campaign, amount); all or nothing, errors per line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RuleViolation("Save the file as UTF-8 CSV and try again.", field="file") from error
    reader = csv.DictReader(io.StringIO(text))
    headers = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in ("date", "amount") if name not in headers]
    if missing or ("source" not in headers and default_source is None):
        raise RuleViolation("The first line must name the columns: date, source, campaign, "
                            "amount.", field="file")
    reader.fieldnames = headers
    result = ImportResult()
    rows: list[Spend] = []
    for line, row in enumerate(reader, start=2):
        if line - 1 > IMPORT_MAX_ROWS:
            raise RuleViolation(f"Import at most {IMPORT_MAX_ROWS:,} rows at a time.", field="file")
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        spend = _import_row(line, row, default_source, result.errors)
        if spend is not None:
            rows.append(spend)
    if result.errors or not rows:
        if not rows and not result.errors:
            result.errors.append("The file has no spend rows.")
        return result
    db.session.add_all(rows)
    db.session.commit()
    result.created = len(rows)
    result.total = sum((row.amount for row in rows), Decimal("0.00"))
    return result
