"""Settings read from the environment, with safe defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {value!r}.") from None


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'leadapp.sqlite3'}"


def _normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` spellings and route them to psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key() -> str:
    """SECRET_KEY from the environment, else the one `make run` wrote to instance/secret_key."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = INSTANCE_DIR / "secret_key"
    return key_file.read_text().strip() if key_file.is_file() else ""


class Config:
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = _normalise_database_url(
        os.environ.get("DATABASE_URL") or _default_database_url()
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or str(INSTANCE_DIR / "uploads")
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 60 * 1024 * 1024)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    # Leads
    DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "US")
    LEAD_ATTACHMENT_MAX_BYTES = _int("LEAD_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    # JSON API
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
    API_MAX_CONTENT_LENGTH = _int("API_MAX_CONTENT_LENGTH", 64 * 1024)
    # Capture forms: hard per-IP limit, soft per-form limit (quarantines), token lifetime (s)
    CAPTURE_RATE_LIMIT = os.environ.get("CAPTURE_RATE_LIMIT", "30 per minute")
    CAPTURE_SOFT_LIMIT = os.environ.get("CAPTURE_SOFT_LIMIT", "5 per 10 minutes")
    CAPTURE_API_RATE_LIMIT = os.environ.get("CAPTURE_API_RATE_LIMIT", "60 per minute")
    CAPTURE_TOKEN_MAX_AGE = _int("CAPTURE_TOKEN_MAX_AGE", 24 * 3600)
    # Imports
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
    IMPORT_RUN_INLINE = _bool("IMPORT_RUN_INLINE")
    # Seconds without progress after which a queued or running import counts as interrupted.
    IMPORT_STALE_SECONDS = _int("IMPORT_STALE_SECONDS", 120)
    # Assignment emails: sent only when MAIL_SERVER is set; links point at APP_BASE_URL
    # (else the host of the request that made the change).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "leadapp@localhost")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "")
    # Webhooks: the sender runs as a thread in each web process ("thread"; tests default to
    # "off") or only as `flask webhooks worker` ("off"). Private/loopback URLs are refused unless
    # an admin allows them on the webhooks page (stored in app_settings) or the operator sets
    # WEBHOOKS_ALLOW_PRIVATE, which allows them whatever that setting says.
    WEBHOOKS_WORKER = os.environ.get("WEBHOOKS_WORKER", "")
    WEBHOOKS_ALLOW_PRIVATE = _bool("WEBHOOKS_ALLOW_PRIVATE")
    WEBHOOKS_TIMEOUT = _int("WEBHOOKS_TIMEOUT", 5)
    WEBHOOKS_MAX_ATTEMPTS = _int("WEBHOOKS_MAX_ATTEMPTS", 8)
    WEBHOOKS_BACKOFF_SECONDS = _int("WEBHOOKS_BACKOFF_SECONDS", 30)
    WEBHOOKS_POLL_SECONDS = _int("WEBHOOKS_POLL_SECONDS", 2)
    WEBHOOKS_LEASE_SECONDS = _int("WEBHOOKS_LEASE_SECONDS", 60)
    WEBHOOKS_CACHE_SECONDS = _int("WEBHOOKS_CACHE_SECONDS", 5)
    WEBHOOKS_KEEP_DAYS = _int("WEBHOOKS_KEEP_DAYS", 30)
    TRUST_PROXY = _bool("TRUST_PROXY")
    # Reports: the zone whose midnights start and end a day, week and month (an IANA name), and
    # the currency the report shows first and in which spend is recorded; new leads and
    # opportunities start in that currency too.
    APP_TIMEZONE = os.environ.get("APP_TIMEZONE", "").strip() or "UTC"
    DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "").strip().upper() or "USD"
    TESTING = False
    DEBUG = _bool("FLASK_DEBUG")


def default_currency() -> str:
    """The running app's DEFAULT_CURRENCY (checked at start-up by check_report_settings)."""
    return current_app.config.get("DEFAULT_CURRENCY") or "USD"


def check_secret(config: dict) -> None:
    """Refuse to run in production with an empty or example secret key."""
    if config.get("TESTING") or config.get("DEBUG"):
        if not config.get("SECRET_KEY"):
            config["SECRET_KEY"] = "dev-only-not-secret"
        return
    secret = config.get("SECRET_KEY") or ""
    if len(secret) < 16 or secret in {"change-me", "dev", "secret"}:
        raise RuntimeError(
            "SECRET_KEY is missing or too short. Set SECRET_KEY to a long random value "
            '(python -c "import secrets; print(secrets.token_hex(32))"), or FLASK_DEBUG=1 for '
            "local development."
        )


def check_report_settings(config: Mapping[str, Any]) -> None:
    """Refuse to start with a time zone or currency the reports could not use, rather than fail
    (or silently fall back to UTC) on the first report request."""
    name = str(config.get("APP_TIMEZONE") or "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuntimeError(
            f"APP_TIMEZONE must be an IANA time zone name such as UTC, Europe/Berlin or "
            f"America/New_York, not {name!r}."
        ) from None
    from .leads.forms import CURRENCIES  # the codes a lead can carry

    currency = str(config.get("DEFAULT_CURRENCY") or "USD")
    if currency not in CURRENCIES:
        raise RuntimeError(
            f"DEFAULT_CURRENCY must be one of {', '.join(CURRENCIES)}, not {currency!r}."
        )
