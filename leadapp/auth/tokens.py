"""API token management for the admin page: list, create for a user, revoke."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..db_types import utcnow
from ..errors import RuleViolation
from ..extensions import db
from .models import ApiToken, User
from .services import issue_token


def token_status(token: ApiToken, today: date | None = None) -> str:
    """active, revoked or expired."""
    if token.revoked_at:
        return "revoked"
    if token.expires_on and token.expires_on < (today or utcnow().date()):
        return "expired"
    return "active"


def list_tokens() -> list[ApiToken]:
    """Every token with its user, newest first."""
    return list(db.session.scalars(select(ApiToken).options(joinedload(ApiToken.user))
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def token_owners() -> list[User]:
    """Users a token may be created for (active ones), by name."""
    return list(db.session.scalars(select(User).where(User.active.is_(True))
                                   .order_by(func.lower(User.name), func.lower(User.email))))


def create_token(user_id: int | None, name: str, expires_on: date | None = None
                 ) -> tuple[ApiToken, str]:
    """Issue a token for an active user; the plain token is returned once, never stored."""
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.active:
        raise RuleViolation("Pick an active user for the token.", "user_id")
    if expires_on and expires_on < utcnow().date():
        raise RuleViolation("The expiry date cannot be in the past.", "expires_on")
    name = (name or "").replace("\x00", "").strip()
    if len(name) > 120:
        raise RuleViolation("Keep the name under 121 characters.", "name")
    return issue_token(user, name, expires_on)


def revoke_token(token: ApiToken) -> ApiToken:
    """Revoke at once; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token
