"""Per-row checks with the lead form's rules: title and source required, email and phone checked
(phones normalised to E.164), budget a Decimal of 0 or more, dates, currency, lengths."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ..custom_fields.exporting import ImportCells
from ..leads.forms import CURRENCIES
from ..leads.models import Lead
from .mapping import FIELD_LABELS

TEXT_FIELDS = ("title", "description", "company_name", "first_name", "middle_name", "last_name",
               "position", "website", "address", "street", "city", "state", "postcode", "country",
               "channel", "selling_direction", "product")
MAX_LENGTH = {name: Lead.__table__.c[name].type.length for name in TEXT_FIELDS
              if getattr(Lead.__table__.c[name].type, "length", None)}
MAX_BUDGET = Decimal("999999999999.99")  # Numeric(14, 2)
CENTS = Decimal("0.01")
TAG_SPLIT = re.compile(r"[,;|]")
# Exports prefix cells that a spreadsheet would run as a formula with a quote; undo that here.
ESCAPED = re.compile(r"^'[=+\-@\t\r]")


@dataclass
class RowResult:
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column header, why)
    source_name: str = ""
    tag_names: list[str] = field(default_factory=list)
    custom_values: dict[str, Any] = field(default_factory=dict)  # cf_<key> -> typed value
    owner_name: str = ""  # an email or a name, resolved to a user by the classifier
    campaign_name: str = ""


class RowValidator:
    """Turns one row's mapped cells into lead values or per-cell errors."""

    def __init__(self, headers: list[str], mapping: dict[str, str], region: str = "US",
                 default_source_name: str = "") -> None:
        self.columns = [(int(index), fieldname) for index, fieldname in mapping.items()
                        if fieldname]
        self.headers = headers
        self.region = region
        self.default_source_name = default_source_name
        self.custom = ImportCells()
        # What each column does with a cell, decided once: check() runs for every cell of the
        # dry run and again in the run, and deciding per cell was a third of its time.
        self.steps = [(index, name, MAX_LENGTH.get(name, UNLIMITED), PARSERS.get(name),
                       self._special(name)) for index, name in self.columns]

    def header(self, index: int) -> str:
        if index < len(self.headers) and self.headers[index]:
            return self.headers[index]
        return f"Column {index + 1}"

    def check(self, cells: list[str]) -> RowResult:
        result = RowResult()
        values, region, width = result.values, self.region, len(cells)
        for index, name, limit, parse, special in self.steps:
            raw = cells[index] if index < width else ""
            if not raw:
                continue
            if raw[0] == "'" and ESCAPED.match(raw):
                raw = raw[1:]
            try:
                if len(raw) > limit:
                    raise ValueError(f"{FIELD_LABELS[name]} is longer than {limit} characters.")
                if special is not None:
                    special(result, raw)
                elif parse is not None:
                    values[name] = parse(raw, region)
                else:
                    values[name] = raw
            except ValueError as exc:
                result.errors.append((self.header(index), f"“{_short(raw)}”: {exc}"))
        self._required(result)
        return result

    def _special(self, name: str) -> Callable[[RowResult, str], None] | None:
        """The cells that fill more than one lead value: source, tags, custom fields..."""
        if name.startswith("cf_"):
            return partial(self._take_custom, name)
        return SPECIAL.get(name)

    def _take_custom(self, name: str, result: RowResult, raw: str) -> None:
        result.custom_values[name] = self.custom.parse(name, raw)

    def _required(self, result: RowResult) -> None:
        if not result.values.get("title"):
            result.errors.append((self.header_of("title"),
                                  "Title is empty; every lead needs one."))
        if not result.source_name:
            result.source_name = self.default_source_name
        if not result.source_name:
            result.errors.append((self.header_of("source"),
                                  "Lead source is empty; every lead needs one."))

    def header_of(self, name: str, label: str = "") -> str:
        """The header of the column mapped to `name`, else the field's label."""
        return next((self.header(index) for index, field_name in self.columns
                     if field_name == name), label or FIELD_LABELS[name])


def _short(raw: str) -> str:
    return raw if len(raw) <= 40 else raw[:37] + "…"


def _take_source(result: RowResult, raw: str) -> None:
    result.source_name = " ".join(raw.split())[:120]


def _take_owner(result: RowResult, raw: str) -> None:
    result.owner_name = " ".join(raw.split())[:254]


def _take_campaign(result: RowResult, raw: str) -> None:
    result.campaign_name = " ".join(raw.split())[:160]


