"""Domain errors raised by services, and the app-wide HTTP error handlers."""

from __future__ import annotations

import json

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

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


def _is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _api_response(error: HTTPException) -> Response:
    body = {"status": False, "message": error.description or error.name}
    response = Response(json.dumps(body), status=error.code, mimetype="application/json")
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if error.get_response().headers.get(header):
            response.headers[header] = error.get_response().headers[header]
    return response


def _htmx_response(error: HTTPException) -> Response:
    trigger = {"toast": {"level": "error", "message": error.description or error.name}}
    return Response("", status=error.code, headers={"HX-Trigger": json.dumps(trigger)})


def handle_http_error(error: HTTPException) -> Response:
    """One error shape per audience: JSON for the API, a toast for htmx, a page otherwise."""
    if error.code and error.code >= 500:
        db.session.rollback()
    if _is_api_request():
        return _api_response(error)
    if htmx:
        return _htmx_response(error)
    html = render_template("errors/http.html", error=error)
    return Response(html, status=error.code, headers=dict(error.get_response().headers.items()
                                                            if error.code == 405 else {}))


def handle_unexpected_error(error: Exception) -> Response:
    db.session.rollback()
    wrapped = InternalServerError(
        "Something went wrong on our side. The error was logged; please try again."
    )
    wrapped.original_exception = error
    from flask import current_app

    current_app.logger.exception("Unhandled error", exc_info=error)
    return handle_http_error(wrapped)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.config.get("TESTING") or not app.config.get("PROPAGATE_EXCEPTIONS", True):
        app.register_error_handler(Exception, handle_unexpected_error)
