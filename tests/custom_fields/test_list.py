"""Custom fields in the lead list (columns, filters, sort) and on board cards. Runs on SQLite
and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import re
from decimal import Decimal

from leadapp.auth.models import User
from leadapp.custom_fields.models import FieldKind
from leadapp.extensions import db
from leadapp.leads import listing
from tests.custom_fields.helpers import make_field, set_value
from tests.factories import LeadFactory


def _leads(app, *titles: str) -> list[int]:
    with app.app_context():
        return [LeadFactory(title=title).id for title in titles]


def _titles(app, user_id: int, **args: str) -> list[str]:
    with app.app_context():
        user = db.session.get(User, user_id)
        filters = listing.parse_filters(args)
        assert not filters.errors, filters.errors
        page = listing.page_of(filters, user)
        return [lead.title for lead in page.items]


def _setup(app):
    size = make_field(app, "Seats", FieldKind.number, show_in_list=True, show_as_filter=True)
    money = make_field(app, "Deal", FieldKind.decimal, show_as_filter=True)
    when = make_field(app, "Go live", FieldKind.date, show_as_filter=True)
    flag = make_field(app, "Signed", FieldKind.yes_no, show_as_filter=True)
    tier = make_field(app, "Tier", FieldKind.choice, options=["Gold", "Silver"],
                      show_as_filter=True)
    colours = make_field(app, "Colours", FieldKind.multi_choice, options=["Red", "Blue"],
                         show_as_filter=True)
    note = make_field(app, "Note", FieldKind.text, show_as_filter=True)
    a, b, c = _leads(app, "A", "B", "C")
    for lead_id, values in ((a, (5, "10.50", "2026-01-05", "yes", "Gold", ["Red"], "Big Fish")),
                            (b, (30, "99", "2026-02-01", "no", "silver", ["Red", "Blue"],
                                 "small")),
                            (c, (None, None, None, None, None, None, None))):
        for field_id, raw in zip((size, money, when, flag, tier, colours, note), values,
                                 strict=True):
            if raw is not None:
                set_value(app, lead_id, field_id, raw)
    return a, b, c


def test_filters_by_each_kind(app, make_user):
    user = make_user("admin")
    _setup(app)
    assert _titles(app, user, cf_seats_min="10") == ["B"]
    assert _titles(app, user, cf_seats_max="10") == ["A"]
    assert _titles(app, user, cf_deal_min="10.5", cf_deal_max="50") == ["A"]
    assert _titles(app, user, cf_go_live_min="2026-01-31") == ["B"]
    assert _titles(app, user, cf_signed="no") == ["B"]
    assert _titles(app, user, cf_tier="gold") == ["A"]
    assert sorted(_titles(app, user, cf_colours="Red")) == ["A", "B"]
    assert _titles(app, user, cf_colours="blue") == ["B"]
    assert _titles(app, user, cf_note="fish") == ["A"]
    assert _titles(app, user, cf_seats_min="1", cf_tier="Silver") == ["B"]


def test_sort_by_a_custom_field_puts_empty_values_last_both_ways(app, make_user):
    user = make_user("admin")
    _setup(app)
    assert _titles(app, user, sort="cf_seats", dir="asc") == ["A", "B", "C"]
    assert _titles(app, user, sort="cf_seats", dir="desc") == ["B", "A", "C"]
    assert _titles(app, user, sort="cf_note", dir="asc") == ["A", "B", "C"]
    assert _titles(app, user, sort="cf_go_live", dir="desc") == ["B", "A", "C"]


def test_bad_filter_values_are_reported_and_not_applied(app, make_user):
    make_user("admin")
    _setup(app)
    with app.app_context():
        filters = listing.parse_filters({"cf_seats_min": "lots", "cf_tier": "Bronze",
                                         "cf_deal_min": "50", "cf_deal_max": "10",
                                         "sort": "cf_nope"})
        assert filters.errors == {
            "cf_seats_min": "Seats: enter a number such as 42.",
            "cf_tier": "Tier: “Bronze” is not one of the choices (Gold, Silver).",
            "cf_deal_max": "The maximum is below the minimum."}
        assert filters.sort == "created"
        assert [spec.op for spec in filters.custom.filters] == ["min"]
        assert filters.query()["cf_seats_min"] == "lots"


def test_list_page_shows_column_filter_inputs_and_keeps_the_state(app, client, login):
    login("admin")
    a, _b, _c = _setup(app)
    html = client.get("/admin/leads?cf_seats_min=1&sort=cf_seats&dir=asc").get_data(as_text=True)
    assert 'name="cf_seats_min" value="1"' in html
    assert 'name="cf_tier"' in html and '<option value="Gold"' in html
    assert "Leads, sorted by Seats, ascending" in html
    assert re.search(r'<th scope="col" class="col-cf_seats num"\s+aria-sort="ascending"', html)
    row = html[html.index(f'id="lead-{a}"'):]
    assert re.search(r'<td class="col-cf_seats num">5</td>', row[:row.index("</tr>")])
    assert "cf_seats_min=1" in html  # sort links keep the custom filter


def test_board_cards_show_the_chosen_fields(app, client, login):
    login("admin")
    tier = make_field(app, "Tier", FieldKind.choice, options=["Gold"], show_on_card=True)
    hidden = make_field(app, "Secret", FieldKind.text)
    (lead_id,) = _leads(app, "Card lead")
    set_value(app, lead_id, tier, "Gold")
    set_value(app, lead_id, hidden, "not on the card")
    html = client.get("/admin/leads/board").get_data(as_text=True)
    card = html[html.index(f'id="lead-card-{lead_id}"'):]
    card = card[:card.index("</li>")]
    assert '<span class="muted">Tier:</span> Gold' in card
    assert "not on the card" not in card


def test_deal_values_are_exact_decimals(app, make_user):
    make_user("admin")
    a, _b, _c = _setup(app)
    from tests.custom_fields.helpers import value_of

    with app.app_context():
        from leadapp.custom_fields.services import list_fields

        deal = next(item.id for item in list_fields() if item.key == "deal")
    assert value_of(app, a, deal) == Decimal("10.50")


def test_sort_walk_pages_match_the_sql_order(app, make_user):
    """The index walk of the first pages gives exactly the ORDER BY result, page by page,
    including pages that straddle and start among the leads without a value."""
    user_id = make_user("admin")
    field_id = make_field(app, "Score", FieldKind.number)
    ids = _leads(app, *(f"L{number}" for number in range(9)))
    for lead_id, score in zip(ids, (5, None, 3, 5, None, 1, None, 8, 3), strict=True):
        if score is not None:
            set_value(app, lead_id, field_id, score)
    with app.app_context():
        user = db.session.get(User, user_id)
        for direction in ("asc", "desc"):
            filters = listing.parse_filters({"sort": "cf_score", "dir": direction})
            expected = list(db.session.scalars(listing.page_ids_statement(filters, user, 0, 20)))
            assert len(expected) == 9
            for offset in range(0, 9):
                walked = listing.rows(filters, user, offset, 2)
                assert [lead.id for lead in walked] == expected[offset:offset + 2], (
                    direction, offset)
