"""The OpenAPI 3.1 document, built as a dict: one function per resource adds its paths.

To describe another resource, write `def leads(doc) -> None` that fills `doc["paths"]` and
`doc["components"]["schemas"]`, and append it to RESOURCES.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Doc = dict[str, Any]

ERROR_TEXT = {
    400: "Malformed body (broken JSON, or JSON that is not an object).",
    401: "Missing, invalid, revoked or expired token.",
    403: "The token's user may not do this.",
    404: "No lead source with that id (also for non-numeric ids).",
    405: "Method not allowed on this path.",
    409: "Conflict: duplicate name, a source still in use, or an Idempotency-Key in flight.",
    413: "Body too large.",
    415: "Unsupported body type: send JSON or form data.",
    422: "Validation failed; `errors` names each bad field.",
    429: "Rate limit exceeded for this token; see Retry-After.",
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def errors(*codes: int) -> dict[str, Any]:
    """Error responses for the given status codes (422 has its own schema)."""
    return {str(code): {"description": ERROR_TEXT[code], "content": json_content(
        ref("ValidationError" if code == 422 else "Error"))} for code in codes}


def rate_limit_headers() -> dict[str, Any]:
    integer = {"schema": {"type": "integer"}}
    return {"X-RateLimit-Limit": {**integer, "description": "Requests allowed per window."},
            "X-RateLimit-Remaining": {**integer, "description": "Requests left in the window."},
            "X-RateLimit-Reset": {**integer, "description": "When the window resets (epoch s)."}}


def success(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "headers": rate_limit_headers(),
            "content": json_content(schema)}


def base() -> Doc:
    return {
        "openapi": "3.1.0",
        "info": {"title": "leadapp API", "version": "1.0.0",
                 "description": "Lead management API. Every error is JSON "
                                "`{\"status\": false, \"message\": ...}`."},
        "servers": [{"url": "/api"}],
        "security": [{"authtoken": []}, {"authtokenQuery": []}],
        "paths": {},
        "components": {
            "securitySchemes": {
                "authtoken": {"type": "apiKey", "in": "header", "name": "authtoken"},
                "authtokenQuery": {"type": "apiKey", "in": "query", "name": "authtoken"},
            },
            "schemas": {
                "Error": {"type": "object", "required": ["status", "message"],
                          "properties": {"status": {"const": False},
                                         "message": {"type": "string"}}},
                "ValidationError": {
                    "type": "object", "required": ["status", "error", "message", "errors"],
                    "properties": {"status": {"const": False},
                                   "error": {"type": "string", "examples": ["validation_failed"]},
                                   "message": {"type": "string"},
                                   "errors": {"type": "object",
                                              "additionalProperties": {"type": "string"}}}},
                "Success": {"type": "object", "required": ["status", "message"],
                            "properties": {"status": {"const": True},
                                           "message": {"type": "string"}}},
                "Created": {"type": "object", "required": ["status", "message", "id"],
                            "properties": {"status": {"const": True},
                                           "message": {"type": "string"},
                                           "id": {"type": "integer"}}},
                "PageMeta": {"type": "object",
                             "required": ["page", "per_page", "total", "total_pages", "has_more"],
                             "properties": {"page": {"type": "integer", "minimum": 1},
                                            "per_page": {"type": "integer", "minimum": 1,
                                                         "maximum": 100},
                                            "total": {"type": "integer"},
                                            "total_pages": {"type": "integer"},
                                            "has_more": {"type": "boolean"}}},
            },
        },
    }


def _source_id_param() -> dict[str, Any]:
    return {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _source_body(required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": {
        "name": {"type": "string", "maxLength": 120,
                 "description": "Unique ignoring case and surrounding spaces."},
        "description": {"type": "string"},
        "active": {"type": ["boolean", "integer", "string"],
                   "description": "true/false, 1/0, yes/no."}}}
    return {"required": True, "content": {"application/json": {"schema": schema},
                                          "application/x-www-form-urlencoded": {"schema": schema},
                                          "multipart/form-data": {"schema": schema}}}


def lead_sources(doc: Doc) -> None:
    """The seed CRM's lead_sources endpoints."""
    doc["components"]["schemas"]["LeadSource"] = {
        "type": "object",
        "required": ["id", "name", "description", "active", "created_at", "updated_at",
                     "leads_count"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                       "description": {"type": "string"}, "active": {"type": "boolean"},
                       "created_at": {"type": "string", "format": "date-time"},
                       "updated_at": {"type": "string", "format": "date-time"},
                       "leads_count": {"type": "integer",
                                       "description": "Live leads the caller may see."}}}
    array = {"type": "array", "items": ref("LeadSource")}
    paged = {"type": "object", "required": ["data", "meta"],
             "properties": {"data": array, "meta": ref("PageMeta")}}
    query = [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1},
         "description": "With page or per_page the body becomes {data, meta}."},
        {"name": "per_page", "in": "query",
         "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}},
        {"name": "sort", "in": "query", "schema": {
            "enum": ["name", "-name", "created_at", "-created_at"], "default": "name"}},
        {"name": "search", "in": "query", "schema": {"type": "string"},
         "description": "Substring of the name, ignoring case."},
        {"name": "active", "in": "query", "schema": {"type": "boolean"}},
    ]
    idempotency = {"name": "Idempotency-Key", "in": "header", "schema": {
        "type": "string", "maxLength": 255},
        "description": "Replays the first response for the same key and token for 24 hours."}
    doc["paths"]["/lead_sources"] = {
        "get": {"operationId": "listLeadSources", "summary": "List all sources",
                "tags": ["Lead sources"], "parameters": query,
                "responses": {"200": success("Sources ordered by name.",
                                             {"oneOf": [array, paged]}),
                              **errors(401, 403, 422, 429)}},
        "post": {"operationId": "createLeadSource", "summary": "Add a new source",
                 "tags": ["Lead sources"], "parameters": [idempotency],
                 "requestBody": _source_body(["name"]),
                 "responses": {"201": success("Created.", ref("Created")),
                               **errors(400, 401, 403, 409, 413, 415, 422, 429)}},
    }
    doc["paths"]["/lead_sources/{id}"] = {
        "parameters": [_source_id_param()],
        "get": {"operationId": "getLeadSource", "summary": "Get one source",
                "tags": ["Lead sources"],
                "responses": {"200": success("The source.", ref("LeadSource")),
                              **errors(401, 403, 404, 429)}},
        "put": {"operationId": "updateLeadSource", "summary": "Update a source",
                "tags": ["Lead sources"], "requestBody": _source_body([]),
                "responses": {"200": success("Updated.", ref("Success")),
                              **errors(400, 401, 403, 404, 409, 413, 415, 422, 429)}},
    }
    doc["paths"]["/lead_sources/search/{keysearch}"] = {
        "get": {"operationId": "searchLeadSources", "summary": "Search sources",
                "tags": ["Lead sources"],
                "parameters": [{"name": "keysearch", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": success("Matching sources (name or description).", array),
                              **errors(401, 403, 429)}},
    }
    doc["paths"]["/delete/lead_sources/{id}"] = {
        "parameters": [_source_id_param()],
        "delete": {"operationId": "deleteLeadSource", "summary": "Delete a source",
                   "tags": ["Lead sources"],
                   "description": "Refused with 409 while leads, capture forms or spend use it.",
                   "responses": {"200": success("Deleted.", ref("Success")),
                                 **errors(401, 403, 404, 409, 429)}},
    }


RESOURCES: list[Callable[[Doc], None]] = [lead_sources]

from .openapi_leads import leads as _leads  # noqa: E402  (it builds on the helpers above)

RESOURCES.append(_leads)


def document() -> Doc:
    """The whole document: the base plus every registered resource."""
    doc = base()
    for add in RESOURCES:
        add(doc)
    return doc
