"""htmx helpers shared by every blueprint."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, flash, make_response, redirect, render_template, url_for

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


def ordered_ids(raw: str) -> list[int]:
    """The ids of a drag-reordered list, sent as "3,1,2" (anything else in it is ignored)."""
    return [int(part) for part in raw.split(",") if part.strip().isdecimal()]


def list_block(fragment: str, page_endpoint: str, error: str = "", status: int = 200,
               **ctx: Any) -> Response:
    """An ordered admin list after a move or toggle: the block for htmx; without JavaScript,
    back to its page (post/redirect/get) with the error flashed."""
    if wants_fragment():
        return Response(render_template(fragment, error=error, **ctx), status)
    if error:
        flash(error, "error")
    return redirect(url_for(page_endpoint), 303)
