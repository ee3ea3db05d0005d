"""Who gets a captured lead: the form's fixed owner, or round-robin over a team's active members."""

from __future__ import annotations

from sqlalchemy import select

from ..auth.models import User, team_members
from ..extensions import db
from .models import CaptureForm


def team_rotation(team_id: int) -> list[int]:
    """The team's active members in a stable order (by id), the order the turn goes round."""
    query = (select(User.id).join(team_members, team_members.c.user_id == User.id)
             .where(team_members.c.team_id == team_id, User.active.is_(True)).order_by(User.id))
    return list(db.session.scalars(query))


def next_owner_id(form: CaptureForm) -> int | None:
    """The owner for the next lead of this form; call inside the transaction that saves the lead.

    Round-robin first writes the form row, which takes its row lock on PostgreSQL and the write
    lock on SQLite (where SELECT ... FOR UPDATE does not exist). Only then does it read who had the
    last turn, so two concurrent submissions never read the same member and the turn stays fair.
    """
    if form.owner_id is not None:
        owner = db.session.get(User, form.owner_id)
        if owner is not None and owner.active:
            return owner.id
    if form.team_id is None:
        return None
    table = CaptureForm.__table__
    db.session.execute(table.update().where(table.c.id == form.id)
                       .values(last_assigned_user_id=table.c.last_assigned_user_id))
    last = db.session.execute(select(table.c.last_assigned_user_id)
                              .where(table.c.id == form.id)).scalar_one()
    members = team_rotation(form.team_id)
    if not members:
        return None
    following = [member for member in members if last is None or member > last]
    chosen = following[0] if following else members[0]
    db.session.execute(table.update().where(table.c.id == form.id)
                       .values(last_assigned_user_id=chosen))
    return chosen
