"""Choices holding LIKE wildcards (% and _) match only themselves: in the multi-choice filter and
in the "is this choice still used?" check. Runs on SQLite and, with TEST_DATABASE_URL, on
PostgreSQL."""

from __future__ import annotations

from leadapp.auth.models import User
from leadapp.custom_fields import services
from leadapp.custom_fields.models import CustomField, FieldKind
from leadapp.custom_fields.services import FieldSettings
from leadapp.extensions import db
from leadapp.leads import listing
from tests.custom_fields.helpers import make_field, set_value
from tests.factories import LeadFactory

OPTIONS = ["50%", "50% off", "a_b", "axb", "back\\slash"]


def _titles(app, user_id: int, **args: str) -> list[str]:
    with app.app_context():
        filters = listing.parse_filters(args)
        assert not filters.errors, filters.errors
        page = listing.page_of(filters, db.session.get(User, user_id))
        return sorted(lead.title for lead in page.items)


def _leads_with(app, field_id: int, values: dict[str, list[str]]) -> None:
    for title, chosen in values.items():
        with app.app_context():
            lead_id = LeadFactory(title=title).id
        set_value(app, lead_id, field_id, chosen)


def test_multi_choice_filter_with_wildcards_matches_only_that_choice(app, make_user):
    user = make_user("admin")
    field_id = make_field(app, "Offer", FieldKind.multi_choice, options=OPTIONS,
                          show_as_filter=True)
    _leads_with(app, field_id, {"Discount": ["50% off"], "Half": ["50%"], "Letter": ["axb"],
                                "Under": ["a_b"], "Slash": ["back\\slash"]})
    assert _titles(app, user, cf_offer="50%") == ["Half"]
    assert _titles(app, user, cf_offer="a_b") == ["Under"]
    assert _titles(app, user, cf_offer="back\\slash") == ["Slash"]


def test_removing_an_unused_wildcard_choice_is_allowed(app):
    field_id = make_field(app, "Offer", FieldKind.multi_choice, options=OPTIONS)
    _leads_with(app, field_id, {"Discount": ["50% off"], "Letter": ["axb"]})
    with app.app_context():
        item = db.session.get(CustomField, field_id)
        services.update_field(item, FieldSettings(label="Offer",
                                                  options=["50% off", "axb", "back\\slash"]))
        assert db.session.get(CustomField, field_id).options == ["50% off", "axb",
                                                                 "back\\slash"]
