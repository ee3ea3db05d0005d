"""htmx helpers shared by every blueprint."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, make_response, render_template

from .extensions import htmx


def wants_fragment() -> bool:
    """True for a real partial request (not a boosted navigation or a history restore)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str, status: int = 200, **ctx: Any) -> Response:
    """Render the whole page, or only its fragment for an htmx partial request."""
    response = make_response(render_template(fragment if wants_fragment() else page, **ctx), status)
    response.vary.add("HX-Request")
    return response


def is_safe_next(target: str | None) -> bool:
    """Only local paths are accepted as post-login redirects."""
    if not target:
        return False
    parts = urlsplit(target)
    return (not parts.scheme and not parts.netloc and target.startswith("/")
            and not target.startswith("//") and "\\" not in target)
