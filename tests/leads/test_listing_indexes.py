"""The performance-minded parts of the lead queries keep their meaning: sort by tags (ranked tag
ids, NULLS LAST), the city filter's two dialect paths, and the expression indexes the
duplicate checks need (the query's expression must be the index's, or the index goes unused)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.schema import CreateIndex
from werkzeug.datastructures import MultiDict

from leadapp.extensions import db
from leadapp.leads import listing
from leadapp.leads.duplicates import _digits_sql, find_duplicates
from leadapp.leads.scope import origin_clause
from leadapp.models import Lead, User
from tests.factories import LeadFactory, TagFactory, UserFactory


@pytest.fixture
def admin(app_ctx: Any) -> User:
    return UserFactory(role="admin", name="Admin")


def titles(user: User, **params: Any) -> list[str]:
    filters = listing.parse_filters(MultiDict({k: str(v) for k, v in params.items()}))
    return [lead.title for lead in listing.page_of(filters, user).items]


@pytest.fixture
def tagged(app_ctx: Any) -> None:
    """Leads whose first tag by name is not their first tag by id, and two without tags."""
    zeta, alpha, mid = TagFactory(name="zeta"), TagFactory(name="alpha"), TagFactory(name="mid")
    LeadFactory(title="Z only", tags=[zeta])
    LeadFactory(title="Untagged one", tags=[])
    LeadFactory(title="Zeta and alpha", tags=[zeta, alpha])
    LeadFactory(title="Mid", tags=[mid])
    LeadFactory(title="Alpha", tags=[alpha])
    LeadFactory(title="Untagged two", tags=[])
    db.session.commit()


ASCENDING = ["Zeta and alpha", "Alpha", "Mid", "Z only", "Untagged one", "Untagged two"]
# Descending reverses the tagged leads (ties by id, descending) and still ends with the
# untagged ones, newest id first.
DESCENDING = ["Z only", "Mid", "Alpha", "Zeta and alpha", "Untagged two", "Untagged one"]


def test_sort_by_tags_uses_each_leads_first_tag_by_name_and_puts_untagged_last(tagged, admin):
    assert titles(admin, sort="tags", dir="asc") == ASCENDING
    assert titles(admin, sort="tags", dir="desc") == DESCENDING


def test_sort_by_tags_with_more_tags_than_the_rank_limit_gives_the_same_order(
        tagged, admin, monkeypatch):
    monkeypatch.setattr(listing, "RANK_LIMIT", 2)  # 3 tags: the tag-name subquery path
    assert titles(admin, sort="tags", dir="asc") == ASCENDING
    assert titles(admin, sort="tags", dir="desc") == DESCENDING


def test_city_filter_matches_part_of_the_name_in_any_case(app_ctx, admin):
    LeadFactory(title="Berlin lead", city="Berlin")
    LeadFactory(title="Lower berlin", city="berlin-mitte")
    LeadFactory(title="Munich lead", city="Munich")
    db.session.commit()
    assert sorted(titles(admin, city="BERL")) == ["Berlin lead", "Lower berlin"]
    assert titles(admin, city="nich") == ["Munich lead"]
    assert titles(admin, city="Paris") == []


def _index(name: str) -> Any:
    return next(index for index in Lead.__table__.indexes if index.name == name)


def test_phone_digits_query_expression_is_the_index_expression(app_ctx):
    dialect = db.engine.dialect
    index_sql = str(CreateIndex(_index("ix_leads_phone_digits")).compile(dialect=dialect))
    expression = index_sql[index_sql.index("(") + 1:index_sql.rindex(")")]
    query = select(Lead.id).where(_digits_sql(Lead.phone).in_(["4930123"]))
    query_sql = str(query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))
    assert expression.replace("leads.", "") in query_sql.replace("leads.", "")
    assert "' '" in expression and "'/'" in expression  # literals, not bound parameters


def test_duplicate_check_finds_the_same_phone_and_email_through_the_indexes(app_ctx, admin):
    lead = LeadFactory(title="Known", email="Ann.Smith@Example.com", phone="+49 (30) 123-4567")
    db.session.commit()
    by_phone = find_duplicates(admin, phone="+49 30 1234567", region="DE")
    by_email = find_duplicates(admin, email="ann.smith@example.com")
    assert [(m.kind, m.id) for m in by_phone] == [("lead", lead.id)]
    assert [(m.kind, m.id) for m in by_email] == [("lead", lead.id)]


def test_trigram_indexes_exist_only_on_postgresql(app_ctx):
    postgresql = db.engine.dialect.name == "postgresql"
    names = set(db.session.scalars(text(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'leads'" if postgresql else
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'leads'")))
    assert {"ix_leads_email_lower", "ix_leads_phone_digits"} <= names
    assert ("ix_leads_live_search_trgm" in names) is postgresql
    assert ("ix_leads_live_city_trgm" in names) is postgresql


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sort_by_tags_group_walk_pages_like_the_sql_sort(tagged, admin, direction):
    filters = listing.parse_filters(MultiDict({"sort": "tags", "dir": direction}))
    sql_order = list(db.session.scalars(listing.page_ids_statement(filters, admin, 0, 100)))
    assert len(sql_order) == 6
    for limit in (1, 2, 4):
        for offset in range(0, 7):
            walked = listing._group_walk_ids(filters, admin, offset, limit, None)
            assert walked == sql_order[offset:offset + limit], (offset, limit)


def test_sort_by_tags_past_the_walk_limit_falls_back_to_the_sql_sort(tagged, admin,
                                                                     monkeypatch):
    monkeypatch.setattr(listing, "WALK_LIMIT", 3)
    filters = listing.parse_filters(MultiDict({"sort": "tags", "dir": "asc"}))
    assert listing._group_walk_ids(filters, admin, 2, 2, None) is None
    assert [lead.title for lead in listing.rows(filters, admin, 2, 2)] == ASCENDING[2:4]


@pytest.mark.parametrize("sort", ["source", "stage", "owner", "tags"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_group_walk_pages_like_the_sql_sort_on_the_listing_dataset(app_ctx, admin, sort,
                                                                   direction):
    from tests.leads.test_listing import build_dataset

    build_dataset()
    LeadFactory(title="Unassigned extra", owner=None)  # a NULL group besides the others
    db.session.commit()
    filters = listing.parse_filters(MultiDict({"sort": sort, "dir": direction,
                                               "converted": "1"}))
    sql_order = list(db.session.scalars(listing.page_ids_statement(filters, admin, 0, 100)))
    assert len(sql_order) >= 5
    for limit in (1, 3):
        for offset in range(len(sql_order) + 1):
            walked = listing._group_walk_ids(filters, admin, offset, limit, None)
            assert walked == sql_order[offset:offset + limit], (offset, limit)


@pytest.mark.parametrize("sort", ["source", "owner", "tags"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_group_walk_over_more_groups_than_one_query_takes_walks_them_in_chunks(
        app_ctx, admin, sort, direction, monkeypatch):
    """More sources than WALK_GROUPS (a busy team's 60+) still walk instead of sorting 1M rows."""
    from tests.leads.test_listing import build_dataset

    build_dataset()
    LeadFactory(title="Unassigned extra", owner=None)
    db.session.commit()
    monkeypatch.setattr(listing, "WALK_GROUPS", 2)
    filters = listing.parse_filters(MultiDict({"sort": sort, "dir": direction,
                                               "converted": "1"}))
    assert len(listing._sort_groups(filters)) > 2
    sql_order = list(db.session.scalars(listing.page_ids_statement(filters, admin, 0, 100)))
    for limit in (1, 3):
        for offset in range(len(sql_order) + 1):
            walked = listing._group_walk_ids(filters, admin, offset, limit, None)
            assert walked == sql_order[offset:offset + limit], (offset, limit)


@pytest.mark.parametrize("sort", ["title", "contact", "company", "source", "stage", "owner",
                                  "budget", "created", "tags"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_pages_past_the_middle_read_from_the_other_end_in_the_same_order(app_ctx, admin, sort,
                                                                         direction):
    from tests.leads.test_listing import build_dataset

    build_dataset()
    LeadFactory(title="Unassigned extra", owner=None, budget=None)
    LeadFactory(title="Same budget", budget=Decimal("5000"))
    db.session.commit()
    filters = listing.parse_filters(MultiDict({"sort": sort, "dir": direction,
                                               "converted": "1"}))
    everything = list(db.session.scalars(listing.page_ids_statement(filters, admin, 0, 100)))
    total = len(everything)
    for limit in (1, 2, 3):
        for offset in range(total + 1):
            paged = listing.page_ids(filters, admin, offset, limit, None, total)
            assert paged == everything[offset:offset + limit], (offset, limit)


def test_an_origin_filter_finds_its_leads_through_the_partial_ref_index(app_ctx, admin):
    LeadFactory(title="From the form", ref="form:7", ref_id="1")
    LeadFactory(title="Typed in")
    db.session.commit()
    assert titles(admin, ref="form:7") == ["From the form"]
    assert titles(admin, ref="form:8") == []
    if db.engine.dialect.name == "sqlite":  # PostgreSQL plans by its statistics: not asserted
        compiled = select(Lead.id).where(origin_clause("form:7")).compile(db.engine)
        plan = db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + str(compiled),
            tuple(compiled.params[name] for name in compiled.positiontup)).all()
        assert "ix_leads_ref" in " ".join(str(row) for row in plan)