def _take_tags(result: RowResult, raw: str) -> None:
    names = (" ".join(part.split())[:60] for part in TAG_SPLIT.split(raw))
    result.tag_names = list(dict.fromkeys(name for name in names if name))


def _take_contact_name(result: RowResult, raw: str) -> None:
    first, _, last = raw.rpartition(" ") if " " in raw else (raw, "", "")
    result.values.setdefault("first_name", first[:100])
    result.values.setdefault("last_name", last[:100])


SPECIAL = {"source": _take_source, "owner": _take_owner, "campaign": _take_campaign,
           "tags": _take_tags, "contact_name": _take_contact_name}
UNLIMITED = sys.maxsize


# Plain ASCII addresses (nearly all of them) take a fast path with the same outcome as
# email_validator: dot-atom local part checked here, the domain checked once per domain.
SIMPLE_EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                          r"@([A-Za-z0-9.-]+)$")


@lru_cache(maxsize=4096)
def _domain_ok(domain: str) -> bool:
    try:
        validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def parse_email(raw: str, _region: str) -> str:
    match = SIMPLE_EMAIL.match(raw)
    if match and len(raw) <= 254 and (at := raw.index("@")) <= 64:
        domain = match.group(1).lower()
        if _domain_ok(domain):
            return f"{raw[:at]}@{domain}"
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError("Enter an email address like name@example.com.") from exc


def parse_phone(raw: str, region: str) -> str:
    key = f"{region} {raw}"
    parsed = _PHONES.get(key)
    if parsed is None:
        if len(_PHONES) >= MAX_PHONES:
            _PHONES.clear()
        parsed = _PHONES[key] = _phone(raw, region)
    if parsed.startswith("!"):
        raise ValueError(parsed[1:])
    return parsed


# phonenumbers costs ~16 µs a cell, and an import checks every row twice (dry run, then run):
# keep the results for a 100k-row file between the two (~25 MB at most). Only strings, so the
# dict is invisible to the garbage collector (an lru_cache's links slow every collection).
MAX_PHONES = 131_072
_PHONES: dict[str, str] = {}


def _phone(raw: str, region: str) -> str:
    """The number in E.164, or "!" and why it is not one."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return "!Enter a phone number, e.g. +1 202 555 0143."
    if not phonenumbers.is_possible_number(number):
        return "!This does not look like a complete phone number."
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# What people write around an amount: spaces, quotes as thousands marks, currency signs, codes.
BUDGET_NOISE = re.compile(r"[\s\u00a0'$€£¥]|[A-Za-z]{3}$|^[A-Za-z]{3}")
DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")
PLAIN_AMOUNT = re.compile(r"\d+(?:\.\d+)?")  # most cells: nothing to strip or reinterpret


def parse_budget(raw: str, _region: str) -> Decimal:
    text = raw if PLAIN_AMOUNT.fullmatch(raw) else _amount_text(raw)
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("Enter an amount such as 5000 or 1250.50.") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError("Enter an amount of 0 or more.")
    if amount > MAX_BUDGET:
        raise ValueError("This amount is too large.")
    return amount.quantize(CENTS)


def _amount_text(raw: str) -> str:
    """The amount without its noise, with a decimal point: 1.234,50 / 1,234.50 -> 1234.50."""
    text = BUDGET_NOISE.sub("", raw)
    if "," in text and "." in text:  # the later mark is the decimal one: 1.234,50 / 1,234.50
        text = (text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".")
                else text.replace(",", ""))
    elif "," in text:
        text = text.replace(",", ".") if DECIMAL_COMMA.fullmatch(text) else (
            text.replace(",", ""))
    return text


def parse_currency(raw: str, _region: str) -> str:
    code = raw.strip().upper()
    if code not in CURRENCIES:
        raise ValueError(f"Use one of {', '.join(CURRENCIES)}.")
    return code


DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y")


def parse_date(raw: str, _region: str) -> date:
    text = raw.strip()[:19]
    if len(text) > 10 and text[10] in " T":  # a datetime cell: keep the day
        text = text[:10]
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError("Enter a date like 2026-01-31 (or 31.01.2026).")


def parse_website(raw: str, _region: str) -> str:
    text = raw.strip()
    if " " in text or "." not in text:
        raise ValueError("Enter a web address, e.g. https://example.com.")
    return text if "://" in text else f"https://{text}"


PARSERS = {"email": parse_email, "phone": parse_phone, "mobile": parse_phone,
           "budget": parse_budget, "currency": parse_currency, "start_date": parse_date,
           "deadline": parse_date, "website": parse_website}
