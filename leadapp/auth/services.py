"""Users, passwords, sign-in and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from ..db_types import as_utc, utcnow
from ..errors import Conflict, RuleViolation
from ..extensions import db
from .models import ApiToken, Role, User

MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "la_"
# How much of a token is stored in clear, to find it and to show it on the admin page.
PREFIX_LENGTH = 10
# Checked against when the email is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def hash_password(password: str) -> str:
    """scrypt (memory-hard) via Werkzeug, salted per password."""
    return generate_password_hash(password, method="scrypt")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        allowed = ", ".join(role.value for role in Role)
        raise RuleViolation(f"Unknown role {value!r}. Use one of: {allowed}.", "role") from None


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise RuleViolation(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", "password"
        )


def create_user(email: str, password: str, role: Role | str, name: str = "") -> User:
    """Create an active user; refuses a duplicate email (ignoring case) or a short password."""
    email = _check_email_free(email)
    validate_password(password)
    user = User(email=email, name=(name or "").strip(), role=parse_role(str(role)),
                password_hash=hash_password(password), active=True, preferences={})
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; inactive users never authenticate."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str, expires_on: date | None = None) -> tuple[ApiToken, str]:
    """Create an API token; the plain token is returned once and only its hash is stored."""
    name = (name or "").strip()
    if not name:
        raise RuleViolation("Give the token a name, e.g. the script that will use it.", "name")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=hash_token(plain),
                     prefix=plain[:PREFIX_LENGTH], expires_on=expires_on)
    db.session.add(token)
    db.session.commit()
    return token, plain


def token_user(plain: str, now: datetime | None = None) -> User | None:
    """The active user behind a valid, unrevoked, unexpired token; records its last use."""
    if not plain:
        return None
    token = _matching_token(plain)
    if token is None:
        return None
    now = now or utcnow()
    if token.revoked_at or (token.expires_on and token.expires_on < now.date()):
        return None
    if not token.user.active:
        return None
    if token.last_used_at is None or now - as_utc(token.last_used_at) >= LAST_USE_PRECISION:
        token.last_used_at = now
        db.session.commit()
    return token.user


# The admin page shows the last use to the minute. Recording it at most that often spares
# every other request a write (on SQLite a turn at the one writer lock) and a commit that
# reloads the token and its user: 4-5 ms of each API call.
LAST_USE_PRECISION = timedelta(minutes=1)


def _matching_token(plain: str) -> ApiToken | None:
    """The token whose stored hash equals the hash of `plain`, compared in constant time.

    The lookup uses only the non-secret prefix (shown on the admin page); the secret part is
    checked by comparing digests, so how long the database takes says nothing about it.
    """
    digest = hash_token(plain)
    query = select(ApiToken).where(ApiToken.prefix == plain[:PREFIX_LENGTH])
    found = None
    for token in db.session.scalars(query):  # prefixes are not unique: check every candidate
        if hmac.compare_digest(token.token_hash, digest):
            found = token
    return found


# --- User administration -------------------------------------------------------------------


def list_users() -> list[User]:
    """Every user, active ones first, then by name and email; teams loaded for the table."""
    query = (select(User).options(selectinload(User.teams))
             .order_by(User.active.desc(), func.lower(User.name), User.email))
    return list(db.session.scalars(query))


def _active_admin_ids(lock: bool = False) -> list[int]:
    query = select(User.id).where(User.role == Role.admin, User.active.is_(True))
    # FOR UPDATE serialises two admins demoting each other at once (Postgres; SQLite ignores it
    # and serialises writers anyway).
    return list(db.session.scalars(query.with_for_update() if lock else query))


def _guard_last_admin(user: User, action: str) -> None:
    if user.role == Role.admin and user.active and _active_admin_ids(lock=True) == [user.id]:
        raise Conflict(f"{user.display_name} is the last active admin; {action} would leave "
                       "nobody able to manage users. Make someone else an admin first.", "role")


def _check_email_free(email: str, user: User | None = None) -> str:
    email = normalise_email(email)
    if "@" not in email:
        raise RuleViolation("Enter a valid email address.", "email")
    other = find_user_by_email(email)
    if other is not None and other is not user:
        raise Conflict(f"A user with the email {email} already exists.", "email")
    return email


def update_user(user: User, name: str, email: str, role: Role | str) -> User:
    """Change a user's name, email and role (admin screen)."""
    email = _check_email_free(email, user)
    change_role(user, role, commit=False)
    user.name = (name or "").strip()
    user.email = email
    db.session.commit()
    return user


def change_role(user: User, role: Role | str, commit: bool = True) -> User:
    """Give the user another role; the last active admin cannot be demoted."""
    new_role = parse_role(str(role))
    if new_role != user.role and user.role == Role.admin:
        _guard_last_admin(user, "demoting them")
    user.role = new_role
    if commit:
        db.session.commit()
    return user


def set_active(actor: User, user: User, active: bool) -> User:
    """Deactivate or reactivate a user (users are never deleted, so history keeps its authors)."""
    if not active and user.id == actor.id:
        raise RuleViolation("You cannot deactivate your own account.", "active")
    if not active:
        _guard_last_admin(user, "deactivating them")
    user.active = active
    db.session.commit()
    return user


def reset_password(user: User, password: str) -> User:
    """An admin sets a new password for someone who lost theirs."""
    validate_password(password)
    user.password_hash = hash_password(password)
    db.session.commit()
    return user


# --- My account ----------------------------------------------------------------------------


def update_profile(user: User, name: str) -> User:
    name = (name or "").strip()
    if not name:
        raise RuleViolation("Enter your name.", "name")
    user.name = name
    db.session.commit()
    return user


def change_own_password(user: User, current: str, new: str) -> User:
    """Change one's own password; the current one must be given, and the new one must differ."""
    if not check_password_hash(user.password_hash, current or ""):
        raise RuleViolation("That is not your current password.", "current_password")
    validate_password(new)
    if new == current:
        raise RuleViolation("Choose a password different from the current one.", "new_password")
    user.password_hash = hash_password(new)
    db.session.commit()
    return user
