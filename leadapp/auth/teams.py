"""Teams: create, rename, delete an empty one, add and remove members."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..errors import Conflict, RuleViolation
from ..extensions import db
from .models import Team, User

MAX_NAME = 120


def list_teams() -> list[Team]:
    query = select(Team).options(selectinload(Team.members)).order_by(func.lower(Team.name))
    return list(db.session.scalars(query))


def _clean_name(name: str, team: Team | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation("Give the team a name.", "name")
    if len(name) > MAX_NAME:
        raise RuleViolation(f"Keep the name under {MAX_NAME} characters.", "name")
    same = db.session.scalar(select(Team).where(func.lower(Team.name) == name.lower()))
    if same is not None and same is not team:
        raise Conflict(f"There is already a team called {same.name}.", "name")
    return name


def create_team(name: str) -> Team:
    team = Team(name=_clean_name(name))
    db.session.add(team)
    db.session.commit()
    return team


def rename_team(team: Team, name: str) -> Team:
    team.name = _clean_name(name, team)
    db.session.commit()
    return team


def _blockers(team: Team) -> list[str]:
    # Imported here: the lead and capture models import this package's models.
    from ..capture.models import CaptureForm
    from ..leads.models import Lead

    blockers = []
    if team.members:
        blockers.append(f"{len(team.members)} member(s)")
    for label, model in (("lead(s)", Lead), ("capture form(s)", CaptureForm)):
        count = db.session.scalar(select(func.count()).where(model.team_id == team.id))
        if count:
            blockers.append(f"{count} {label}")
    return blockers


def delete_team(team: Team) -> None:
    """Delete a team nobody belongs to and nothing is assigned to."""
    blockers = _blockers(team)
    if blockers:
        raise Conflict(f"{team.name} still has {' and '.join(blockers)}; only an empty team "
                       "can be deleted.")
    db.session.delete(team)
    db.session.commit()


def can_delete(team: Team) -> bool:
    return not _blockers(team)


def add_member(team: Team, user: User) -> Team:
    if not user.active:
        raise RuleViolation(f"{user.display_name} is deactivated and cannot join a team.",
                            "user_id")
    if user in team.members:
        raise Conflict(f"{user.display_name} is already in {team.name}.", "user_id")
    team.members.append(user)
    db.session.commit()
    return team


def remove_member(team: Team, user: User) -> Team:
    if user in team.members:
        team.members.remove(user)
        db.session.commit()
    return team


def candidates(team: Team) -> list[User]:
    """Active users who are not in the team yet, for the add-member select."""
    member_ids = [member.id for member in team.members]
    query = select(User).where(User.active.is_(True)).order_by(func.lower(User.name), User.email)
    if member_ids:
        query = query.where(User.id.not_in(member_ids))
    return list(db.session.scalars(query))
