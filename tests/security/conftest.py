"""Fixtures for the security walks: a seeded dataset, signed-in clients per role, DB snapshots."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from leadapp.auth.models import Role
from leadapp.extensions import db
from tests.security.dataset import DEMO_PASSWORD, ROLE_EMAILS, Dataset, seed

# Columns that a request may change without changing anything a user owns: a token's last use
# is recorded on every API call (that is a feature, tested on its own).
VOLATILE = {("api_tokens", "last_used_at")}


@pytest.fixture
def dataset(app: Flask) -> Dataset:
    with app.app_context():
        return seed()


def sign_in(client: FlaskClient, role: Role, csrf_token: str | None = None) -> None:
    data = {"email": ROLE_EMAILS[role], "password": DEMO_PASSWORD}
    if csrf_token:
        data["csrf_token"] = csrf_token
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


@pytest.fixture
def client_as(app: Flask) -> Callable[[Role | None], FlaskClient]:
    """A new client signed in with the demo user of a role (None: anonymous)."""

    def make(role: Role | None) -> FlaskClient:
        client = app.test_client()
        if role is not None:
            sign_in(client, role)
        return client

    return make


def snapshot(app: Flask) -> dict[str, str]:
    """A digest of every table's rows, to prove a refused request changed nothing."""
    digests = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [column for column in table.columns
                       if (table.name, column.name) not in VOLATILE]
            rows = sorted(repr(tuple(row)) for row in db.session.execute(select(*columns)))
            digest = hashlib.sha256("\n".join(rows).encode())
            digests[table.name] = digest.hexdigest()
        db.session.remove()
    return digests


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))


def files_under(path: Any) -> set[str]:
    from pathlib import Path

    root = Path(path)
    return {str(item.relative_to(root)) for item in root.rglob("*")} if root.exists() else set()
