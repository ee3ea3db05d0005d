"""Auth services on their own: guard rails, passwords, tokens, teams."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.security import check_password_hash

from leadapp.auth import services, teams
from leadapp.auth.models import Role
from leadapp.db_types import utcnow
from leadapp.errors import Conflict, RuleViolation
from tests.factories import LeadFactory, TeamFactory, UserFactory


def test_change_role_last_active_admin_raises_conflict(app_ctx) -> None:
    admin = UserFactory(role=Role.admin)
    UserFactory(role=Role.admin, active=False)
    with pytest.raises(Conflict, match="last active admin"):
        services.change_role(admin, Role.sales)


def test_change_role_admin_with_another_active_admin_succeeds(app_ctx) -> None:
    admin = UserFactory(role=Role.admin)
    UserFactory(role=Role.admin)
    assert services.change_role(admin, "manager").role == Role.manager


def test_change_role_inactive_admin_may_be_demoted(app_ctx) -> None:
    UserFactory(role=Role.admin)
    retired = UserFactory(role=Role.admin, active=False)
    assert services.change_role(retired, Role.sales).role == Role.sales


def test_set_active_self_raises_rule_violation(app_ctx) -> None:
    admin = UserFactory(role=Role.admin)
    UserFactory(role=Role.admin)
    with pytest.raises(RuleViolation, match="your own account"):
        services.set_active(admin, admin, False)


def test_set_active_last_admin_by_someone_else_raises_conflict(app_ctx) -> None:
    # Only reachable when the actor is no longer an admin themselves (e.g. a stale page).
    actor = UserFactory(role=Role.manager)
    admin = UserFactory(role=Role.admin)
    with pytest.raises(Conflict):
        services.set_active(actor, admin, False)
    assert admin.active is True


def test_create_user_duplicate_email_ignoring_case_raises_conflict(app_ctx) -> None:
    services.create_user("Kim@Example.com", "long-enough-1", Role.sales)
    with pytest.raises(Conflict):
        services.create_user("kim@example.COM", "long-enough-1", Role.sales)


def test_authenticate_wrong_password_and_inactive_user_return_none(app_ctx) -> None:
    user = services.create_user("pat@example.com", "long-enough-1", Role.sales)
    assert services.authenticate("pat@example.com", "wrong-one-1") is None
    assert services.authenticate("PAT@example.com", "long-enough-1") is user
    user.active = False
    assert services.authenticate("pat@example.com", "long-enough-1") is None


def test_change_own_password_requires_current_password(app_ctx) -> None:
    user = services.create_user("own@example.com", "long-enough-1", Role.sales)
    with pytest.raises(RuleViolation) as caught:
        services.change_own_password(user, "not-it", "brand-new-pass")
    assert caught.value.field == "current_password"
    services.change_own_password(user, "long-enough-1", "brand-new-pass")
    assert check_password_hash(user.password_hash, "brand-new-pass")


def test_token_user_refuses_revoked_expired_and_inactive(app_ctx) -> None:
    user = UserFactory()
    token, plain = services.issue_token(user, "sync")
    now = utcnow()
    assert services.token_user(plain, now) is user
    assert token.last_used_at is not None
    token.expires_on = (now - timedelta(days=1)).date()
    assert services.token_user(plain) is None
    token.expires_on = None
    token.revoked_at = now
    assert services.token_user(plain) is None
    token.revoked_at = None
    user.active = False
    assert services.token_user(plain) is None
    assert services.token_user("") is None


def test_delete_team_with_lead_raises_conflict(app_ctx) -> None:
    team = TeamFactory(name="Owners")
    LeadFactory(team=team)
    with pytest.raises(Conflict, match="1 lead"):
        teams.delete_team(team)


def test_rename_team_to_own_name_in_other_case_succeeds(app_ctx) -> None:
    team = TeamFactory(name="north")
    assert teams.rename_team(team, "North").name == "North"


def test_token_use_is_recorded_at_most_once_a_minute(app_ctx) -> None:
    token, plain = services.issue_token(UserFactory(), "sync")
    first = utcnow()
    services.token_user(plain, first)
    services.token_user(plain, first + timedelta(seconds=30))
    assert services.as_utc(token.last_used_at) == first
    later = first + services.LAST_USE_PRECISION
    services.token_user(plain, later)
    assert services.as_utc(token.last_used_at) == later
