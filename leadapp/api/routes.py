"""The JSON API: the seed CRM's lead_sources endpoints, token auth, and the OpenAPI document."""

from __future__ import annotations

from math import ceil
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import func, select

from ..auth.models import User
from ..auth.permissions import can
from ..auth.services import hash_token, token_user
from ..errors import DomainError
from ..extensions import csrf, db, limiter
from ..leads.attachments import max_bytes as attachment_max_bytes
from ..sources import services
from ..sources.models import LeadSource
from ..sources.services import clean_text
from . import openapi
from .idempotency import idempotent
from .ratelimit import limit_blueprint
from .request import parse_bool, parse_id, presented_token, read_body
from .responses import api_abort, fail, json_response, ok, validation_failed
from .serializers import lead_source_to_dict

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)
limit_blueprint(bp)

DEFAULT_MAX_BODY = 64 * 1024
PUBLIC_ENDPOINTS = {"api.openapi_document"}
UPLOAD_ENDPOINTS = {"api.create_lead", "api.upload_attachment"}
LIST_SORTS = {"name": (func.lower(LeadSource.name), False),
              "-name": (func.lower(LeadSource.name), True),
              "created_at": (LeadSource.created_at, False),
              "-created_at": (LeadSource.created_at, True)}
NOT_FOUND = "No data were found: there is no lead source with that id."


@bp.before_request
def _authenticate() -> None:
    """Refuse big bodies, then require a valid token (except for the OpenAPI document)."""
    limit = current_app.config.get("API_MAX_CONTENT_LENGTH", DEFAULT_MAX_BODY)
    if request.endpoint in UPLOAD_ENDPOINTS and request.mimetype == "multipart/form-data":
        # Lead attachments may be as large as on the lead page, plus room for the other fields.
        limit = max(limit, attachment_max_bytes() + DEFAULT_MAX_BODY)
    request.max_content_length = limit
    if request.content_length and request.content_length > limit:
        api_abort(413, f"The body is too large; the API accepts at most {limit // 1024} KB.")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    plain = presented_token()
    if not plain:
        api_abort(401, "Send your API token in the authtoken header.")
    user = token_user(plain)
    if user is None:
        api_abort(401, "The API token is invalid, revoked or expired.")
    g.api_user, g.api_token_hash = user, hash_token(plain)


def _require(action: str) -> None:
    user: User = g.api_user
    if not can(user, action):
        api_abort(403, f"The token's user ({user.role.value}) may not do this.")


def _load(raw_id: str) -> LeadSource:
    source_id = parse_id(raw_id)
    source = services.get_source(source_id) if source_id else None
    if source is None:
        api_abort(404, NOT_FOUND)
    return source  # type: ignore[return-value]


