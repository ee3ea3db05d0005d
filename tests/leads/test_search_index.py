"""SQLite's trigram search table (leadapp/leads/search_index.py): kept current by triggers, it
narrows a search to the leads that can match and never changes what matches."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from leadapp.extensions import db
from leadapp.leads import listing, search_index
from leadapp.models import Lead, User
from tests.conftest import SQLITE
from tests.factories import LeadFactory, UserFactory


@pytest.fixture
def admin(app_ctx: Any) -> User:
    return UserFactory(role="admin")


def titles(user: User, **params: str) -> list[str]:
    filters = listing.parse_filters(MultiDict(params))
    return sorted(db.session.scalars(listing.matching(filters, user, Lead.title)))


def indexed_ids(word: str) -> list[int]:
    statement = search_index.candidates([word], 1.0)
    assert statement is not None
    return sorted(db.session.scalars(statement))


def on_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def test_match_expression_quotes_every_trigram_so_no_word_is_query_syntax():
    assert search_index.match_expression(["rossi"]) == '"ros" AND "ssi"'
    assert search_index.match_expression(['a"b*']) == '"""b*" AND "a""b"'
    assert search_index.match_expression(["jo", "x"]) == ""


@pytest.mark.parametrize(("word", "expected"), [
    ("ros", {"ros"}),
    ("rossi", {"ros", "ssi"}),  # end to end: the last trigram may overlap the one before
    ("fischer", {"fis", "che", "her"}),
    ("hansen-print.example.com", {"han", "-pr", "amp", "com"}),  # at most four, spread
])
def test_trigrams_cover_each_word_with_a_few_pieces(word, expected):
    assert search_index.trigrams([word]) == expected


def test_search_finds_leads_as_they_are_added_renamed_and_removed(app_ctx, admin):
    lead = LeadFactory(title="Fleet renewal", last_name="Okafor")
    LeadFactory(title="Office chairs", last_name="Rossi")
    db.session.commit()
    assert titles(admin, q="okafor") == ["Fleet renewal"]

    lead.last_name = "Lindqvist"
    db.session.commit()
    assert titles(admin, q="okafor") == []
    assert titles(admin, q="lindq") == ["Fleet renewal"]
    if on_sqlite():
        assert indexed_ids("okafor") == []
        assert indexed_ids("lindq") == [lead.id]

    db.session.delete(lead)
    db.session.commit()
    assert titles(admin, q="lindq") == []
    if on_sqlite():
        assert indexed_ids("lindq") == []


@pytest.mark.parametrize(("query", "expected"), [
    ("ros", ["Office chairs", "Rosé tasting"]),  # three letters: the shortest indexed word
    ("ro", ["Office chairs", "Rosé tasting"]),  # two: no trigram, the search scans
    ("rosé", ["Rosé tasting"]),
    ("ROSSI", ["Office chairs"]),
    ("50%", ["Discount 50% off"]),  # LIKE's wildcard, matched as itself
    ('"ross', []),  # a quote is text, not FTS5 syntax
    ("AND", ["Brand refresh"]),  # an FTS5 keyword is text too
    ("rossi chairs", ["Office chairs"]),  # every word, anywhere in the searched columns
    ("rossi fleet", []),
])
def test_indexed_search_matches_exactly_what_the_substring_match_does(app_ctx, admin, query,
                                                                      expected):
    for title, last_name in (("Office chairs", "Rossi"), ("Rosé tasting", "Brun"),
                             ("Discount 50% off", "Nakamura"), ("Brand refresh", "Weber")):
        LeadFactory(title=title, last_name=last_name, company_name="Acme Ltd")
    db.session.commit()
    assert titles(admin, q=query) == expected


def test_a_stale_entry_never_shows_a_lead_that_does_not_match(app_ctx, admin):
    """The index only narrows: the LIKE conditions decide, so an entry left behind (a restore
    that skipped the triggers, say) costs a lookup and nothing else."""
    if not on_sqlite():
        pytest.skip("the trigram table is SQLite's")
    lead = LeadFactory(title="Office chairs", last_name="Rossi")
    db.session.commit()
    db.session.execute(text(f"INSERT INTO {search_index.TABLE}(rowid, search_text) "
                            "VALUES (:id, 'okafor')"), {"id": lead.id})
    assert indexed_ids("okafor") == [lead.id]  # the index says it may match
    assert titles(admin, q="okafor") == []


def test_rebuild_indexes_every_lead_again(app_ctx, admin):
    if not on_sqlite():
        pytest.skip("the trigram table is SQLite's")
    leads = [LeadFactory(last_name=name) for name in ("Okafor", "Rossi", "Weber")]
    db.session.commit()
    db.session.execute(text(f"INSERT INTO {search_index.TABLE}({search_index.TABLE}) "
                            "VALUES ('delete-all')"))
    assert indexed_ids("okafor") == []
    assert search_index.rebuild() == 3
    db.session.commit()
    assert indexed_ids("okafor") == [leads[0].id]
    assert titles(admin, q="weber") == [leads[2].title]


def test_a_search_reads_its_candidates_from_the_trigram_table_not_every_lead(app_ctx, admin):
    if not on_sqlite():
        pytest.skip("PostgreSQL plans by its statistics and has pg_trgm indexes instead")
    filters = listing.parse_filters(MultiDict({"q": "rossi"}))
    compiled = listing.count_statement(filters, admin).compile(db.engine)
    plan = " ".join(str(row) for row in db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + str(compiled),
        tuple(compiled.params[name] for name in compiled.positiontup)).all())
    assert "VIRTUAL TABLE" in plan
    assert listing.SEARCH_INDEX not in plan


