"""Shared fixtures: an app per test on a fresh database, clients, and a sign-in helper."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from leadapp import create_app
from leadapp.extensions import db, limiter
from leadapp.reference import ensure_reference_data

TEST_DB = os.environ.get("TEST_DATABASE_URL", "sqlite://")
SQLITE = TEST_DB.startswith("sqlite")
TEST_PASSWORD = "correct-horse-battery"


def make_app(**extra: Any) -> Flask:
    config = {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": TEST_DB,
              "RATELIMIT_STORAGE_URI": "memory://", **extra}
    return create_app(config)


@pytest.fixture(scope="session")
def _schema() -> Iterator[None]:
    """Postgres only: build the tables once per run."""
    if SQLITE:
        yield
        return
    app = make_app()
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    yield
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(_schema: None, tmp_path: Any) -> Iterator[Flask]:
    app = make_app(WTF_CSRF_ENABLED=False, UPLOAD_DIR=str(tmp_path / "uploads"))
    with app.app_context():
        if SQLITE:
            db.create_all()  # a fresh in-memory database per test
        ensure_reference_data()
    limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
        if not SQLITE:
            _empty_all_tables()
        db.engine.dispose()  # avoids ResourceWarnings under filterwarnings=error


def _empty_all_tables() -> None:
    with db.engine.begin() as connection:
        names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def hx(app: Flask) -> FlaskClient:
    """A client whose requests look like htmx partial requests."""
    client = app.test_client()
    client.environ_base["HTTP_HX_REQUEST"] = "true"
    return client


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """For service and model tests only: never make a request while this is pushed."""
    with app.app_context():
        yield app


@pytest.fixture
def make_user(app: Flask) -> Callable[..., int]:
    """Create a user and return its id."""
    from tests.factories import UserFactory

    def make(role: str = "admin", **fields: Any) -> int:
        with app.app_context():
            return UserFactory(role=role, **fields).id

    return make


@pytest.fixture
def login(app: Flask, client: FlaskClient, make_user: Callable[..., int]) -> Callable[..., int]:
    """Sign a (new) user in through the login form on `client`; returns the user's id."""

    def do_login(role: str = "admin", client_: FlaskClient | None = None, **fields: Any) -> int:
        user_id = make_user(role, **fields)
        with app.app_context():
            from leadapp.auth.models import User

            email = db.session.get(User, user_id).email
        response = (client_ or client).post(
            "/login", data={"email": email, "password": TEST_PASSWORD}
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        return user_id

    return do_login
