"""API tokens: shown once, stored only as a hash, compared in constant time, revocable (at
once), expiring, dead with their user, and every use recorded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Enum, String, Text, func, select

from leadapp.auth import services as auth_services
from leadapp.auth.models import ApiToken, Role, User
from leadapp.db_types import utcnow
from leadapp.extensions import db
from tests.security.dataset import Dataset


@pytest.fixture
def admin(client_as: Callable, dataset: Dataset) -> FlaskClient:
    return client_as(Role.admin)


def _create(admin: FlaskClient, app: Flask, role: Role = Role.sales) -> tuple[str, int]:
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.role == role).order_by(User.id))
    response = admin.post("/admin/api/api_management",
                          data={"user_id": str(user_id), "name": "CI script"})
    assert response.status_code == 200
    plain = re.search(r"\bla_[A-Za-z0-9_\-]{30,}", response.get_data(as_text=True)).group(0)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()))
    return plain, token_id


def _token(app: Flask, token_id: int) -> ApiToken:
    with app.app_context():
        token = db.session.get(ApiToken, token_id)
        db.session.expunge(token)
        return token


def _call(client: FlaskClient, plain: str) -> int:
    return client.get("/api/lead_sources", headers={"authtoken": plain}).status_code


def test_token_is_shown_once_and_stored_only_as_its_sha256(app: Flask, admin: FlaskClient
                                                           ) -> None:
    plain, token_id = _create(admin, app)
    token = _token(app, token_id)
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert len(token.prefix) <= 12 and plain.startswith(token.prefix)
    # Nowhere in the database: every text column of every table is searched.
    with app.app_context():
        for table in db.metadata.sorted_tables:
            texts = [c for c in table.columns if isinstance(c.type, String | Text)
                     and not isinstance(c.type, Enum)]
            for column in texts:
                found = db.session.scalar(select(func.count()).select_from(table)
                                          .where(column.contains(plain[10:])))
                assert not found, f"{table.name}.{column.name} holds the token"
    # The page never shows it again.
    assert plain not in admin.get("/admin/api/api_management").get_data(as_text=True)


def test_token_use_is_recorded(app: Flask, admin: FlaskClient, client: FlaskClient) -> None:
    plain, token_id = _create(admin, app)
    assert _token(app, token_id).last_used_at is None
    assert _call(client, plain) == 200
    first = _token(app, token_id).last_used_at
    assert first is not None
    assert _call(client, plain) == 200
    assert _token(app, token_id).last_used_at >= first


def test_revoked_token_stops_at_once_and_records_no_more_use(app: Flask, admin: FlaskClient,
                                                             client: FlaskClient) -> None:
    plain, token_id = _create(admin, app)
    assert _call(client, plain) == 200
    response = admin.delete(f"/admin/api/tokens/{token_id}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    used = _token(app, token_id).last_used_at
    assert _call(client, plain) == 401
    assert client.get("/api/lead_sources", query_string={"authtoken": plain}).status_code == 401
    token = _token(app, token_id)
    assert token.revoked_at is not None and token.last_used_at == used


def test_expired_token_and_inactive_user_are_refused(app: Flask, admin: FlaskClient,
                                                     client: FlaskClient) -> None:
    plain, token_id = _create(admin, app)
    with app.app_context():
        db.session.get(ApiToken, token_id).expires_on = (utcnow() - timedelta(days=1)).date()
        db.session.commit()
    assert _call(client, plain) == 401
    plain, token_id = _create(admin, app, Role.marketeer)
    assert _call(client, plain) == 200
    with app.app_context():
        db.session.get(ApiToken, token_id).user.active = False
        db.session.commit()
    assert _call(client, plain) == 401


def _other_last_char(plain: str) -> str:
    """A space before it (stripped) and its last character changed, never back to itself."""
    return " " + plain[:-1] + ("A" if plain[-1] != "A" else "B")


@pytest.mark.parametrize("mutate", [lambda p: p[:-1], lambda p: p + "x", lambda p: p.upper(),
                                    lambda p: p[:10], _other_last_char,
                                    lambda p: hashlib.sha256(p.encode()).hexdigest()],
                         ids=["short", "long", "case", "prefix", "last-char", "the-hash"])
def test_near_miss_tokens_are_refused(app: Flask, admin: FlaskClient, client: FlaskClient,
                                      mutate: Callable[[str], str]) -> None:
    plain, _ = _create(admin, app)
    assert _call(client, mutate(plain)) == 401


def test_token_check_compares_digests_in_constant_time(app: Flask, admin: FlaskClient,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The lookup is by the clear prefix; the secret rest is checked by comparing digests."""
    plain, token_id = _create(admin, app)
    stored = _token(app, token_id).token_hash
    seen: list[tuple[str, str]] = []
    real = auth_services.hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth_services.hmac, "compare_digest", spy)
    with app.app_context():
        assert auth_services.token_user(plain) is not None
    assert seen == [(stored, auth_services.hash_token(plain))]
    # Same prefix, wrong secret: found by the prefix, refused only by the compare.
    forged = plain[:-1] + ("A" if plain[-1] != "A" else "B")
    seen.clear()
    with app.app_context():
        assert auth_services.token_user(forged) is None
    assert seen == [(stored, auth_services.hash_token(forged))]


def test_token_with_a_known_prefix_but_another_secret_is_refused(app: Flask,
                                                                  admin: FlaskClient,
                                                                  client: FlaskClient) -> None:
    """Fails if the hash compare is skipped: the prefix alone is not secret (it is shown)."""
    plain, _ = _create(admin, app)
    prefix = plain[:auth_services.PREFIX_LENGTH]
    assert _call(client, prefix + "x" * (len(plain) - len(prefix))) == 401
    assert _call(client, prefix) == 401
    assert _call(client, plain) == 200


def test_tokens_sharing_a_prefix_each_find_their_own_user(app: Flask, admin: FlaskClient
                                                          ) -> None:
    plain, _ = _create(admin, app, Role.sales)
    twin = plain[:auth_services.PREFIX_LENGTH] + "t" * (len(plain) - auth_services.PREFIX_LENGTH)
    with app.app_context():
        marketeer = db.session.scalar(select(User).where(User.role == Role.marketeer))
        db.session.add(ApiToken(user=marketeer, name="twin", prefix=plain[:10],
                                token_hash=auth_services.hash_token(twin)))
        db.session.commit()
        assert auth_services.token_user(twin).role == Role.marketeer
        assert auth_services.token_user(plain).role == Role.sales
