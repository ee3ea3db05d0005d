"""Domain errors raised by services, and the app-wide HTTP error handlers.

One error shape per audience: `/api` URLs get `{"status": false, "message": ...}` JSON, htmx
requests get an empty body and an `HX-Trigger` toast, everything else gets errors/http.html in
the app shell. Unhandled exceptions become a 500 through Flask's own InternalServerError path.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DataError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    UnprocessableEntity,
    default_exceptions,
)

from .extensions import db, htmx


class DomainError(Exception):
    """A rule of the domain was broken; the message is safe to show to users."""

    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RuleViolation(DomainError):
    status = 422


class Conflict(DomainError):
    status = 409


class NotAllowed(DomainError):
    status = 403


class InvalidInput(UnprocessableEntity):
    """A 422 that knows which fields are at fault, so API clients get them in `errors`."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(description=" ".join(errors.values()))
        self.errors = errors


# Friendly (title, text) per status, used unless the view aborted with a message of its own.
FRIENDLY: dict[int, tuple[str, str]] = {
    400: ("That request did not work", "Something in the request was not what we expected. "
          "Go back, reload the page and try again."),
    401: ("Please sign in", "Sign in to continue."),
    403: ("You do not have access", "Your role does not allow this page or action. "
          "Ask an administrator if you need it."),
    404: ("We could not find that page", "The link may be out of date, or the item was "
          "deleted or moved. Check the address, or start again from the dashboard."),
    405: ("That action is not available here", "This address does not accept that kind of "
          "request. Go back and use the buttons on the page."),
    409: ("Someone else changed this", "The item changed while you were working on it. "
          "Reload to see the latest version."),
    413: ("That file is too large", "Choose a smaller file and try again."),
    422: ("Please check your input", "Some of the values could not be saved."),
    429: ("Too many attempts", "Please wait a minute before you try again."),
    500: ("Something went wrong on our side", "The error was logged. Please try again in a "
          "moment; if it keeps happening, tell your administrator what you were doing."),
    503: ("leadapp is busy", "The service is briefly unavailable. Please try again shortly."),
}
CSRF_MESSAGE = "This form has expired or came from another page. Reload the page and try again."
_PASSED_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def friendly(error: HTTPException) -> tuple[str, str]:
    """(title, message) for users: the view's own description, or a plain text per status."""
    code = error.code or 500
    title, text = FRIENDLY.get(code, FRIENDLY[500] if code >= 500 else (error.name, ""))
    if isinstance(error, CSRFError):
        return title, CSRF_MESSAGE
    own = error.description and error.description != type(error).description
    if own and code < 500:
        return title, str(error.description)
    return title, text or str(error.description or error.name)


def handle_http_error(error: HTTPException) -> Response:
    """Answer an HTTP error in the shape its audience expects."""
    if error.response is not None:  # a view (or a limiter's on_breach) built the answer itself
        return error.response
    code = error.code or 500
    if code >= 500:
        db.session.rollback()  # a failed flush must not poison the rendering or the next request
    title, message = friendly(error)
    if _is_api_request():
        response = Response(json.dumps(_api_body(error, code, message), ensure_ascii=False),
                            status=code, mimetype="application/json")
    elif htmx:
        trigger = {"toast": {"level": "error", "message": message}}
        response = Response("", status=code, headers={"HX-Trigger": json.dumps(trigger)})
    else:
        response = Response(_page(error, code, title, message), status=code,
                            mimetype="text/html")
    passed = error.get_response().headers
    for header in _PASSED_HEADERS:
        if header in passed:
            response.headers[header] = passed[header]
    return response


def _api_body(error: HTTPException, code: int, message: str) -> dict[str, Any]:
    """The envelope; a 422 always names what is at fault in `errors` (the documented shape),
    under "request" when no single field is to blame."""
    body: dict[str, Any] = {"status": False, "message": message}
    if code == 422:
        body["error"] = "validation_failed"
        body["errors"] = getattr(error, "errors", None) or {"request": message}
    return body


def handle_domain_error(error: DomainError) -> Response:
    """A DomainError a route did not catch: answered like the HTTP error of its status."""
    if error.status == 422 and error.field:
        return handle_http_error(InvalidInput({error.field: error.message}))
    return handle_http_error(default_exceptions[error.status](description=error.message))


def _is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _page(error: HTTPException, code: int, title: str, message: str) -> str:
    try:
        return render_template("errors/http.html", error=error, code=code, title=title,
                               message=message)
    except Exception:  # the shell itself failed (e.g. the database is down): plain HTML
        current_app.logger.exception("Error page could not be rendered")
        return (f"<!doctype html><title>{code} {escape(title)}</title><h1>{escape(title)}</h1>"
                f"<p>{escape(message)}</p>")


OUT_OF_RANGE = "A number in the request is too large (ids and counts stop at 2147483647)."


def handle_number_out_of_range(error: Exception) -> Response:
    """An id like 10**22 in a URL, query or form reached the database (SQLite raises
    OverflowError, PostgreSQL SQLSTATE 22003): the request is wrong, so 422 instead of a 500.
    Any other data error stays a server error."""
    db.session.rollback()
    if isinstance(error, DataError) and getattr(error.orig, "sqlstate", None) != "22003":
        current_app.logger.exception("Database data error")
        return handle_http_error(InternalServerError(original_exception=error))
    fields = _oversized_fields()
    if not fields:
        return handle_http_error(UnprocessableEntity(description=OUT_OF_RANGE))
    return handle_http_error(InvalidInput({name: f"{name} is too large (ids and counts stop "
                                                 f"at {MAX_INT})." for name in fields}))


MAX_INT = 2**31 - 1


def _oversized_fields() -> list[str]:
    """The request's fields (URL, query, body; a nested value counts for its top-level key)
    holding a whole number past the 32-bit columns: the likely culprits, to name in `errors`."""
    sources: list[Any] = [request.view_args or {}, request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    elif request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:
            body = None
        sources.append(body if isinstance(body, dict) else {})
    return [str(key) for source in sources for key in source
            if _has_big_int(source.getlist(key) if hasattr(source, "getlist") else source[key])]


def _has_big_int(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_INT:
            return True
        elif isinstance(item, str):
            digits = item.strip().removeprefix("-")
            # Length first: int() refuses strings of more than 4300 digits.
            if digits.isascii() and digits.isdecimal() and (
                    len(digits) > 10 or int(digits) > MAX_INT):
                return True
    return False


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(OverflowError, handle_number_out_of_range)
    app.register_error_handler(DataError, handle_number_out_of_range)
