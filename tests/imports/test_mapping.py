"""Header synonyms, one column per field, mapping checks and remembered choices."""

from __future__ import annotations

import pytest

from leadapp.extensions import db
from leadapp.imports.mapping import check_mapping, guess_mapping, header_key, remember


@pytest.mark.parametrize(("header", "field"), [
    ("E-mail", "email"), ("EMAIL ", "email"), ("Email Address", "email"),
    ("Company", "company_name"), ("account_name", "company_name"),
    ("First Name", "first_name"), ("first_name", "first_name"), ("Surname", "last_name"),
    ("Lead source", "source"), ("lead_source", "source"), ("phonenumber", "phone"),
    ("Mobile Phone", "mobile"), ("zip", "postcode"), ("city_name", "city"),
    ("Job Title", "position"), ("name", "contact_name"), ("Tags", "tags"),
    ("Lead company name", "company_name"), ("Content distribution channel", "channel"),
    ("Unknown thing", ""),
])
def test_guess_mapping_with_common_spellings_finds_the_field(app_ctx, header, field):
    assert guess_mapping([header]) == {"0": field}


def test_guess_mapping_with_two_columns_for_one_field_gives_it_to_the_first(app_ctx):
    assert guess_mapping(["Email", "E-mail", "Title"]) == {"0": "email", "1": "", "2": "title"}


def test_header_key_ignores_case_spaces_and_punctuation():
    assert header_key("  E-Mail_Address ") == header_key("email address") == "emailaddress"


def test_remember_then_guess_prefers_the_remembered_choice(app_ctx):
    remember(["Company", "Notes"], {"0": "title", "1": ""})
    db.session.commit()
    assert guess_mapping(["company", "NOTES"]) == {"0": "title", "1": ""}
    remember(["Company"], {"0": "company_name"})
    db.session.commit()
    assert guess_mapping(["Company"]) == {"0": "company_name"}


def test_check_mapping_without_title_or_source_reports_both():
    problems = check_mapping({"0": "email"}, has_default_source=False, match_keys=["email"])
    assert "Title" in problems["mapping"] and "default_source" in problems


def test_check_mapping_with_default_source_accepts_no_source_column():
    assert check_mapping({"0": "title"}, has_default_source=True, match_keys=[]) == {}


def test_check_mapping_with_a_field_twice_flags_the_second_column():
    problems = check_mapping({"0": "title", "1": "title", "2": "source"}, False, [])
    assert list(problems) == ["col-1"]


def test_check_mapping_with_unmapped_match_key_says_so():
    problems = check_mapping({"0": "title", "1": "source"}, False, ["phone"])
    assert "no column is mapped to Phone" in problems["match_keys"]


def test_check_mapping_with_unknown_field_is_rejected():
    problems = check_mapping({"0": "title", "1": "source", "2": "password_hash"}, False, [])
    assert "col-2" in problems
