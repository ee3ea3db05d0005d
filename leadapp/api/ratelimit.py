"""Per-token rate limiting for the JSON API (Flask-Limiter, shared by every /api endpoint)."""

from __future__ import annotations

from flask import Blueprint, current_app
from flask_limiter.util import get_remote_address

from ..auth.services import hash_token
from ..extensions import limiter
from .request import presented_token

DEFAULT_API_RATE_LIMIT = "300 per minute"


def api_rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT") or DEFAULT_API_RATE_LIMIT


def api_rate_key() -> str:
    """One bucket per token (by its hash, never the token itself); anonymous calls per address."""
    token = presented_token()
    return f"token:{hash_token(token)}" if token else f"ip:{get_remote_address()}"


def limit_blueprint(bp: Blueprint) -> None:
    """Every endpoint of bp draws from the caller's one shared API budget."""
    limiter.shared_limit(api_rate_limit, scope="api", key_func=api_rate_key,
                         error_message="Too many requests for this token. Slow down and retry "
                                       "after the time in the Retry-After header.")(bp)
