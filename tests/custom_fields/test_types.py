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
