"""Long lists show "1,000+" at once and load their exact counts in a second request."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from leadapp.extensions import db
from leadapp.leads import listing
from leadapp.models import User
from tests.factories import LeadFactory
from tests.leads.test_listing import stage_named


@pytest.fixture
def cap_of_three(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listing, "COUNT_CAP", 3)


def _leads(count: int, **fields: Any) -> None:
    for number in range(count):
        LeadFactory(title=f"Lead {number}", city="Porto", **fields)
    db.session.commit()


def _admin() -> User:
    from tests.factories import UserFactory

    return UserFactory(role="admin")


def _filters(**args: str) -> listing.LeadFilters:
    return listing.parse_filters(MultiDict(args))


def test_counts_are_exact_up_to_the_cap(app_ctx, cap_of_three):
    _leads(3)
    counts = listing.count_up_to(_filters(), _admin())
    assert counts.exact and counts.total == 3 and counts.open == 3


def test_past_the_cap_the_total_is_a_lower_bound(app_ctx, cap_of_three):
    _leads(5)
    counts = listing.count_up_to(_filters(), _admin())
    assert not counts.exact and counts.total == 4  # the cap + 1 leads read, all shown
    exact = listing.count(_filters(), _admin())
    assert exact.exact and exact.total == 5


def test_the_lower_bound_counts_only_the_leads_the_list_shows(app_ctx, cap_of_three):
    _leads(3, converted_at=datetime(2026, 4, 2, tzinfo=UTC))
    _leads(3)
    counts = listing.count_up_to(_filters(), _admin())
    assert not counts.exact and counts.total <= 3  # never more than the shown leads read
    assert listing.count_up_to(_filters(converted="1"), _admin()).total == 4


def test_a_short_list_behind_many_converted_leads_is_counted_exactly(app_ctx, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_CAP", 20)
    _leads(1)
    _leads(30, converted_at=datetime(2026, 4, 2, tzinfo=UTC))
    counts = listing.count_up_to(_filters(), _admin())
    assert counts.exact and counts.total == 1 and counts.converted == 30


def test_a_long_lower_bound_is_rounded_down_to_hundreds(app_ctx, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_CAP", 250)
    _leads(260)
    counts = listing.count_up_to(_filters(), _admin())
    assert not counts.exact and counts.total == 200


def test_filters_narrow_the_capped_count(app_ctx, cap_of_three):
    _leads(5)
    LeadFactory(title="Elsewhere", city="Faro")
    db.session.commit()
    counts = listing.count_up_to(_filters(city="Faro"), _admin())
    assert counts.exact and counts.total == 1


def test_long_list_page_shows_a_lower_bound_and_asks_for_the_exact_counts(
        app, client, login, cap_of_three):
    with app.app_context():
        _leads(7, stage=stage_named("New"))
    login("admin")
    html = client.get("/admin/leads?per_page=25&city=Porto").get_data(as_text=True)
    assert "<strong>4+</strong> leads match" in html and "Counting…" in html
    assert 'hx-get="/admin/leads/counts?city=Porto"' in html
    assert "of 7+" not in html and "Showing 1–7 of 7" in html  # the page itself is known


def test_counts_request_returns_the_exact_summary_and_pagination(app, hx, login, cap_of_three):
    with app.app_context():
        _leads(30)
    login("admin", client_=hx)
    page_html = hx.get("/admin/leads?page=2").get_data(as_text=True)
    assert "Showing 26–30 of 30" in page_html  # the last page: fewer rows than a page
    first = hx.get("/admin/leads").get_data(as_text=True)
    assert "<strong>4+</strong> leads" in first and "Showing 1–25 of 25+" in first
    nav_id = re.search(r'id="(lead-pagination-[0-9a-f]{8})"', first).group(1)

    counts = hx.get("/admin/leads/counts").get_data(as_text=True)
    assert counts.lstrip().startswith('<div id="lead-summary"')
    assert "<strong>30</strong> leads" in counts and "30 open" in counts
    assert "hx-get" not in counts.split("</div>")[0]  # exact now: no further request
    assert f'id="{nav_id}" aria-label="Pages" hx-swap-oob="true"' in counts
    assert "Showing 1–25 of 30" in counts and 'aria-label="Page 2"' in counts


def test_counts_of_another_state_target_another_pagination(app, hx, login, cap_of_three):
    with app.app_context():
        _leads(30)
    login("admin", client_=hx)
    by_title = hx.get("/admin/leads/counts?sort=title").get_data(as_text=True)
    default = hx.get("/admin/leads/counts").get_data(as_text=True)
    ids = [re.search(r'id="(lead-pagination-[0-9a-f]{8})"', html).group(1)
           for html in (by_title, default)]
    assert ids[0] != ids[1]


def test_a_page_past_the_end_of_a_long_list_is_clamped_to_the_last(app, client, login,
                                                                    cap_of_three):
    with app.app_context():
        _leads(30)
    login("admin")
    html = client.get("/admin/leads?page=9").get_data(as_text=True)
    assert "Showing 26–30 of 30" in html and "<strong>30</strong> leads" in html


def test_counts_opened_directly_lead_to_the_list_with_the_same_filters(app, client, login):
    login("admin")
    response = client.get("/admin/leads/counts?city=Porto&sort=title&dir=asc")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/leads?city=Porto&sort=title&dir=asc"
