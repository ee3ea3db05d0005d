"""Signed, time-stamped form tokens: the public form's CSRF and fill-time proof without a session.

Third-party iframes drop cookies, so the token carries everything: which form it was issued for,
the submission id (client key) that makes a double submit a no-op, and when it was rendered.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..db_types import as_utc

SALT = "leadapp.capture.form-token"
DEFAULT_MAX_AGE = 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def max_age() -> int:
    return int(current_app.config.get("CAPTURE_TOKEN_MAX_AGE", DEFAULT_MAX_AGE))


def new_client_key() -> str:
    return secrets.token_urlsafe(18)


def issue(public_key: str, client_key: str | None = None) -> str:
    """A token for one rendering of the form."""
    return _serializer().dumps({"f": public_key, "c": client_key or new_client_key()})


@dataclass(frozen=True)
class TokenCheck:
    client_key: str | None
    issued_at: datetime | None
    problem: str  # "" | "missing" | "expired" | "tampered"

    @property
    def ok(self) -> bool:
        return not self.problem


def check(token: str, public_key: str) -> TokenCheck:
    """Read a posted token. Expired tokens still give their client key and time (a slow human)."""
    if not token:
        return TokenCheck(None, None, "missing")
    serializer = _serializer()
    try:
        data, signed = serializer.loads(token, max_age=max_age(), return_timestamp=True)
    except SignatureExpired as error:
        data = _decoded(serializer, error.payload)
        if data.get("f") != public_key:
            return TokenCheck(None, None, "tampered")
        return TokenCheck(_key(data), as_utc(error.date_signed), "expired")
    except BadSignature:
        return TokenCheck(None, None, "tampered")
    if not isinstance(data, dict) or data.get("f") != public_key:
        return TokenCheck(None, None, "tampered")
    return TokenCheck(_key(data), as_utc(signed), "")


def _decoded(serializer: URLSafeTimedSerializer, payload: object) -> dict:
    """The payload of an expired (but genuinely signed) token."""
    try:
        data = serializer.load_payload(payload) if isinstance(payload, bytes) else payload
    except BadSignature:
        return {}
    return data if isinstance(data, dict) else {}


def _key(data: dict) -> str | None:
    value = data.get("c")
    return value[:64] if isinstance(value, str) and value else None


