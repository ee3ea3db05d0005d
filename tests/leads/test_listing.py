"""The lead query builder (leadapp/leads/listing.py) against a small known dataset."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from leadapp.extensions import db
from leadapp.leads import listing
from leadapp.models import Lead, Stage, User
from tests.factories import (
    CampaignFactory,
    LeadFactory,
    LeadSourceFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
    default_pipeline,
)


def stage_named(name: str) -> Stage:
    return next(stage for stage in default_pipeline().stages if stage.name == name)


def build_dataset() -> dict[str, Any]:
    """Five leads with known values; returns ids by short name (plus users, sources, tags)."""
    web, fair = LeadSourceFactory(name="Web"), LeadSourceFactory(name="Fair")
    spring = CampaignFactory(name="Spring", source=web)
    ann = UserFactory(name="Ann Owner", role="sales")
    zed = UserFactory(name="Zed Owner", role="manager")
    north = TeamFactory(name="North")
    ann.teams.append(north)
    vip, cold = TagFactory(name="vip"), TagFactory(name="cold")

    def lead(title: str, **fields: Any) -> Lead:
        return LeadFactory(title=title, **fields)

    alpha = lead("Alpha deal", first_name="Ann", last_name="Smith", email="ann@acme.com",
                 phone="+49 30 1234567", company_name="Acme GmbH", source=web, campaign=spring,
                 owner=ann, team=north, tags=[vip], city="Berlin", budget=Decimal("5000"),
                 ref="form:7", ref_id="1",
                 created_at=datetime(2026, 1, 10, 9, tzinfo=UTC), stage=stage_named("New"))
    beta = lead("Beta project", first_name="Bob", last_name="Jones", email="bob@beta.io",
                phone="+1 212 555 0100", company_name="Beta Inc", source=fair, owner=None,
                tags=[cold, vip], city="Munich", budget=Decimal("20000"),
                created_at=datetime(2026, 2, 10, 9, tzinfo=UTC), stage=stage_named("Closed"))
    gamma = lead("Gamma rollout", first_name="Cara", last_name="Smithers", email="cara@gamma.org",
                 phone="", company_name="Gamma Ltd", source=web, owner=zed, tags=[],
                 city="berlin", budget=None, created_at=datetime(2026, 3, 10, 9, tzinfo=UTC),
                 stage=stage_named("Converted"))
    delta = lead("Delta trashed", first_name="Dan", last_name="Smith", email="dan@delta.com",
                 source=web, owner=ann, created_at=datetime(2026, 3, 11, 9, tzinfo=UTC),
                 deleted_at=datetime(2026, 3, 12, tzinfo=UTC))
    epsilon = lead("Epsilon upsell", first_name="Eve", last_name="Adams", email="eve@eps.net",
                   company_name="Eps AG", source=fair, owner=zed, city="Hamburg",
                   budget=Decimal("12000"), created_at=datetime(2026, 4, 1, 9, tzinfo=UTC),
                   stage=stage_named("In process"), converted_at=datetime(2026, 4, 2, tzinfo=UTC))
    db.session.commit()
    return {
        "alpha": alpha.id, "beta": beta.id, "gamma": gamma.id, "delta": delta.id,
        "epsilon": epsilon.id, "ann": ann.id, "zed": zed.id, "web": web.id, "fair": fair.id,
        "spring": spring.id, "north": north.id, "vip": vip.id, "cold": cold.id,
    }


@pytest.fixture
def data(app_ctx: Any) -> dict[str, Any]:
    return build_dataset()


@pytest.fixture
def admin(app_ctx: Any) -> User:
    return UserFactory(role="admin", name="Admin")


def titles(user: User, **params: Any) -> list[str]:
    filters = listing.parse_filters(MultiDict({k: str(v) for k, v in params.items()}))
    return [lead.title for lead in listing.page_of(filters, user).items]


def short(names: list[str]) -> list[str]:
    return [name.split()[0] for name in names]


# --- Parsing ---------------------------------------------------------------------------------


def test_parse_filters_without_arguments_gives_defaults():
    filters = listing.parse_filters(MultiDict())
    assert (filters.sort, filters.direction, filters.page, filters.per_page) == (
        "created", "desc", 1, 25)
    assert filters.errors == {} and filters.query() == {}


def test_parse_filters_with_bad_values_drops_them_with_messages():
    filters = listing.parse_filters(MultiDict({
        "source": "abc", "created_from": "31/01/2026", "budget_min": "lots", "owner": "bob",
        "status": "maybe", "per_page": "7", "sort": "password", "page": "-2"}))
    assert filters.source is None and filters.created_from is None and filters.budget_min is None
    assert set(filters.errors) == {"source", "created_from", "budget_min", "owner", "status"}
    assert filters.errors["created_from"] == "Enter a date like 2026-01-31."
    assert filters.value("created_from") == "31/01/2026"  # shown back as typed
    assert (filters.per_page, filters.sort, filters.page) == (25, "created", 1)


def test_parse_filters_with_reversed_ranges_reports_the_end_field():
    filters = listing.parse_filters(MultiDict({
        "created_from": "2026-03-01", "created_to": "2026-02-01",
        "budget_min": "500", "budget_max": "100"}))
    assert filters.errors == {"created_to": "The end date is before the start date.",
                              "budget_max": "The maximum is below the minimum."}
    assert filters.created_to is None and filters.budget_max is None
    assert filters.created_from == date(2026, 3, 1) and filters.budget_min == Decimal("500")


def test_query_round_trips_the_whole_state():
    params = {"q": "acme", "source": "3", "owner": "me", "converted": "1", "sort": "title",
              "dir": "asc", "per_page": "50", "page": "2", "budget_min": "10"}
    filters = listing.parse_filters(MultiDict(params))
    assert filters.query() == params
    assert listing.parse_filters(MultiDict(filters.query())) == filters
    assert "page" not in filters.query(page=None)


# --- Search and filters ----------------------------------------------------------------------


def test_search_matches_title_names_email_phone_and_company(data, admin):
    assert short(titles(admin, q="alpha")) == ["Alpha"]
    assert short(titles(admin, q="JONES")) == ["Beta"]
    assert short(titles(admin, q="acme.com")) == ["Alpha"]
    assert short(titles(admin, q="555 0100")) == ["Beta"]
    assert short(titles(admin, q="eps ag", converted=1)) == ["Epsilon"]


def test_search_needs_every_word_and_skips_the_trash(data, admin):
    assert short(titles(admin, q="smith", converted=1)) == ["Gamma", "Alpha"]
    assert short(titles(admin, q="smith ann")) == ["Alpha"]
    assert titles(admin, q="smith nobody") == []


def test_search_of_one_character_is_ignored(data, admin):
    assert short(titles(admin, q="z")) == ["Beta", "Alpha"]


def test_search_treats_percent_and_underscore_literally(data, admin):
    assert titles(admin, q="a%c") == [] and titles(admin, q="a_c") == []


def test_converted_leads_are_hidden_until_asked_for(data, admin):
    assert short(titles(admin)) == ["Beta", "Alpha"]
    assert short(titles(admin, converted=1)) == ["Epsilon", "Gamma", "Beta", "Alpha"]
    assert short(titles(admin, status="won")) == ["Gamma"]


@pytest.mark.parametrize(("params", "expected"), [
    ({"source": "web"}, ["Gamma", "Alpha"]),
    ({"campaign": "spring"}, ["Alpha"]),
    ({"team": "north"}, ["Alpha"]),
    ({"tag": "vip"}, ["Beta", "Alpha"]),
    ({"tag": "cold"}, ["Beta"]),
    ({"owner": "ann"}, ["Alpha"]),
    ({"owner": "zed"}, ["Epsilon", "Gamma"]),
    ({"owner": "unassigned"}, ["Beta"]),
    ({"status": "open"}, ["Epsilon", "Alpha"]),
    ({"status": "lost"}, ["Beta"]),
    ({"city": "BERLIN"}, ["Gamma", "Alpha"]),
    ({"city": "mun"}, ["Beta"]),
    ({"email": "beta.io"}, ["Beta"]),
    ({"ref": "form:7"}, ["Alpha"]),
    ({"ref": "form:70"}, []),
    ({"created_from": "2026-02-10", "created_to": "2026-03-10"}, ["Gamma", "Beta"]),
    ({"created_to": "2026-01-10"}, ["Alpha"]),
    ({"budget_min": "5000", "budget_max": "12000"}, ["Epsilon", "Alpha"]),
    ({"budget_min": "12000.01"}, ["Beta"]),
    ({"source": "fair", "status": "open"}, ["Epsilon"]),
])
def test_each_filter_matches_the_known_leads(data, admin, params, expected):
    resolved = {key: data.get(value, value) for key, value in params.items()}
    assert short(titles(admin, converted=1, **resolved)) == expected


def test_owner_me_means_the_signed_in_user(data, admin):
    ann = db.session.get(User, data["ann"])
    assert short(titles(ann, owner="me")) == ["Alpha"]
    assert titles(admin, owner="me") == []


def test_stage_filter_shows_converted_leads_of_that_stage(data, admin):
    assert short(titles(admin, stage=stage_named("Converted").id)) == ["Gamma"]


def test_sales_user_sees_own_team_and_unassigned_leads_only(data, admin):
    ann = db.session.get(User, data["ann"])
    stranger = UserFactory(role="sales")
    LeadFactory(title="Zulu other", owner=stranger)
    db.session.commit()
    assert short(titles(ann, converted=1)) == ["Beta", "Alpha"]
    assert "Zulu" in short(titles(admin))


def test_counts_split_open_closed_and_converted(data, admin):
    page = listing.page_of(listing.parse_filters(MultiDict()), admin)
    assert (page.counts.open, page.counts.closed, page.counts.converted) == (1, 1, 2)
    assert page.total == 2
    page = listing.page_of(listing.parse_filters(MultiDict({"converted": "1"})), admin)
    assert page.total == 4


# --- Sorting and pages -----------------------------------------------------------------------


@pytest.mark.parametrize(("sort", "ascending"), [
    ("title", ["Alpha", "Beta", "Epsilon", "Gamma"]),
    ("contact", ["Epsilon", "Beta", "Alpha", "Gamma"]),  # Adams, Jones, Smith, Smithers
    ("company", ["Alpha", "Beta", "Epsilon", "Gamma"]),  # Acme, Beta, Eps, Gamma
    ("source", ["Beta", "Epsilon", "Alpha", "Gamma"]),  # Fair, then Web (ties by id)
    ("stage", ["Alpha", "Epsilon", "Gamma", "Beta"]),  # New, In process, Converted, Closed
    ("owner", ["Alpha", "Gamma", "Epsilon", "Beta"]),  # Ann, Zed, Zed (by id), unassigned
    ("created", ["Alpha", "Beta", "Gamma", "Epsilon"]),
])
def test_sort_orders_both_directions(data, admin, sort, ascending):
    assert short(titles(admin, converted=1, sort=sort, dir="asc")) == ascending
    # Ties are broken by id in the same direction, so descending is the exact reverse.
    assert short(titles(admin, converted=1, sort=sort, dir="desc")) == list(reversed(ascending))


def test_sort_by_budget_and_tags_puts_known_values_in_order(data, admin):
    by_budget = short(titles(admin, converted=1, sort="budget", dir="asc"))
    assert [name for name in by_budget if name != "Gamma"] == ["Alpha", "Epsilon", "Beta"]
    by_budget_desc = short(titles(admin, converted=1, sort="budget", dir="desc"))
    assert [name for name in by_budget_desc if name != "Gamma"] == ["Beta", "Epsilon", "Alpha"]
    by_tags = short(titles(admin, converted=1, sort="tags", dir="asc"))
    assert by_tags[:2] == ["Beta", "Alpha"]  # "cold" before "vip"; untagged last
    assert set(by_tags[2:]) == {"Gamma", "Epsilon"}
    assert short(titles(admin, converted=1, sort="tags", dir="desc"))[0] == "Alpha"


def test_pages_split_the_list_and_clamp_past_the_end(app_ctx, admin):
    for number in range(30):
        LeadFactory(title=f"Lead {number:02d}")
    db.session.commit()
    filters = listing.parse_filters(MultiDict({"sort": "title", "dir": "asc"}))
    first = listing.page_of(filters, admin)
    assert (first.total, first.pages, first.first, first.last) == (30, 2, 1, 25)
    assert first.items[0].title == "Lead 00"
    second = listing.page_of(listing.parse_filters(MultiDict(
        {"sort": "title", "dir": "asc", "page": "2"})), admin)
    assert [lead.title for lead in second.items] == [f"Lead {n}" for n in range(25, 30)]
    assert (second.first, second.last) == (26, 30)
    past = listing.page_of(listing.parse_filters(MultiDict({"page": "99"})), admin)
    assert past.page == 2 and len(past.items) == 5
    big = listing.page_of(listing.parse_filters(MultiDict({"per_page": "50"})), admin)
    assert big.pages == 1 and len(big.items) == 30


def test_empty_list_has_one_page_and_no_rows(app_ctx, admin):
    page = listing.page_of(listing.parse_filters(MultiDict({"page": "3"})), admin)
    assert (page.total, page.pages, page.page, page.first, page.last, page.items) == (
        0, 1, 1, 0, 0, [])


def test_matching_ids_feeds_set_based_updates(data, admin):
    filters = listing.parse_filters(MultiDict({"tag": str(data["vip"])}))
    ids = db.session.scalars(select(Lead.id).where(
        Lead.id.in_(listing.matching_ids(filters, admin))).order_by(Lead.id)).all()
    assert ids == sorted([data["alpha"], data["beta"]])


@pytest.mark.parametrize("query", [{"q": "smith", "converted": "1"}, {"q": "smith"},
                                   {"q": ".com", "converted": "1"}, {"q": "no such lead"}])
def test_a_search_probe_finds_and_counts_what_the_count_and_the_filter_find(data, admin, query):
    filters = listing.parse_filters(MultiDict(query))
    ids, counts = listing.probe_counted(filters, admin)
    assert counts == listing.count(filters, admin)
    everything = replace(filters, converted=True)  # the probe's ids include converted leads
    assert sorted(ids) == sorted(db.session.scalars(select(Lead.id).where(
        Lead.id.in_(listing.matching_ids(everything, admin)))))


def test_search_with_many_matches_counts_and_pages_without_the_probe(data, admin, monkeypatch):
    monkeypatch.setattr(listing, "PROBE_LIMIT", 1)
    filters = listing.parse_filters(MultiDict({"q": "smith", "converted": "1"}))
    assert listing.probe_counted(filters, admin) is None
    page = listing.page_of(filters, admin)
    assert page.total == 2 and short([lead.title for lead in page.items]) == ["Gamma", "Alpha"]
    monkeypatch.setattr(listing, "PROBE_LIMIT", 2000)
    ids, _counts = listing.probe_counted(filters, admin)
    assert sorted(ids) == sorted([data["alpha"], data["gamma"]])
