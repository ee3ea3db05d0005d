"""The API's JSON envelope: `{"status": true|false, "message": ...}` and friends."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort


def json_response(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json", headers=headers)


def ok(message: str, status: int = 200, **extra: Any) -> Response:
    return json_response({"status": True, "message": message, **extra}, status)


def fail(status: int, message: str) -> Response:
    return json_response({"status": False, "message": message}, status)


def validation_failed(errors: dict[str, str]) -> Response:
    """422 with one message per field, in the shape the issue fixes."""
    message = " ".join(errors.values()) or "The data is not valid."
    return json_response({"status": False, "error": "validation_failed", "message": message,
                          "errors": errors}, 422)


def api_abort(status: int, message: str) -> None:
    """Stop here with a JSON error (the app's error handler keeps /api answers JSON)."""
    abort(status, description=message)
