"""Validation and conversion per field kind: raw input (form text, JSON, a CSV cell) -> a
Python value -> the typed value columns, and back for display and the API.

One place for these rules, so the lead form, click-to-edit, capture forms, imports and the API
accept and refuse the same values with the same messages.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from wtforms.validators import URL, ValidationError

from ..leads.forms import normalise_phone
from .models import CustomField, FieldKind, LeadFieldValue, storage_column

TEXT_MAX = 500
LONG_MAX = 10_000
NUMBER_LIMIT = Decimal("1e15")
YES = {"yes", "y", "true", "1", "on", "ja", "x"}
NO = {"no", "n", "false", "0", "off", "nein"}
SEPARATOR = "|"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _UrlField:  # WTForms' URL validator reads `.data` from a field-like object
    def __init__(self, data: str) -> None:
        self.data = data


_URL = URL(require_tld=True, message="invalid")


def is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, (list, tuple, set)):
        return not any(not is_empty(item) for item in raw)
    return False


def parse(field: CustomField, raw: Any) -> Any:
    """The typed value of `raw` for this field, None when empty; ValueError with a message
    that says what to enter."""
    if is_empty(raw):
        if field.required:
            raise ValueError(f"{field.label} is required.")
        return None
    return _PARSERS[field.kind](field, raw)


def _scalar(field: CustomField, raw: Any) -> str:
    """`raw` as text; a JSON object or list (from the API) is refused, not stored as its repr."""
    if isinstance(raw, dict | list | tuple | set):
        raise ValueError(f"{field.label}: send a single text value, not a list or an object.")
    return str(raw).strip()


def _text(field: CustomField, raw: Any, limit: int = TEXT_MAX) -> str:
    value = _scalar(field, raw)
    if len(value) > limit:
        raise ValueError(f"{field.label}: use at most {limit} characters.")
    return value


# A plain number: digits, an optional dot decimal part, an optional exponent (spreadsheets
# write 1.5E+3). Anything else (decimal commas, dot groups) is refused rather than guessed.
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# Comma thousands groups as in 1,234,567.50: a comma followed by exactly three digits, each time.
COMMA_GROUPS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
# Spaces people (and spreadsheets) put between digit groups: plain, no-break, narrow no-break.
GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f")


def _number(field: CustomField, raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise ValueError(f"{field.label}: enter a number.")
    text = _number_text(field, raw.translate(GROUP_SPACES) if isinstance(raw, str) else str(raw))
    try:
        value = Decimal(text) if PLAIN_NUMBER.fullmatch(text) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValueError(f"{field.label}: enter a number such as {_example(field)}.")
    if abs(value) >= NUMBER_LIMIT:
        raise ValueError(f"{field.label}: the number is too large.")
    if field.kind == FieldKind.number:
        if value != value.to_integral_value():
            raise ValueError(f"{field.label}: enter a whole number, without decimals.")
        return value.quantize(Decimal(1))
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"{field.label}: use at most two decimals, e.g. 1250.50.")
    return value.quantize(Decimal("0.01"))


def _example(field: CustomField) -> str:
    return "1250.50" if field.kind == FieldKind.decimal else "42"


def _number_text(field: CustomField, text: str) -> str:
    """`text` without thousands commas, when they can only be thousands commas.

    "12,5" or "1.234,50" (a decimal comma) would silently become 125 or 1.23 if commas were
    dropped, so a comma is accepted only between groups of three digits, and in a money field
    "1,234" (1234, or 1.234 with a decimal comma?) also needs its decimals: 1,234.00."""
    if "," not in text:
        return text
    groups = COMMA_GROUPS.fullmatch(text)
    ambiguous = (field.kind == FieldKind.decimal and groups is not None
                 and groups.group(2) is None and text.count(",") == 1)
    if groups is None or ambiguous:
        raise ValueError(
            f"{field.label}: “{text}” is ambiguous. Use a dot for decimals and commas only "
            f"between groups of three digits, e.g. {_example(field)} or "
            f"{'1,250.50' if field.kind == FieldKind.decimal else '1,250'}.")
    return text.replace(",", "")


def _date(field: CustomField, raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip() if isinstance(raw, str) else ""
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        # An ISO timestamp (an API client sending a datetime) keeps its date; other trailing
        # text ("2026-01-31garbage") is refused rather than cut off.
        if ISO_DATE.fullmatch(text[:10]) and text[10:11] in ("T", " "):
            return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    raise ValueError(f"{field.label}: enter a date like 2026-01-31.")


def _yes_no(field: CustomField, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"{field.label}: answer yes or no.")


def _option(field: CustomField, raw: Any) -> str:
    text = _scalar(field, raw)
    for option in field.options or []:
        if option.lower() == text.lower():
            return option
    allowed = ", ".join(field.options or [])
    raise ValueError(f"{field.label}: “{text}” is not one of the choices ({allowed}).")


def _choices(field: CustomField, raw: Any) -> list[str]:
    if isinstance(raw, dict):
        raise ValueError(f"{field.label}: send a list of choices, not an object.")
    if isinstance(raw, (list, tuple, set)):
        items = list(raw)
    else:  # a CSV cell or query value: "a|b" or "a, b"
        text = str(raw)
        items = text.split(SEPARATOR) if SEPARATOR in text else text.split(",")
    chosen = {_option(field, item) for item in items if not is_empty(item)}
    return [option for option in field.options if option in chosen]


def _url(field: CustomField, raw: Any) -> str:
    value = _text(field, raw, 255)
    if "://" not in value:
        value = f"https://{value}"
    try:
        _URL(None, _UrlField(value))
    except ValidationError:
        raise ValueError(f"{field.label}: enter a full web address, e.g. https://example.com.") \
            from None
    return value


def _email(field: CustomField, raw: Any) -> str:
    value = _text(field, raw, 254)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(f"{field.label}: enter an email address like name@example.com.") \
            from None
    return value


def _phone(field: CustomField, raw: Any) -> str:
    try:
        return normalise_phone(_text(field, raw, 40))
    except ValueError as exc:
        raise ValueError(f"{field.label}: {exc}") from None


_PARSERS = {
    FieldKind.text: _text,
    FieldKind.long_text: lambda field, raw: _text(field, raw, LONG_MAX),
    FieldKind.number: _number,
    FieldKind.decimal: _number,
    FieldKind.date: _date,
    FieldKind.yes_no: _yes_no,
    FieldKind.choice: _option,
    FieldKind.multi_choice: _choices,
    FieldKind.url: _url,
    FieldKind.email: _email,
    FieldKind.phone: _phone,
}


# --- storage ------------------------------------------------------------------------------

def stored(field: CustomField, value: Any) -> Any:
    """The column value for a parsed, non-empty value."""
    if field.kind == FieldKind.multi_choice:
        return SEPARATOR + SEPARATOR.join(value) + SEPARATOR
    return value


def columns(field: CustomField, value: Any) -> dict[str, Any]:
    """Every value column of a row holding `value` (the others None)."""
    row: dict[str, Any] = dict.fromkeys(
        ("text_value", "long_value", "number_value", "date_value", "bool_value"))
    row[storage_column(field.kind)] = stored(field, value)
    return row


def loaded(field: CustomField, row: LeadFieldValue | None) -> Any:
    """The Python value of a stored row (None without one)."""
    if row is None:
        return None
    return from_column(field, getattr(row, storage_column(field.kind)))


def from_column(field: CustomField, raw: Any) -> Any:
    if raw is None:
        return None
    if field.kind == FieldKind.multi_choice:
        return [part for part in str(raw).split(SEPARATOR) if part]
    if field.kind == FieldKind.number:
        return Decimal(raw).quantize(Decimal(1))
    return raw


def display(field: CustomField, value: Any) -> str:
    """The value as people read it: lists joined, money with two decimals, Yes/No."""
    if value is None or value == [] or value == "":
        return ""
    if field.kind == FieldKind.multi_choice:
        return ", ".join(value)
    if field.kind == FieldKind.yes_no:
        return "Yes" if value else "No"
    if field.kind == FieldKind.decimal:
        return f"{value:,.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_input(field: CustomField, value: Any) -> Any:
    """The value an edit input starts with."""
    if value is None:
        return [] if field.kind == FieldKind.multi_choice else ""
    if field.kind == FieldKind.yes_no:
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def as_json(field: CustomField, value: Any) -> Any:
    """JSON-ready: numbers as strings for money (exact), ints for whole numbers, ISO dates."""
    if value is None:
        return None
    if field.kind == FieldKind.number:
        return int(value)
    if field.kind == FieldKind.decimal:
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
