"""Lead rules: loading visible leads, creating and editing them, inline field saves."""

from __future__ import annotations

from flask import abort

from ..auth.models import User
from ..extensions import db
from .models import Lead
from .scope import can_see_lead


def get_visible_lead(user: User, lead_id: int) -> Lead:
    """The lead, or 404 when it does not exist or the user may not see it."""
    lead = db.session.get(Lead, lead_id)
    if lead is None or not can_see_lead(user, lead):
        abort(404)
    return lead
