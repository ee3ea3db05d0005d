"""Which leads a user may see: one SQL condition shared by lists, board, reports, API, exports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true

from ..auth.models import User, team_members
from ..auth.permissions import can
from .models import Lead


def visible_leads_clause(user: User) -> ColumnElement[bool]:
    """All leads for roles with leads.view_all; otherwise own, own teams' and unassigned leads."""
    if can(user, "leads.view_all"):
        return true()
    my_teams = select(team_members.c.team_id).where(team_members.c.user_id == user.id)
    return or_(Lead.owner_id == user.id, Lead.owner_id.is_(None), Lead.team_id.in_(my_teams))


def live_leads_clause() -> ColumnElement[bool]:
    """Leads not in the trash."""
    return Lead.deleted_at.is_(None)


def origin_clause(ref: str) -> ColumnElement[bool]:
    """Leads from one origin ("form:3", "import:12"). `ref != ''` repeats the condition of the
    partial ix_leads_ref: SQLite cannot tell that `ref = ?` fits that index, and scanned every
    lead instead (100k leads: 100 ms, with it 0.03 ms)."""
    return and_(Lead.ref == ref, Lead.ref != "")


def can_see_lead(user: User, lead: Lead) -> bool:
    if lead.deleted_at is not None and not can(user, "leads.delete"):
        return False
    if can(user, "leads.view_all"):
        return True
    team_ids = {team.id for team in user.teams}
    return lead.owner_id in (None, user.id) or (lead.team_id in team_ids)


def scoped(statement: Any, user: User) -> Any:
    """Apply the trash and visibility filters to a select() over Lead."""
    return statement.where(live_leads_clause(), visible_leads_clause(user))
