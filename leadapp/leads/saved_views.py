"""Per-user lead-list settings: saved views (named filters) and the visible columns."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import select

from ..auth.models import User
from ..errors import RuleViolation
from ..extensions import db
from .listing import COLUMN_KEYS, REQUIRED_COLUMNS, LeadFilters
from .models import SavedView

COLUMNS_PREFERENCE = "lead_list_columns"
MAX_VIEWS = 50


def views_for(user: User) -> list[SavedView]:
    return list(db.session.scalars(select(SavedView).where(SavedView.user_id == user.id)
                                   .order_by(SavedView.name)))


def get_view(user: User, view_id: int) -> SavedView | None:
    """The user's own view, or None (another user's views are not theirs to see)."""
    view = db.session.get(SavedView, view_id)
    return view if view is not None and view.user_id == user.id else None


def view_query(filters: LeadFilters) -> str:
    """What a view stores: the filters, search and sort, never the page number."""
    return urlencode(filters.query(page=None))


def save_view(user: User, name: str, filters: LeadFilters) -> SavedView:
    """Save the current list state under a name; saving an existing name replaces it."""
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation("Give the view a name.", field="name")
    if len(name) > 80:
        raise RuleViolation("Keep the name to 80 characters or fewer.", field="name")
    views = views_for(user)
    view = next((view for view in views if view.name.lower() == name.lower()), None)
    if view is None:
        if len(views) >= MAX_VIEWS:
            raise RuleViolation(f"You have {MAX_VIEWS} saved views; delete one first.",
                                field="name")
        view = SavedView(user_id=user.id, name=name)
        db.session.add(view)
    view.query = view_query(filters)
    db.session.commit()
    return view


def delete_view(view: SavedView) -> None:
    db.session.delete(view)
    db.session.commit()


def columns_for(user: User) -> list[str]:
    """The columns this user shows, in the list's order (all of them until they choose)."""
    chosen = (user.preferences or {}).get(COLUMNS_PREFERENCE)
    if not isinstance(chosen, list):
        return list(COLUMN_KEYS)
    return [key for key in COLUMN_KEYS if key in chosen or key in REQUIRED_COLUMNS]


def set_columns(user: User, columns: list[str]) -> list[str]:
    """Remember the visible columns; unknown keys are ignored and the title always shows."""
    chosen = [key for key in COLUMN_KEYS if key in columns or key in REQUIRED_COLUMNS]
    # JSON columns do not track in-place changes: assign a new dict.
    user.preferences = {**(user.preferences or {}), COLUMNS_PREFERENCE: chosen}
    db.session.commit()
    return chosen
