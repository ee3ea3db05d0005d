"""`flask users create` and `flask tokens create` (DESIGN §5: scripts rely on them)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from leadapp.auth.models import ApiToken, Role, User
from leadapp.auth.services import find_user_by_email, token_user
from leadapp.extensions import db


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def create_user(app: Flask, email: str = "ops@example.com", password: str = "long-enough-1",
                role: str = "admin", *extra: str):
    return run(app, "users", "create", "--email", email, "--password", password,
               "--role", role, *extra)


def user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_users_create_makes_active_user(app: Flask) -> None:
    result = create_user(app, " Ops@Example.com ", "long-enough-1", "manager", "--name", "Olga Ops")
    assert result.exit_code == 0, result.output
    assert "Created manager ops@example.com" in result.stdout
    assert result.stderr == ""
    with app.app_context():
        user = find_user_by_email("ops@example.com")
        assert (user.email, user.name, user.role, user.active) == (
            "ops@example.com", "Olga Ops", Role.manager, True)
        assert check_password_hash(user.password_hash, "long-enough-1")


def test_users_create_role_is_case_insensitive(app: Flask) -> None:
    result = create_user(app, role="Sales")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert find_user_by_email("ops@example.com").role == Role.sales


@pytest.mark.parametrize("second", ["ops@example.com", "OPS@Example.COM"])
def test_users_create_duplicate_email_fails(app: Flask, second: str) -> None:
    assert create_user(app).exit_code == 0
    result = create_user(app, second)
    assert result.exit_code != 0
    assert "A user with the email ops@example.com already exists." in result.stderr
    assert result.stdout == ""
    assert user_count(app) == 1


def test_users_create_unknown_role_fails(app: Flask) -> None:
    result = create_user(app, role="owner")
    assert result.exit_code != 0
    assert "'owner' is not one of" in result.stderr
    assert "admin" in result.stderr and "marketeer" in result.stderr
    assert user_count(app) == 0


def test_users_create_short_password_fails(app: Flask) -> None:
    result = create_user(app, password="short")
    assert result.exit_code != 0
    assert "The password needs at least 8 characters." in result.stderr
    assert user_count(app) == 0


def test_users_create_invalid_email_fails(app: Flask) -> None:
    result = create_user(app, "not-an-email")
    assert result.exit_code != 0
    assert "Enter a valid email address." in result.stderr


def test_users_create_missing_option_fails(app: Flask) -> None:
    result = run(app, "users", "create", "--email", "a@example.com", "--password", "x" * 10)
    assert result.exit_code != 0
    assert "--role" in result.stderr


def test_tokens_create_prints_only_the_token(app: Flask, make_user: Callable) -> None:
    user_id = make_user("sales", email="bot@example.com")
    result = run(app, "tokens", "create", "--email", "BOT@example.com", "--name", "Nightly sync")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert " " not in token and len(token) >= 40
    with app.app_context():
        assert token_user(token).id == user_id
        stored = db.session.scalar(select(ApiToken))
        assert stored.name == "Nightly sync"
        assert token not in (stored.token_hash, stored.prefix)  # only a hash is kept
        assert token_user(token + "x") is None


def test_tokens_create_unknown_email_fails(app: Flask) -> None:
    result = run(app, "tokens", "create", "--email", "ghost@example.com", "--name", "x")
    assert result.exit_code != 0
    assert "No user with the email ghost@example.com." in result.stderr
    assert result.stdout == ""


def test_tokens_create_inactive_user_fails(app: Flask, make_user: Callable) -> None:
    make_user("sales", email="gone@example.com", active=False)
    result = run(app, "tokens", "create", "--email", "gone@example.com", "--name", "x")
    assert result.exit_code != 0
    assert "deactivated" in result.stderr


def test_tokens_create_blank_name_fails(app: Flask, make_user: Callable) -> None:
    make_user("sales", email="bot@example.com")
    result = run(app, "tokens", "create", "--email", "bot@example.com", "--name", "  ")
    assert result.exit_code != 0
    assert "Give the token a name" in result.stderr


def test_search_rebuild_indexes_every_lead_again(app: Flask) -> None:
    from sqlalchemy import text

    from leadapp.leads import listing, search_index
    from tests.factories import LeadFactory, UserFactory

    with app.app_context():
        LeadFactory(last_name="Okafor")
        admin = UserFactory(role="admin")
        db.session.commit()
        sqlite = db.engine.dialect.name == "sqlite"
        if sqlite:  # as a migration that rebuilt the leads table would leave it
            db.session.execute(text(f"DROP TABLE {search_index.TABLE}"))
            db.session.commit()
    result = run(app, "search", "rebuild")
    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = db.session.merge(admin)
        if not sqlite:
            assert "nothing to rebuild" in result.output
            return
        assert result.output.startswith("Indexed 1 lead in ")
        LeadFactory(last_name="Lindqvist")  # the triggers are back too
        db.session.commit()
        for word in ("okafor", "lindqvist"):
            assert search_index.candidates([word], 1.0) is not None
            filters = listing.parse_filters({"q": word})
            assert len(list(db.session.scalars(listing.matching(filters, admin)))) == 1
            assert len(db.session.scalars(search_index.candidates([word], 1.0)).all()) == 1


def test_search_rebuild_explains_an_sqlite_without_trigrams(app: Flask, monkeypatch) -> None:
    from leadapp.leads import search_index

    monkeypatch.setattr(search_index, "trigrams_supported", lambda: False)
    result = run(app, "search", "rebuild")
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        assert result.exit_code == 1
        assert "no FTS5 trigram tokenizer" in result.output and "scan" in result.output
    else:
        assert result.exit_code == 0 and "nothing to rebuild" in result.output
