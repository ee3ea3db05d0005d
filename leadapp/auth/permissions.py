"""The permission matrix: which roles may do which action. Routes and the API ask `can()`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from .models import Role, User

A, M, S, K = Role.admin, Role.manager, Role.sales, Role.marketeer
EVERYONE = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    # Leads. Sales users see and edit only the leads they own, their teams' and unassigned ones.
    "leads.view_all": frozenset({A, M, K}),
    "leads.create": EVERYONE,
    "leads.edit": frozenset({A, M, S}),
    "leads.assign": frozenset({A, M}),
    "leads.bulk": frozenset({A, M}),
    "leads.delete": frozenset({A, M}),
    "leads.purge": frozenset({A}),
    "leads.convert": frozenset({A, M, S}),
    "leads.import": frozenset({A, M, K}),
    "leads.export": frozenset({A, M, K}),
    "comments.moderate": frozenset({A, M}),
    # Sources, campaigns, spend, capture forms.
    "sources.view": EVERYONE,
    "sources.manage": frozenset({A, M, K}),
    "campaigns.manage": frozenset({A, M, K}),
    "spend.manage": frozenset({A, M, K}),
    "forms.manage": frozenset({A, M, K}),
    # Customers.
    "companies.manage": frozenset({A, M, S}),
    # Pipelines and loss reasons.
    "pipelines.manage": frozenset({A, M}),
    # Reports.
    "reports.view": frozenset({A, M, K}),
    # Administration.
    "users.manage": frozenset({A}),
    "teams.manage": frozenset({A}),
    "api_tokens.manage": frozenset({A}),
    "settings.manage": frozenset({A}),
}


def can(user: Any, action: str) -> bool:
    """True when the user's role may perform the action; unknown actions are a programming error."""
    allowed = PERMISSIONS[action]
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return Role(user.role) in allowed


F = TypeVar("F", bound=Callable[..., Any])


def require(action: str) -> Callable[[F], F]:
    """Route decorator: sign-in required, then 403 unless the user's role may do `action`."""
    if action not in PERMISSIONS:
        raise KeyError(f"Unknown permission {action!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(current_user, action):
                abort(403, description="Your role does not allow this action.")
            return view(*args, **kwargs)

        # The route walk in tests/security reads this to know what each route requires.
        wrapped.permission = action  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def roles_for(action: str) -> list[str]:
    return sorted(role.value for role in PERMISSIONS[action])


def is_admin(user: User) -> bool:
    return getattr(user, "role", None) == Role.admin
