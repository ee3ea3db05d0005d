"""API fixtures: a token per role, returned as the plain token string."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from leadapp.auth.services import issue_token
from leadapp.extensions import db
from leadapp.models import User


@pytest.fixture
def make_token(app: Flask, make_user: Callable[..., int]) -> Callable[..., str]:
    """Create a user with the role and a token for them; returns the plain token."""

    def make(role: str = "admin", **token_fields: Any) -> str:
        user_id = make_user(role)
        with app.app_context():
            return issue_token(db.session.get(User, user_id), "test script", **token_fields)[1]

    return make


@pytest.fixture
def api(client: Any, make_token: Callable[..., str]) -> Callable[..., Any]:
    """Call the API with an admin token (or the token given): api("get", "/api/...", ...)."""
    tokens: dict[str, str] = {}

    def call(method: str, url: str, token: str | None = None, role: str = "admin",
             headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        if token is None:
            tokens.setdefault(role, make_token(role))
            token = tokens[role]
        return getattr(client, method)(url, headers={"authtoken": token, **(headers or {})},
                                       **kwargs)

    return call
