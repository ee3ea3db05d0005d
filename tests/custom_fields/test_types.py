"""Validation per field kind: what each kind accepts, how it normalises, what it refuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from leadapp.custom_fields import types
from leadapp.custom_fields.models import CustomField, FieldKind


def _field(kind: FieldKind, **extra) -> CustomField:
    return CustomField(key="f", label="Field", kind=kind, required=extra.pop("required", False),
                       options=extra.pop("options", []), **extra)


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    (FieldKind.text, "  Acme  ", "Acme"),
    (FieldKind.long_text, "line 1\nline 2", "line 1\nline 2"),
    (FieldKind.number, "1 200", Decimal("1200")),
    (FieldKind.number, 42, Decimal("42")),
    (FieldKind.decimal, "1,250.5", Decimal("1250.50")),
    (FieldKind.decimal, "-3", Decimal("-3.00")),
    (FieldKind.date, "2026-01-31", date(2026, 1, 31)),
    (FieldKind.yes_no, "Yes", True),
    (FieldKind.yes_no, False, False),
    (FieldKind.yes_no, "no", False),
    (FieldKind.url, "example.com/x", "https://example.com/x"),
    (FieldKind.email, "kim@example.com", "kim@example.com"),
    (FieldKind.phone, "+1 202 555 0143", "+12025550143"),
])
def test_parse_accepts_and_normalises(app_ctx, kind, raw, expected):
    assert types.parse(_field(kind), raw) == expected


def test_parse_choices_match_ignoring_case_and_keep_option_order(app_ctx):
    one = _field(FieldKind.choice, options=["Retail", "Wholesale"])
    several = _field(FieldKind.multi_choice, options=["Red", "Green", "Blue"])
    assert types.parse(one, "retail") == "Retail"
    assert types.parse(several, ["blue", "Red"]) == ["Red", "Blue"]
    assert types.parse(several, "green|red") == ["Red", "Green"]
    assert types.parse(several, "Blue, Green") == ["Green", "Blue"]


@pytest.mark.parametrize(("kind", "raw", "message"), [
    (FieldKind.number, "12.5", "whole number"),
    (FieldKind.number, "twelve", "enter a number"),
    (FieldKind.decimal, "1.234", "two decimals"),
    (FieldKind.decimal, "1e20", "too large"),
    (FieldKind.date, "31/01/2026", "2026-01-31"),
    (FieldKind.yes_no, "maybe", "yes or no"),
    (FieldKind.url, "not a url", "web address"),
    (FieldKind.email, "kim@", "email address"),
    (FieldKind.phone, "12", "phone"),
    (FieldKind.text, "x" * 501, "500 characters"),
])
def test_parse_refuses_with_a_message_saying_what_to_enter(app_ctx, kind, raw, message):
    with pytest.raises(ValueError, match=message):
        types.parse(_field(kind), raw)


def test_parse_refuses_an_unknown_choice_listing_the_choices(app_ctx):
    with pytest.raises(ValueError, match=r"“Gold” is not one of the choices \(Red, Green\)"):
        types.parse(_field(FieldKind.multi_choice, options=["Red", "Green"]), ["Gold"])


def test_required_refuses_empty_values_and_optional_gives_none(app_ctx):
    with pytest.raises(ValueError, match="Field is required"):
        types.parse(_field(FieldKind.multi_choice, options=["A"], required=True), [])
    assert types.parse(_field(FieldKind.number), "  ") is None


def test_storage_round_trip_and_display(app_ctx):
    several = _field(FieldKind.multi_choice, options=["Red", "Green"])
    assert types.columns(several, ["Red", "Green"])["text_value"] == "|Red|Green|"
    assert types.from_column(several, "|Red|Green|") == ["Red", "Green"]
    assert types.display(several, ["Red", "Green"]) == "Red, Green"
    assert types.display(_field(FieldKind.decimal), Decimal("1250.5")) == "1,250.50"
    assert types.display(_field(FieldKind.yes_no), False) == "No"
    assert types.as_json(_field(FieldKind.decimal), Decimal("3.10")) == "3.10"
    assert types.as_json(_field(FieldKind.number), Decimal("7")) == 7


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    (FieldKind.decimal, "1,234.50", Decimal("1234.50")),
    (FieldKind.decimal, "-1,234,567.5", Decimal("-1234567.50")),
    (FieldKind.decimal, "1,234,567", Decimal("1234567.00")),
    (FieldKind.decimal, "1\u00a0234.5", Decimal("1234.50")),
    (FieldKind.number, "1,234", Decimal("1234")),
    (FieldKind.number, "1,234,567", Decimal("1234567")),
    (FieldKind.decimal, 12.5, Decimal("12.50")),
])
def test_parse_number_with_unambiguous_thousands_commas_accepts(app_ctx, kind, raw, expected):
    assert types.parse(_field(kind), raw) == expected


@pytest.mark.parametrize(("kind", "raw"), [
    (FieldKind.decimal, "12,5"),       # a decimal comma used to become 125.00
    (FieldKind.number, "12,5"),        # ... and 125
    (FieldKind.decimal, "1.234,50"),   # dot groups, decimal comma
    (FieldKind.decimal, "1,234"),      # 1234 or 1.234?
    (FieldKind.number, "1,23"),
    (FieldKind.decimal, "1,2345.00"),
    (FieldKind.number, "12,500,5"),
])
def test_parse_number_with_ambiguous_commas_refuses_and_names_the_format(app_ctx, kind, raw):
    with pytest.raises(ValueError, match=r"ambiguous\. Use a dot for decimals and commas only "
                                         r"between groups of three digits"):
        types.parse(_field(kind), raw)


@pytest.mark.parametrize("raw", ["1_000", "NaN", "0x10", {"amount": 5}, [5]])
def test_parse_number_not_plain_refuses(app_ctx, raw):
    with pytest.raises(ValueError, match="enter a number"):
        types.parse(_field(FieldKind.decimal), raw)


@pytest.mark.parametrize("raw", ["2026-01-31garbage", "2026-01-3112", "2026-01-31T",
                                 "20260131", "2026-01-31 next week"])
def test_parse_date_with_trailing_text_refuses(app_ctx, raw):
    with pytest.raises(ValueError, match="enter a date like 2026-01-31"):
        types.parse(_field(FieldKind.date), raw)


def test_parse_date_from_an_iso_timestamp_keeps_its_date(app_ctx):
    field = _field(FieldKind.date)
    assert types.parse(field, "2026-01-31T23:30:00+02:00") == date(2026, 1, 31)
    assert types.parse(field, "2026-01-31 08:00") == date(2026, 1, 31)


@pytest.mark.parametrize("kind", [FieldKind.text, FieldKind.long_text, FieldKind.url,
                                  FieldKind.email, FieldKind.phone, FieldKind.choice])
@pytest.mark.parametrize("raw", [{"name": "Acme"}, ["Acme"]])
def test_parse_text_kinds_given_an_object_or_list_refuse(app_ctx, kind, raw):
    with pytest.raises(ValueError, match="single text value, not a list or an object"):
        types.parse(_field(kind, options=["Acme"]), raw)


def test_parse_multi_choice_given_an_object_refuses(app_ctx):
    with pytest.raises(ValueError, match="list of choices, not an object"):
        types.parse(_field(FieldKind.multi_choice, options=["Red"]), {"Red": True})
