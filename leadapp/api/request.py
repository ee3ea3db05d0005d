"""Reading API requests: the token, the body (JSON or form) and typed query parameters."""

from __future__ import annotations

from typing import Any

from flask import g, request

from ..input_guard import parsed_json
from .responses import api_abort

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_ID = 2**31 - 1  # the id columns are 32-bit on PostgreSQL


def presented_token() -> str:
    """The token from the `authtoken` header, or the `?authtoken=` query parameter."""
    return (request.headers.get("authtoken") or request.args.get("authtoken") or "").strip()


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def read_body() -> dict[str, Any]:
    """The request body as a dict; JSON objects and form bodies only (400/413/415 otherwise)."""
    if "api_body" in g:
        return g.api_body
    mimetype = request.mimetype or ""
    if _is_json(mimetype):
        raw = request.get_data(cache=True)
        data = parsed_json() if raw.strip() else {}  # 400 for JSON nested too deeply
        if data is None:
            api_abort(400, "The body is not valid JSON.")
        if not isinstance(data, dict):
            api_abort(400, "The JSON body must be an object, e.g. {\"name\": \"Website\"}.")
    elif mimetype in FORM_TYPES:
        data = request.form.to_dict()
    elif not mimetype and not request.get_data(cache=True):
        data = {}
    else:
        api_abort(415, f"Send the body as application/json or form data, not "
                       f"{mimetype or 'an untyped body'}.")
    g.api_body = data
    return data


def parse_id(value: str) -> int | None:
    """A positive database id, or None for anything else (the caller answers 404)."""
    if not value.isdecimal() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def parse_bool(value: Any) -> bool | None:
    """True/False from JSON booleans, 0/1 or the usual words; None when it is none of them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None