def _source_fields(data: dict[str, Any], creating: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed fields from a JSON or form body, and one message per bad field."""
    fields: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in ("name", "description"):
        if key in data and data[key] is not None:
            if not isinstance(data[key], str):
                errors[key] = f"{key} must be a string."
            else:
                fields[key] = data[key]
    if creating and not str(fields.get("name") or "").strip() and "name" not in errors:
        errors["name"] = "name is required."
    elif "name" in fields and not fields["name"].strip():
        errors["name"] = "name cannot be empty."
    if "active" in data:
        active = parse_bool(data["active"])
        if active is None:
            errors["active"] = "active must be true or false (or 1 or 0)."
        fields["active"] = active
    return fields, errors


def _domain_error(error: DomainError) -> Response:
    if error.status == 422:
        return validation_failed({error.field or "name": error.message})
    return fail(error.status, error.message)


def _counts(sources: list[LeadSource]) -> dict[int, int]:
    return services.leads_count_map([source.id for source in sources], g.api_user)


def _list_args() -> tuple[Any, dict[str, str]]:
    errors: dict[str, str] = {}
    query = select(LeadSource)
    search = clean_text(request.args.get("search"))
    if search:
        query = query.where(LeadSource.name.ilike(f"%{search}%"))
    if "active" in request.args:
        active = parse_bool(request.args["active"])
        if active is None:
            errors["active"] = "active must be true or false (or 1 or 0)."
        else:
            query = query.where(LeadSource.active.is_(active))
    sort = request.args.get("sort", "name")
    if sort not in LIST_SORTS:
        errors["sort"] = "sort must be one of: " + ", ".join(LIST_SORTS) + "."
        sort = "name"
    column, desc = LIST_SORTS[sort]
    return query.order_by(column.desc() if desc else column.asc(), LeadSource.id), errors


def _page_args(errors: dict[str, str]) -> tuple[int, int]:
    values = {}
    for key, default, upper in (("page", 1, None), ("per_page", 25, 100)):
        raw = request.args.get(key, str(default)).strip()
        number = int(raw) if raw.isdecimal() and len(raw) < 10 else 0
        if number < 1 or (upper and number > upper):
            errors[key] = (f"{key} must be a whole number from 1 to {upper}." if upper
                           else f"{key} must be a whole number from 1.")
        values[key] = number or default
    return values["page"], values["per_page"]


@bp.get("/lead_sources")
def list_lead_sources() -> Response:
    """All sources by name; with page/per_page the body becomes {"data", "meta"}."""
    _require("sources.view")
    query, errors = _list_args()
    paged = "page" in request.args or "per_page" in request.args
    page, per_page = _page_args(errors) if paged else (1, 0)
    if errors:
        return validation_failed(errors)
    if not paged:
        sources = list(db.session.scalars(query))
        counts = _counts(sources)
        return json_response([lead_source_to_dict(s, counts.get(s.id, 0)) for s in sources])
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    sources = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    counts = _counts(sources)
    pages = max(1, ceil((total or 0) / per_page))
    meta = {"page": page, "per_page": per_page, "total": total or 0, "total_pages": pages,
            "has_more": page < pages}
    return json_response({"data": [lead_source_to_dict(s, counts.get(s.id, 0)) for s in sources],
                          "meta": meta})


@bp.get("/lead_sources/search/<path:keysearch>")
def search_lead_sources(keysearch: str) -> Response:
    """Sources whose name or description contains the key (the module's search endpoint)."""
    _require("sources.view")
    pattern = f"%{clean_text(keysearch)}%"
    sources = list(db.session.scalars(
        select(LeadSource).where(LeadSource.name.ilike(pattern)
                                 | LeadSource.description.ilike(pattern))
        .order_by(func.lower(LeadSource.name), LeadSource.id)))
    counts = _counts(sources)
    return json_response([lead_source_to_dict(s, counts.get(s.id, 0)) for s in sources])


@bp.get("/lead_sources/<source_id>")
def get_lead_source(source_id: str) -> Response:
    _require("sources.view")
    source = _load(source_id)
    return json_response(lead_source_to_dict(source, _counts([source]).get(source.id, 0)))


@bp.post("/lead_sources")
@idempotent
def create_lead_source() -> Response:
    _require("sources.manage")
    fields, errors = _source_fields(read_body(), creating=True)
    if errors:
        return validation_failed(errors)
    try:
        source = services.create_source(**fields, actor=g.api_user)
    except DomainError as error:
        return _domain_error(error)
    return ok("Lead source added successfully.", 201, id=source.id)


@bp.put("/lead_sources/<source_id>")
def update_lead_source(source_id: str) -> Response:
    _require("sources.manage")
    source = _load(source_id)
    fields, errors = _source_fields(read_body(), creating=False)
    if errors:
        return validation_failed(errors)
    try:
        services.update_source(source, g.api_user, **fields)
    except DomainError as error:
        return _domain_error(error)
    return ok("Lead source updated successfully.")


@bp.delete("/delete/lead_sources/<source_id>")
def delete_lead_source(source_id: str) -> Response:
    _require("sources.manage")
    source = _load(source_id)
    try:
        services.delete_source(source, g.api_user)
    except DomainError as error:
        return _domain_error(error)
    return ok("Lead source deleted successfully.")


@bp.get("/openapi.json")
@limiter.exempt
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    return json_response(openapi.document())


# The leads endpoints (issue 12) live in their own modules and register on bp when imported.
from . import lead_related, leads  # noqa: E402, F401
