"""The public form at /f/<public_key>: made for third-party iframes, so no session, no cookies.

Its own signed token (tokens.py) replaces the session CSRF token, and its own
Content-Security-Policy lists the origins that may frame it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_limiter import RateLimitExceeded, RequestLimit
from flask_limiter.util import get_remote_address
from limits import parse

from ..db_types import utcnow
from ..extensions import csrf, limiter
from . import services, spam, stats, submissions, tokens
from .fields import shown_fields
from .models import CaptureForm
from .validation import clean

bp = Blueprint("capture_public", __name__, url_prefix="/f")
csrf.exempt(bp)

HONEYPOT = "homepage"
DEFAULT_RATE_LIMIT = "30 per minute"
DEFAULT_SOFT_LIMIT = "5 per 10 minutes"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid",
            "fbclid")


def public_csp(form: CaptureForm | None) -> str:
    """Who may frame the form: the allowed origins (and our own admin preview), or anyone."""
    origins = services.form_origins(form) if form else []
    ancestors = " ".join(["'self'", *origins]) if origins else "*"
    form_action = "'self'"
    if form and form.redirect_url:
        parts = urlsplit(form.redirect_url)
        form_action += f" {parts.scheme}://{parts.netloc}"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; "
            f"form-action {form_action}; frame-ancestors {ancestors}")


def _page(template: str, form: CaptureForm | None, status: int = 200, **ctx: Any) -> Response:
    response = make_response(render_template(template, capture=form, **ctx), status)
    response.headers["Content-Security-Policy"] = public_csp(form)
    response.headers["Cache-Control"] = "no-store"
    return response


def _rate_limit() -> str:
    return current_app.config.get("CAPTURE_RATE_LIMIT") or DEFAULT_RATE_LIMIT


def _flooded(_limit: RequestLimit) -> Response:
    form = services.by_public_key((request.view_args or {}).get("public_key", ""))
    return _page("capture/public/message.html", form, 429, heading="Too many submissions",
                 text="Too many submissions came from your network just now. Please wait a "
                      "minute, then go back and send the form again.")


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(error: RateLimitExceeded) -> Response:
    """Our own framed page, not the admin error page (which may not be framed)."""
    response = error.get_response()
    return response if "frame-ancestors" in response.headers.get("Content-Security-Policy", "") \
        else _flooded(error.limit)  # type: ignore[arg-type]


def _soft_limited(form: CaptureForm) -> bool:
    """Above a few posts per form and address the submission is kept but quarantined."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return False
    rule = parse(current_app.config.get("CAPTURE_SOFT_LIMIT") or DEFAULT_SOFT_LIMIT)
    return not limiter.limiter.hit(rule, "capture-soft", form.public_key, get_remote_address())


def _load(public_key: str) -> CaptureForm | Response:
    form = services.by_public_key(public_key)
    if form is None:
        return _page("capture/public/message.html", None, 404, heading="Form not found",
                     text="This form does not exist. Check the embed code on the website.")
    if not form.active:
        return _page("capture/public/message.html", form, 410, heading="This form is closed",
                     text="This form no longer takes submissions. Please contact us another way.")
    return form


def _origin(value: str) -> str:
    return value if services.ORIGIN.match(value or "") else ""


def _context(args: Any) -> dict[str, str]:
    """Host page, parent origin and attribution, from embed.js or from a plain iframe's URL."""
    host = submissions.host_page(args.get("host") or request.referrer or "")
    first = submissions.touch(args.get("ft"))
    last = submissions.touch(args.get("lt"))
    if first is None and last is None:  # plain <iframe>: its own UTM tags and the referrer
        first = last = submissions.touch({
            **{key: args.get(key, "") for key in UTM_KEYS},
            "referrer": request.referrer or "", "landing_page": host, "at": utcnow().isoformat()})
    return {"host": host, "origin": _origin(args.get("origin", "")),
            "ft": json.dumps(first) if first else "", "lt": json.dumps(last or first)
            if (last or first) else ""}


@bp.get("/<public_key>")
def show(public_key: str) -> Response:
    form = _load(public_key)
    if isinstance(form, Response):
        return form
    context = _context(request.args)
    if request.args.get("preview") != "1":
        stats.count_view(form, context["host"])
    return _page("capture/public/form.html", form, rows=shown_fields(form.fields), values={},
                 errors={}, token=tokens.issue(form.public_key), meta=context,
                 honeypot=HONEYPOT)


@bp.post("/<public_key>")
@limiter.limit(_rate_limit, key_func=get_remote_address, on_breach=_flooded)
def submit(public_key: str) -> Response:
    form = _load(public_key)
    if isinstance(form, Response):
        return form
    posted = request.form
    check = tokens.check(posted.get("token", ""), form.public_key)
    if submissions.existing(form, check.client_key) is not None:
        return _thanks(form)  # a double click or a resent POST: nothing new happens
    raw = {row["name"]: posted.getlist(row["name"]) if row["spec"].kind == "checkboxes"
           else posted.get(row["name"], "") for row in shown_fields(form.fields)}
    verdict = spam.score(raw, _signals(form, check))
    meta = _received(form, check)
    if verdict.score < form.spam_threshold:
        _values, errors = clean(form.fields, raw)
        if errors:
            return _page("capture/public/form.html", form, 422, rows=shown_fields(form.fields),
                         values=raw, errors=errors, token=posted.get("token", ""),
                         meta=_meta_echo(posted), honeypot=HONEYPOT)
    submissions.receive(form, raw, meta, verdict)
    return _thanks(form)


def _signals(form: CaptureForm, check: tokens.TokenCheck) -> spam.Signals:
    return spam.Signals(honeypot=request.form.get(HONEYPOT, ""), token=check,
                        received_at=utcnow(), min_fill_seconds=form.min_fill_seconds,
                        rate_limited=_soft_limited(form),
                        blocked_domains=spam.parse_domains(form.blocked_email_domains))


def _meta_echo(posted: Any) -> dict[str, str]:
    return {"host": posted.get("host", "")[:1000], "origin": _origin(posted.get("origin", "")),
            "ft": posted.get("ft", "")[:4000], "lt": posted.get("lt", "")[:4000]}


def _received(form: CaptureForm, check: tokens.TokenCheck) -> submissions.Received:
    posted = request.form
    return submissions.Received(
        ip=get_remote_address() or "", user_agent=request.user_agent.string or "",
        referrer=request.referrer or "", host_page=submissions.host_page(posted.get("host", "")),
        first_touch=submissions.touch(posted.get("ft")),
        last_touch=submissions.touch(posted.get("lt")), client_key=check.client_key)


def _thanks(form: CaptureForm) -> Response:
    """The same answer for leads and spam (don't teach bots which check caught them)."""
    if form.redirect_url and request.headers.get("Sec-Fetch-Dest") != "iframe":
        return redirect(form.redirect_url, 303)
    return _page("capture/public/thanks.html", form, origin=_origin(request.form.get("origin", "")))

