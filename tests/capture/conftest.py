"""Capture fixtures: a form made through the service, and a helper that posts the public form."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from leadapp.capture import services
from leadapp.capture.fields import DEFAULT_FIELDS
from leadapp.capture.services import FormSettings


@dataclass(frozen=True)
class MadeForm:
    id: int
    public_key: str
    api_key: str


def settings(**overrides: Any) -> FormSettings:
    values: dict[str, Any] = {
        "name": "Contact us", "fields": DEFAULT_FIELDS, "consent_text": "", "source_id": None,
        "campaign_id": None, "owner_id": None, "team_id": None, "thank_you_text": "Thanks, Ann!",
        "redirect_url": "", "allowed_origins": "", "spam_threshold": 50, "min_fill_seconds": 0,
        "blocked_email_domains": ""}
    values.update(overrides)
    if values["source_id"] is None:
        values["source_id"] = services.default_settings()["source_id"]
    return FormSettings(**values)


@pytest.fixture
def make_form(app: Flask) -> Callable[..., MadeForm]:
    """Create a capture form (service defaults plus overrides); returns ids and keys."""

    def make(**overrides: Any) -> MadeForm:
        with app.app_context():
            form, key = services.create_form(settings(**overrides))
            return MadeForm(form.id, form.public_key, key)

    return make


def form_token(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, "the form renders a token"
    return match.group(1)


@pytest.fixture
def post_form(client: FlaskClient) -> Callable[..., Any]:
    """GET the public form (for its token), then POST the given fields with it."""

    def post(public_key: str, fields: dict[str, str], *, token: str | None = None,
             headers: dict[str, str] | None = None, get_headers: dict[str, str] | None = None,
             **extra: str) -> Any:
        if token is None:
            page = client.get(f"/f/{public_key}", headers=get_headers or {})
            token = form_token(page.get_data(as_text=True))
        data = {"token": token, **fields, **extra}
        return client.post(f"/f/{public_key}", data=data, headers=headers or {})

    return post
