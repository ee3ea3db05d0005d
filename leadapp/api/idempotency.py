"""Idempotency-Key on POST: the first response for a (token, key) is replayed for 24 hours.

Rows live in the database so every gunicorn worker and app server sees them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Response, g, make_response, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from ..db_types import utcnow
from ..errors import handle_http_error
from ..extensions import db
from .models import IdempotencyKey
from .request import read_body
from .responses import fail, json_response, validation_failed

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Headers a replay must repeat: where the created lead is, and its version for If-Match.
REPLAYED_HEADERS = ("Location", "ETag")
# The stored answer is {"stored": STORED_FORMAT, "headers": {...}, "body": "<the JSON text>"} in
# the existing `body` column (no migration); rows written before it held the body text alone.
STORED_FORMAT = "response-v2"


def _fingerprint(body: dict[str, Any]) -> str:
    payload = json.dumps([request.method, request.path, body], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def begin(token_hash: str, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """Claim the key; returns (row, True) when this request is the first one."""
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.token_hash == token_hash,
                                                    IdempotencyKey.created_at < utcnow() - TTL))
    row = IdempotencyKey(token_hash=token_hash, key=key, fingerprint=fingerprint)
    db.session.add(row)
    try:
        db.session.commit()
        return row, True
    except IntegrityError:
        db.session.rollback()
    existing = db.session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.token_hash == token_hash, IdempotencyKey.key == key))
    if existing is None:  # expired and purged by another request in between: try once more
        return begin(token_hash, key, fingerprint)
    return existing, False


def finish(row_id: int, response: Response) -> None:
    """Keep the first answer; a server error frees the key so the client may retry."""
    row = db.session.get(IdempotencyKey, row_id)
    if row is None:
        return
    if response.status_code >= 500:
        db.session.delete(row)
    else:
        row.status_code = response.status_code
        row.body = _stored(response)
    db.session.commit()


def release(row_id: int) -> None:
    db.session.rollback()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
    db.session.commit()


def _replay(row: IdempotencyKey, fingerprint: str) -> Response:
    if row.fingerprint != fingerprint:
        message = "This Idempotency-Key was already used with a different request. Use a new key."
        # The documented 422 shape (error, message, errors) like every other 422.
        return json_response({"status": False, "error": "idempotency_key_reused",
                              "message": message, "errors": {"Idempotency-Key": message}}, 422)
    if row.status_code is None:
        return fail(409, "A request with this Idempotency-Key is still being processed. "
                         "Retry in a moment.")
    body, headers = _unpacked(row.body or "null")
    return json_response(body, row.status_code, **headers, **{"Idempotent-Replayed": "true"})


def _stored(response: Response) -> str:
    headers = {name: response.headers[name] for name in REPLAYED_HEADERS
               if name in response.headers}
    return json.dumps({"stored": STORED_FORMAT, "headers": headers,
                       "body": response.get_data(as_text=True)}, ensure_ascii=False)


def _unpacked(text: str) -> tuple[Any, dict[str, str]]:
    """(body, headers) of a stored answer, in either format."""
    stored = json.loads(text)
    if isinstance(stored, dict) and stored.get("stored") == STORED_FORMAT:
        return json.loads(stored["body"] or "null"), stored["headers"]
    return stored, {}


def idempotent(view: Callable[..., Any]) -> Callable[..., Response]:
    """Decorate a POST view; requests without the header run as usual."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return make_response(view(*args, **kwargs))
        if len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return validation_failed({"Idempotency-Key": f"The Idempotency-Key must be at most "
                                                        f"{MAX_KEY_LENGTH} printable characters."})
        fingerprint = _fingerprint(read_body())
        row, first = begin(g.api_token_hash, key, fingerprint)
        if not first:
            return _replay(row, fingerprint)
        row_id = row.id
        try:
            response = make_response(view(*args, **kwargs))
        except HTTPException as error:  # answered (and stored) in the app's error shape
            response = handle_http_error(error)
        except Exception:
            release(row_id)
            raise
        finish(row_id, response)
        return response

    return wrapped
