"""notifications feature: in-app notifications (the bell) and assignment emails."""

from __future__ import annotations

from typing import Any

from flask import Flask


def register(app: Flask) -> None:
    """Subscribe to the domain events, hook mail sending to commits (both idempotent) and give
    templates the bell's count."""
    from . import mail, receivers

    receivers.connect()
    mail.install()

    @app.context_processor
    def bell_helpers() -> dict[str, Any]:
        return {"unread_notifications": _unread_for_current_user}


def _unread_for_current_user() -> int:
    """Called by the top bar only when it renders, so pages without it pay nothing."""
    from flask_login import current_user

    from .services import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0