def test_candidates_are_none_off_sqlite_and_for_short_words(app_ctx):
    LeadFactory(last_name="Rossi")
    db.session.commit()
    assert search_index.candidates(["jo"], search_index.SEARCH_SHARE) is None
    indexed = search_index.candidates(["rossi"], search_index.SEARCH_SHARE)
    assert (indexed is not None) is on_sqlite()


def test_too_many_candidates_fall_back_to_the_scan_with_the_same_result(app_ctx, admin,
                                                                       monkeypatch):
    for last_name in ("Rossi", "Rossini", "Weber"):
        LeadFactory(last_name=last_name, title=f"Chairs for {last_name}",
                    company_name="Acme Ltd")
    db.session.commit()
    narrowed = titles(admin, q="rossi")
    monkeypatch.setattr(search_index, "FEW", 1)  # two candidates: more than 1 and 10% of 3
    assert search_index.candidates(["rossi"], search_index.SEARCH_SHARE) is None
    assert titles(admin, q="rossi") == narrowed == ["Chairs for Rossi", "Chairs for Rossini"]
    assert search_index.candidates(["weber"], search_index.SEARCH_SHARE) is not None or (
        not on_sqlite())


def test_the_email_filter_is_narrowed_by_the_same_index(app_ctx, admin):
    LeadFactory(title="Office chairs", email="carla.rossi@alpine.example.com")
    LeadFactory(title="Rossi Street office", email="ivan@fischer.example.com")
    db.session.commit()
    filters = listing.parse_filters(MultiDict({"email": "carla.rossi@"}))
    assert (listing._narrowed(filters) is not None) is on_sqlite()
    assert titles(admin, email="carla.rossi@") == ["Office chairs"]
    assert titles(admin, email="ROSSI") == ["Office chairs"]


def test_a_narrowed_search_with_many_matches_pages_newest_first(app_ctx, admin, monkeypatch):
    """More matches than the probe takes: the page walks the creation index (see
    listing._walks_narrowed) and must still show the matches newest first, page by page."""
    monkeypatch.setattr(listing, "PROBE_LIMIT", 1)
    walked = []
    real_page_ids = listing.page_ids
    monkeypatch.setattr(listing, "page_ids", lambda *args: walked.append(args[-1])
                        or real_page_ids(*args))
    for number in range(7):
        LeadFactory(title=f"Rossi order {number}" if number % 3 else f"Weber order {number}",
                    company_name="Acme Ltd")
    db.session.commit()
    seen = []
    for page in (1, 2):
        filters = listing.parse_filters(MultiDict({"q": "rossi", "per_page": "25",
                                                   "page": str(page)}))
        filters = listing.replace(filters, per_page=2)
        seen.append([lead.title for lead in listing.page_of(filters, admin).items])
    assert seen == [["Rossi order 5", "Rossi order 4"], ["Rossi order 2", "Rossi order 1"]]
    assert walked == [on_sqlite(), on_sqlite()]


def test_ensure_builds_the_table_only_where_it_is_missing(app_ctx):
    if not on_sqlite():
        pytest.skip("the trigram table is SQLite's")
    lead = LeadFactory(last_name="Okafor")
    db.session.commit()
    assert search_index.ensure() is False
    db.session.execute(text(f"DROP TABLE {search_index.TABLE}"))
    assert search_index.ensure() is True
    db.session.commit()
    assert indexed_ids("okafor") == [lead.id]


def test_bulk_actions_on_all_leads_matching_a_search_then_purge_them(app_ctx, admin):
    """A bulk action's "all matching" is a subquery over the search table; deleting those
    leads for good makes the triggers write to that same table."""
    from leadapp.leads import bulk

    for last_name in ("Rossi", "Rossini", "Weber"):
        LeadFactory(last_name=last_name, company_name="Acme Ltd")
    db.session.commit()
    filters = listing.parse_filters(MultiDict({"q": "rossi"}))
    assert bulk.add_tag(listing.matching_ids(filters, admin), "italy", admin).done == 2
    assert bulk.trash(listing.matching_ids(filters, admin), admin).done == 2
    trashed = list(db.session.scalars(text("SELECT id FROM leads WHERE deleted_at IS NOT NULL")))
    assert bulk.purge(trashed, admin).done == 2
    db.session.commit()
    assert titles(admin, q="rossi") == [] and len(titles(admin, q="weber")) == 1
    if on_sqlite():
        assert indexed_ids("rossi") == []


def test_without_the_trigram_tokenizer_there_is_no_table_and_searches_scan(monkeypatch,
                                                                           tmp_path):
    """SQLite before 3.34 has no trigram tokenizer: the schema goes without the table (no
    failed create_all or migration) and every search scans, with the same results."""
    from leadapp import create_app
    from leadapp.reference import ensure_reference_data

    if not SQLITE:
        pytest.skip("the trigram table is SQLite's")
    monkeypatch.setattr(search_index, "trigrams_supported", lambda: False)
    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}"})
    with app.app_context():
        db.create_all()
        ensure_reference_data()
        assert not db.session.execute(text("SELECT name FROM sqlite_master WHERE name LIKE "
                                           "'leads_search%'")).all()
        LeadFactory(title="Office chairs", last_name="Rossi", company_name="Acme Ltd")
        LeadFactory(title="Brand refresh", last_name="Weber", company_name="Acme Ltd")
        user = UserFactory(role="admin")
        db.session.commit()
        assert search_index.candidates(["rossi"], 1.0) is None
        assert titles(user, q="rossi") == ["Office chairs"]
        assert search_index.ensure() is False
        db.session.remove()
        db.engine.dispose()
