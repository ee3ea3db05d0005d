"""Bad input never breaks a validator or a page: property tests (hypothesis) of the list filter
parser, the lead form, the import row validator and the capture validator. Each must either
accept a value in range or say what to fix; none may raise or answer 500.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from leadapp.auth.models import Role
from leadapp.capture import tokens as capture_tokens
from leadapp.capture.fields import API_ALIASES, DEFAULT_FIELDS, SPECS
from leadapp.capture.validation import clean
from leadapp.extensions import limiter
from leadapp.imports.mapping import FIELD_LABELS, FIELDS
from leadapp.imports.validation import MAX_BUDGET, MAX_LENGTH, RowValidator
from leadapp.leads.listing import MAX_ID, PAGE_SIZES, STATE_KEYS, parse_filters
from tests.security.dataset import Dataset

# Strings that broke parsers before, or that commonly do: non-ASCII digits ("²".isdigit() is
# True but int() refuses it), ids past INTEGER, exponents, NUL, signs, spaces, formulas.
NASTY = st.sampled_from([
    "", " ", "0", "-1", "1", "²", "٣", "１", "99999999999999999999999", "2147483648",
    "9" * 5000, "1e999999", "NaN", "inf", "-0", "1,5", "1.5.5", "\x00", "a\x00b", "0x1F",
    "2026-02-30", "0001-01-01", "9999-12-31", "=HYPERLINK(\"http://x\")", "<script>", "'; --",
    "me", "unassigned", "asc", "desc", "title", "created", "🙂", "\ufeff1", " 7 ",
])
TEXT = NASTY | st.text(max_size=60)
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
SLOW_FUZZ = settings(FUZZ, max_examples=40)


# ---- list filters ------------------------------------------------------------------------

@FUZZ
@given(st.dictionaries(st.sampled_from(STATE_KEYS), TEXT, max_size=8))
def test_parse_filters_never_raises_and_keeps_values_in_range(args: dict[str, str]) -> None:
    filters = parse_filters(args)
    for key in ("source", "campaign", "stage", "team", "tag"):
        value = getattr(filters, key)
        assert value is None or 1 <= value <= MAX_ID
    assert filters.owner in ("", "me", "unassigned") or 1 <= int(filters.owner) <= MAX_ID
    assert filters.per_page in PAGE_SIZES and filters.page >= 1
    for name in ("budget_min", "budget_max"):
        amount = getattr(filters, name)
        assert amount is None or (amount.is_finite() and amount >= 0)
    for key, message in filters.errors.items():
        assert key in args or key in ("created_to", "budget_max")
        assert message and message.endswith(".")


LIST_PAGES = ["/admin/leads", "/admin/leads/board", "/admin/leads/export", "/admin/leads/trash",
              "/admin/reports/sources", "/admin/companies", "/admin/contacts",
              "/admin/opportunities", "/admin/campaigns", "/admin/leads/sources",
              "/admin/notifications"]
QUERY_KEYS = st.sampled_from([*STATE_KEYS, "period", "from", "to", "group", "active",
                              "offset", "limit", "kind", "q", "search"])


@pytest.fixture
def admin(app: Flask, dataset: Dataset, client_as: Any) -> FlaskClient:
    return client_as(Role.admin)


@SLOW_FUZZ
@given(query=st.dictionaries(QUERY_KEYS, TEXT, max_size=5))
def test_list_pages_answer_bad_query_strings_without_500(admin: FlaskClient,
                                                         query: dict[str, str]) -> None:
    for path in LIST_PAGES:
        for headers in ({}, {"HX-Request": "true"}):
            response = admin.get(path, query_string=query, headers=headers)
            response.close()
            assert response.status_code in (200, 422), (path, query, response.status_code)


API_KEYS = st.sampled_from(["q", "source", "source_id", "campaign", "stage", "status", "owner",
                            "team", "tag", "city", "email", "limit", "offset", "sort", "order",
                            "created_from", "created_to", "updated_after", "budget_min",
                            "trash", "pipeline", "tags", "title", "name"])


@SLOW_FUZZ
@given(query=st.dictionaries(API_KEYS, TEXT, max_size=5))
def test_api_lead_list_answers_bad_query_strings_without_500(client: FlaskClient,
                                                             dataset: Dataset,
                                                             query: dict[str, str]) -> None:
    response = client.get("/api/leads", query_string=query,
                          headers={"authtoken": dataset.tokens[Role.admin]})
    assert response.status_code in (200, 422), (query, response.status_code)
    if response.status_code == 422:
        assert response.get_json()["message"]


# ---- lead form ---------------------------------------------------------------------------

LEAD_FIELDS = ["title", "source_id", "company_name", "first_name", "last_name", "email", "phone",
               "budget", "currency", "start_date", "deadline", "tags", "owner_id", "team_id",
               "pipeline_id", "stage_id", "campaign_id", "company_id", "contact_id",
               "company_tin", "new_company", "new_contact", "version", "description"]


@SLOW_FUZZ
@given(data=st.dictionaries(st.sampled_from(LEAD_FIELDS), TEXT, max_size=10),
       title=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
                     min_size=1, max_size=40))
def test_lead_form_refuses_or_saves_and_echoes_the_input(admin: FlaskClient,
                                                         data: dict[str, str],
                                                         title: str) -> None:
    data = {**data, "title": title}
    response = admin.post("/admin/leads/new", data=data)
    assert response.status_code in (303, 409, 422), response.status_code
    if response.status_code == 422 and title.strip():
        html = response.get_data(as_text=True)
        assert 'class="field-error' in html or "error" in html
        assert str(escape(title.strip())) in html  # the form keeps what the user typed


# ---- import rows -------------------------------------------------------------------------

MAPPED = st.lists(st.sampled_from([name for name, _ in FIELDS]), min_size=1, max_size=8,
                  unique=True)


@FUZZ
@given(names=MAPPED, cells=st.lists(TEXT, max_size=10))
def test_import_row_validator_never_raises(app_ctx: Flask, names: list[str],
                                           cells: list[str]) -> None:
    headers = [FIELD_LABELS[name] for name in names]
    validator = RowValidator(headers, {str(i): name for i, name in enumerate(names)})
    result = validator.check(cells)
    for header, message in result.errors:
        assert header in headers or header in FIELD_LABELS.values()
        assert message.strip()
    for name, value in result.values.items():
        if name in MAX_LENGTH and isinstance(value, str):
            assert len(value) <= MAX_LENGTH[name]
    budget = result.values.get("budget")
    assert budget is None or (isinstance(budget, Decimal) and 0 <= budget <= MAX_BUDGET)
    if result.values.get("email"):
        assert "@" in result.values["email"]


# ---- capture -----------------------------------------------------------------------------

ANY_VALUE = (TEXT | st.integers() | st.floats() | st.booleans() | st.none()
             | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=3),
                                                                      st.integers(), max_size=2))
CAPTURE_KEYS = st.sampled_from([*SPECS, *API_ALIASES, "unknown", ""])


@FUZZ
@given(raw=st.dictionaries(CAPTURE_KEYS, ANY_VALUE, max_size=8), every=st.booleans())
def test_capture_clean_never_raises_and_explains_each_error(app_ctx: Flask,
                                                            raw: dict[str, Any],
                                                            every: bool) -> None:
    # An app context: a form may also show custom lead fields, read from the database.
    values, errors = clean(DEFAULT_FIELDS, raw, every_field=every)
    for name, message in errors.items():
        assert name in SPECS and isinstance(message, str) and message.strip()
    for name, value in values.items():
        if isinstance(value, str) and name not in errors:
            assert len(value) <= SPECS[name].max_length
            if SPECS[name].kind == "email":
                assert value == value.lower()


# Required fields filled in, so the fuzzed values also meet the other validators and the save.
VALID_CAPTURE = {"first_name": "Ann", "email": "ann@example.com"}


def _api_url(dataset: Dataset) -> str:
    return f"/api/leads/create-from-site/?apikey={dataset.capture_api_key}"


def _form_token(app: Flask, dataset: Dataset) -> str:
    """A fresh signed token per post: each is a new submission, not a replay of the last."""
    with app.app_context():
        return capture_tokens.issue(dataset.ids["public_key"])


@SLOW_FUZZ
@given(body=st.dictionaries(CAPTURE_KEYS, ANY_VALUE, max_size=6), filled=st.booleans())
def test_create_from_site_validates_bad_json_without_500(app: Flask, client: FlaskClient,
                                                         dataset: Dataset, body: dict[str, Any],
                                                         filled: bool) -> None:
    limiter.reset()  # many posts from one address: keep the rate limits out of the way
    body = {**VALID_CAPTURE, **body} if filled else body
    response = client.post(_api_url(dataset), json=body)
    # 400: the form's validators; 422: the app-wide input guard (NUL bytes and the like).
    assert response.status_code in (200, 201, 202, 400, 422), (body, response.status_code)
    if response.status_code == 400:
        assert response.get_json()["errors"], body  # a validator answered, field by field
    if response.status_code == 422:
        assert response.get_json()["message"], body


@SLOW_FUZZ
@given(body=st.dictionaries(CAPTURE_KEYS, ANY_VALUE, max_size=6), filled=st.booleans())
def test_public_form_validates_bad_posts_without_500(app: Flask, client: FlaskClient,
                                                     dataset: Dataset, body: dict[str, Any],
                                                     filled: bool) -> None:
    limiter.reset()
    data = {key: str(value) for key, value in body.items()}
    data = {**VALID_CAPTURE, **data} if filled else data
    data["token"] = _form_token(app, dataset)
    response = client.post(f"/f/{dataset.ids['public_key']}", data=data)
    assert response.status_code in (200, 422), (body, response.status_code)


def test_capture_fuzz_setup_reaches_the_validators(app: Flask, client: FlaskClient,
                                                   dataset: Dataset) -> None:
    """The key and token above are accepted: a bad email is refused by the validator, a good
    body becomes a lead (so the fuzz tests exercise validation, not the key or token checks)."""
    bad = client.post(_api_url(dataset), json={"email": "not-an-email", "first_name": "Ann"})
    assert bad.status_code == 400 and "email" in bad.get_json()["errors"]
    good = client.post(_api_url(dataset), json={"email": "ann@example.com", "first_name": "Ann",
                                                 "last_name": "Lee"})
    assert good.status_code == 201, good.get_json()
    form = client.post(f"/f/{dataset.ids['public_key']}",
                       data={"email": "not-an-email", "token": _form_token(app, dataset)})
    assert form.status_code == 422 and 'id="cf-errors"' in form.get_data(as_text=True)
