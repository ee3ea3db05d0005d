"""Possible duplicates: email, phone digits, TIN and normalised company names."""

from __future__ import annotations

import pytest

from leadapp.leads.duplicates import find_duplicates, normalise_company
from tests.factories import CompanyFactory, ContactFactory, LeadFactory, UserFactory


@pytest.mark.parametrize(("name", "expected"), [
    ("ACME, Inc.", "acme"), ("Acme LLC", "acme"), ("acme gmbh", "acme"), ("Acme S.R.L.", "acme"),
    ("Acme SA", "acme"), ("Acme Ltd.", "acme"), ("Blue-Sky Widgets Co. Ltd", "blue sky widgets"),
    ("LLC", "llc"),
])
def test_normalise_company_drops_case_punctuation_and_suffixes(name, expected):
    assert normalise_company(name) == expected


def _kinds(matches):
    return {(match.kind, match.label): match.reasons for match in matches}


def test_find_duplicates_same_email_matches_lead_and_contact(app_ctx):
    lead = LeadFactory(email="Jane@Example.com")
    contact = ContactFactory(email="jane@example.com")
    found = _kinds(find_duplicates(UserFactory(role="admin"), email="JANE@example.com"))
    assert found == {("lead", lead.title): ["same email"],
                     ("contact", contact.full_name): ["same email"]}


def test_find_duplicates_same_phone_digits_in_any_format_matches(app_ctx):
    lead = LeadFactory(phone="(202) 555-0143", email="x@example.net")
    contact = ContactFactory(phone="+1 202 555 0143")
    ContactFactory(phone="+1 202 555 0199")
    found = _kinds(find_duplicates(UserFactory(role="admin"), phone="+12025550143"))
    assert found == {("lead", lead.title): ["same phone"],
                     ("contact", contact.full_name): ["same phone"]}


def test_find_duplicates_same_tin_matches_company(app_ctx):
    company = CompanyFactory(tin="1234567890")
    found = _kinds(find_duplicates(UserFactory(role="admin"), tin="1234567890"))
    assert found == {("company", company.name): ["same TIN"]}


def test_find_duplicates_company_name_ignoring_suffix_and_case_matches(app_ctx):
    company = CompanyFactory(name="Acme Inc")
    lead = LeadFactory(company_name="ACME, LLC")
    CompanyFactory(name="Acme Rockets Inc")
    found = _kinds(find_duplicates(UserFactory(role="admin"), company="acme gmbh"))
    assert found == {("company", company.name): ["similar company name"],
                     ("lead", lead.title): ["similar company name"]}


def test_find_duplicates_hides_leads_the_user_may_not_see(app_ctx):
    owner = UserFactory(role="sales")
    LeadFactory(email="secret@example.com", owner=owner)
    other_sales = UserFactory(role="sales")
    assert find_duplicates(other_sales, email="secret@example.com") == []
    assert len(find_duplicates(owner, email="secret@example.com")) == 1


def test_find_duplicates_excludes_the_lead_being_edited(app_ctx):
    lead = LeadFactory(email="self@example.com")
    assert find_duplicates(UserFactory(role="admin"), email="self@example.com",
                           exclude_lead_id=lead.id) == []
