"""Per-row checks: the lead form's rules applied to each row, with the cell and reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from leadapp.imports.validation import RowValidator, parse_budget, parse_date, parse_phone

HEADERS = ["Title", "Source", "Email", "Phone", "Budget", "Start", "Currency", "Name", "Tags",
           "Company"]
MAPPING = {"0": "title", "1": "source", "2": "email", "3": "phone", "4": "budget",
           "5": "start_date", "6": "currency", "7": "contact_name", "8": "tags",
           "9": "company_name"}


def check(cells: list[str], default_source: str = "") -> tuple[dict, list]:
    result = RowValidator(HEADERS, MAPPING, "US", default_source).check(cells)
    return {**result.values, "_source": result.source_name, "_tags": result.tag_names}, \
        result.errors


def test_check_valid_row_normalises_every_value():
    values, errors = check(["Deal", "Fair", "Ann@Example.COM", "(202) 555-0143", "1,250.50",
                            "31.01.2026", "eur", "Ann Marie Lee", "vip; hot, vip", "Acme"])
    assert errors == []
    assert values["email"] == "Ann@example.com"
    assert values["phone"] == "+12025550143"
    assert values["budget"] == Decimal("1250.50")
    assert values["start_date"] == date(2026, 1, 31)
    assert values["currency"] == "EUR"
    assert (values["first_name"], values["last_name"]) == ("Ann Marie", "Lee")
    assert values["_tags"] == ["vip", "hot"] and values["_source"] == "Fair"


def test_check_bad_cells_reports_column_value_and_reason():
    _, errors = check(["Deal", "Fair", "not-an-email", "12", "-5", "2026-02-30", "XYZ"])
    by_column = dict(errors)
    assert "Enter an email address" in by_column["Email"] and "not-an-email" in by_column["Email"]
    assert "complete phone number" in by_column["Phone"]
    assert "0 or more" in by_column["Budget"]
    assert "Enter a date like 2026-01-31" in by_column["Start"]
    assert "Use one of" in by_column["Currency"]


def test_check_without_title_and_source_fails_both():
    _, errors = check(["", "", "a@b.co"])
    assert [column for column, _ in errors] == ["Title", "Source"]


def test_check_without_source_cell_uses_the_default_source():
    values, errors = check(["Deal", ""], default_source="Website form")
    assert errors == [] and values["_source"] == "Website form"


def test_check_too_long_title_is_an_error():
    _, errors = check(["x" * 256, "Fair"])
    assert errors and "longer than 255" in errors[0][1]


def test_check_formula_escaped_export_cell_is_unescaped():
    values, errors = check(["'=Deal", "Fair", "", "'+1 202 555 0143"])
    assert errors == [] and values["title"] == "=Deal" and values["phone"] == "+12025550143"


@pytest.mark.parametrize(("raw", "amount"), [
    ("5000", "5000.00"), ("1.234,50", "1234.50"), ("1,234.50", "1234.50"), ("$5,000", "5000.00"),
    ("1250,5", "1250.50"), ("EUR 300", "300.00"), ("12 000", "12000.00"),
])
def test_parse_budget_accepts_common_formats(raw, amount):
    assert parse_budget(raw, "US") == Decimal(amount)


@pytest.mark.parametrize("raw", ["abc", "1e999999", "NaN", "9999999999999"])
def test_parse_budget_rejects_nonsense(raw):
    with pytest.raises(ValueError):
        parse_budget(raw, "US")


@pytest.mark.parametrize("raw", ["2026-01-31", "31.01.2026", "2026/01/31", "2026-01-31 10:00:00"])
def test_parse_date_accepts_iso_and_dotted_dates(raw):
    assert parse_date(raw, "US") == date(2026, 1, 31)


def test_parse_date_rejects_ambiguous_slashes():
    with pytest.raises(ValueError):
        parse_date("01/02/2026", "US")


def test_parse_phone_second_call_answers_the_same_from_the_cache():
    for _ in range(2):
        assert parse_phone("202 555 0143", "US") == "+12025550143"
        assert parse_phone("202 555 0143", "GB") != "+12025550143"  # the region is in the key
        with pytest.raises(ValueError, match="complete phone number"):
            parse_phone("+1 202", "US")
        with pytest.raises(ValueError, match="Enter a phone number"):
            parse_phone("abc", "US")
