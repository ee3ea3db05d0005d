"""Admin settings kept in app_settings: read with a default, written one key per commit.

Each setting has a typed pair of functions here, so callers never spell keys or parse strings."""

from __future__ import annotations

from flask import current_app

from ..extensions import db
from .models import AppSetting

WEBHOOKS_ALLOW_PRIVATE = "webhooks.allow_private"


def get_value(key: str, default: str = "") -> str:
    row = db.session.get(AppSetting, key)
    return default if row is None else row.value


def set_value(key: str, value: str) -> None:
    """Store `value` under `key`; commits."""
    row = db.session.get(AppSetting, key)
    if row is None:
        db.session.add(AppSetting(key=key, value=value))
    else:
        row.value = value
    db.session.commit()


def private_webhooks_forced() -> bool:
    """The deployment allows private webhook addresses (WEBHOOKS_ALLOW_PRIVATE=1): the admin
    setting cannot turn that off, since the operator chose it for the whole installation."""
    return bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"))


def private_webhooks_setting() -> bool:
    """The admin's own choice, whatever the deployment says."""
    return get_value(WEBHOOKS_ALLOW_PRIVATE) == "1"


def private_webhooks_allowed() -> bool:
    """May webhooks call loopback, private and reserved addresses? The environment variable
    (on) or else the admin setting (off until an admin turns it on)."""
    return private_webhooks_forced() or private_webhooks_setting()


def set_private_webhooks(allowed: bool) -> None:
    """The admin setting; commits."""
    set_value(WEBHOOKS_ALLOW_PRIVATE, "1" if allowed else "0")
