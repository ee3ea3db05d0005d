"""POST /api/leads/create-from-site/?apikey=<key>: the seed CRM's endpoint, keyed by a form.

The key is a capture form's API key; CORS answers only the form's allowed origins.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask_limiter.util import get_remote_address
from limits import parse

from ..extensions import csrf, db, limiter
from ..leads.models import Lead
from . import services, spam, submissions
from .models import CaptureForm, Submission, SubmissionStatus
from .validation import clean

bp = Blueprint("capture_api", __name__, url_prefix="/api/leads")
csrf.exempt(bp)

DEFAULT_RATE_LIMIT = "60 per minute"
MAX_BODY = 64 * 1024
ALLOWED_HEADERS = "Content-Type, Idempotency-Key, X-Api-Key"


def _rate_limit() -> str:
    return current_app.config.get("CAPTURE_API_RATE_LIMIT") or DEFAULT_RATE_LIMIT


def _json(body: dict[str, Any], status: int, **headers: str) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json", headers=headers)


def _request_form() -> CaptureForm | None:
    """The form the request's API key names, active or not: looked up once per request."""
    if "capture_form" not in g:
        g.capture_form = services.by_api_key(_key())
    return g.capture_form


@bp.after_request
def _cors(response: Response) -> Response:
    """Browsers may read an answer only on the form's own allowed origins. Every answer of
    this endpoint passes here, so those made outside the views (the rate limit's 429) carry
    the headers too and the site's script can read the status and its Retry-After."""
    response.vary.add("Origin")
    origin = (request.headers.get("Origin") or "").rstrip("/").lower()
    form = _request_form() if origin else None
    if form is None or origin not in services.form_origins(form):
        return response
    if request.method == "OPTIONS":
        if not form.active:  # a deactivated form's page may not even ask
            return response
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = "Idempotent-Replayed, Retry-After"
    return response


def _fail(status: int, message: str, **extra: Any) -> Response:
    return _json({"status": False, "message": message, **extra}, status)


def _key() -> str:
    return (request.args.get("apikey") or request.headers.get("X-Api-Key") or "").strip()


@bp.route("/create-from-site/", methods=["OPTIONS"], provide_automatic_options=False)
def preflight() -> Response:
    return Response(status=204)  # _cors adds what the form's origins may send


@bp.post("/create-from-site/")
@limiter.limit(_rate_limit, key_func=get_remote_address,
               error_message="Too many requests from this address. Retry after the time in the "
                             "Retry-After header.")
def create_from_site() -> Response:
    form = _request_form()
    if form is None or not form.active:
        reason = "is missing" if not _key() else "is invalid" if form is None else "belongs to " \
            "a deactivated form"
        return _fail(401, f"The API key {reason}. Pass the form's key as ?apikey=...")
    body = _body()
    if isinstance(body, Response):
        return body
    client_key = _idempotency_key()
    if client_key:
        seen = submissions.existing(form, client_key)
        if seen is not None:
            return _replay(form, seen, body)
    return _capture(form, body, client_key)


def _body() -> dict[str, Any] | Response:
    if request.content_length and request.content_length > MAX_BODY:
        return _fail(413, "The body is too large; send at most 64 KB.")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.to_dict()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _fail(400, "Send a JSON object, e.g. {\"first_name\": \"Ann\", \"email\": "
                          "\"ann@example.com\"}.")
    return data


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    return "idem:" + hashlib.sha256(key.encode()).hexdigest()[:59] if key else None


def _capture(form: CaptureForm, body: dict[str, Any], client_key: str | None) -> Response:
    signals = spam.Signals(rate_limited=_soft_limited(form),
                           blocked_domains=spam.parse_domains(form.blocked_email_domains))
    verdict = spam.score({key: str(value) for key, value in body.items()
                          if isinstance(value, str)}, signals)
    _values, errors = clean(form.fields, body, every_field=True)
    if errors and verdict.score < form.spam_threshold:
        return _fail(400, "Some fields are not valid: " + " ".join(errors.values()),
                     errors=errors)
    meta = submissions.Received(
        ip=get_remote_address() or "", user_agent=request.user_agent.string or "",
        referrer=request.referrer or "", via="api", client_key=client_key,
        host_page=submissions.host_page(str(body.get("host_page") or request.referrer or "")),
        first_touch=submissions.touch(body.get("first_touch")),
        last_touch=submissions.touch(body.get("last_touch")))
    outcome = submissions.receive(form, body, meta, verdict)
    return _answer(form, outcome.submission, replayed=outcome.replayed)


def _soft_limited(form: CaptureForm) -> bool:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return False
    rule = parse(current_app.config.get("CAPTURE_SOFT_LIMIT") or "5 per 10 minutes")
    return not limiter.limiter.hit(rule, "capture-api-soft", str(form.id), get_remote_address())


def _replay(form: CaptureForm, seen: Submission, body: dict[str, Any]) -> Response:
    if (seen.payload or {}).get("fields") != body:
        return _fail(422, "This Idempotency-Key was already used with a different body. Use a "
                          "new key for a new lead.", error="idempotency_key_reused")
    return _answer(form, seen, replayed=True)


def _answer(form: CaptureForm, row: Submission, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    if row.status == SubmissionStatus.quarantined:
        return _json({"status": True, "message": "Received and held for review (it looks like "
                      "spam).", "submission_id": row.id}, 202, **headers)
    if row.status == SubmissionStatus.failed or row.lead is None:
        return _json({"status": True, "message": "Received; the lead could not be created yet "
                      "and will be processed again.", "submission_id": row.id}, 202, **headers)
    body = {"status": True, "submission_id": row.id, "id": row.lead.id,
            "lead": lead_to_dict(row.lead)}
    if row.status == SubmissionStatus.duplicate:
        return _json({**body, "message": "Added to the lead created from the same email in the "
                      "last ten minutes."}, 200, **headers)
    if row.matched_lead_id:
        body.update(possible_duplicate_of=row.matched_lead_id, note=row.duplicate_note)
    return _json({**body, "message": "Lead created."}, 201, **headers)


def lead_to_dict(lead: Lead) -> dict[str, Any]:
    """The seed's lead shape (id, names, email, phone, account_name, source, title, ...)."""
    db.session.refresh(lead)
    return {
        "id": lead.id, "title": lead.title, "first_name": lead.first_name,
        "last_name": lead.last_name, "email": lead.email, "phone": lead.phone,
        "account_name": lead.company_name, "website": lead.website, "city": lead.city,
        "description": lead.description, "source": lead.source.name if lead.source else None,
        "campaign": lead.campaign.name if lead.campaign else None,
        "status": lead.stage.name.lower() if lead.stage else None,
        "assigned_to": [lead.owner.email] if lead.owner else [],
        "created_on": lead.created_at.isoformat() if lead.created_at else None,
        "ref": lead.ref, "ref_id": lead.ref_id,
        "first_touch": lead.first_touch, "last_touch": lead.last_touch,
    }
