"""OpenAPI for the leads endpoints (issue 12): schemas with examples, then one function per group
of paths. Registered in openapi.RESOURCES; custom fields (issue 11) extend `lead_schemas`."""

from __future__ import annotations

from typing import Any

from ..custom_fields import api as custom_fields_api
from .lead_query import MAX_LIMIT, SORT_CHOICES
from .openapi import Doc, json_content, rate_limit_headers, ref

TAG = "Leads"
ERROR_TEXT = {
    400: "Malformed body (broken JSON, JSON that is not an object, or JSON nested more than "
         "20 levels deep).",
    401: "Missing, invalid, revoked or expired token.",
    403: "The token's user may not do this (the role's permissions, as on the pages).",
    404: "No such lead, or the token's user may not see it (also for non-numeric ids).",
    405: "Method not allowed on this path.",
    409: "Conflict: a stale If-Match/version (the body has the current lead in `data`), a "
         "lead converted twice, or an Idempotency-Key still in flight.",
    413: "Body too large.",
    415: "Unsupported body type: send JSON or form data.",
    422: "Validation failed; `errors` names each bad field with the lead form's message "
         "(NUL characters are refused too; query parameters are named `query.<name>`).",
    429: "Rate limit exceeded for this token; see Retry-After.",
}

STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NULL_STRING = {"type": ["string", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
DATETIME = {"type": ["string", "null"], "format": "date-time"}
DECIMAL = {"type": ["string", "null"], "pattern": r"^\d+\.\d{2}$",
           "description": "A decimal as a string (no rounding), e.g. \"1500.00\"."}
NAMED_REF = {"type": ["object", "null"], "required": ["id", "name"],
             "properties": {"id": INTEGER, "name": STRING}}
USER_REF = {"type": ["object", "null"], "required": ["id", "name", "email"],
            "properties": {"id": INTEGER, "name": STRING, "email": STRING}}
TEXT_FIELDS = ("title", "description", "channel", "selling_direction", "product", "currency",
               "company_name", "first_name", "middle_name", "last_name", "email", "phone",
               "mobile", "position", "website", "address", "street", "city", "state",
               "postcode", "country", "closing_comment", "ref", "ref_id")

LEAD_EXAMPLE = {
    "id": 42, "title": "Solar roof for the depot", "description": "", "channel": "",
    "selling_direction": "", "product": "", "currency": "EUR", "company_name": "",
    "first_name": "Mara", "middle_name": "", "last_name": "Keller",
    "email": "mara@depot.example", "phone": "", "mobile": "", "position": "", "website": "",
    "address": "", "street": "", "city": "Leipzig", "state": "", "postcode": "", "country": "",
    "closing_comment": "", "ref": "", "ref_id": "", "budget": "25000.00",
    "start_date": None, "deadline": "2026-06-30", "closing_date": None,
    "created_at": "2026-11-25T09:12:03+00:00", "updated_at": "2026-11-25T09:12:03+00:00",
    "converted_at": None, "deleted_at": None, "version": 3,
    "source": {"id": 1, "name": "Website form"}, "campaign": None,
    "company": {"id": 7, "name": "Depot Energy GmbH"},
    "owner": {"id": 2, "name": "Sam Sales", "email": "sam@example.com"}, "team": None,
    "pipeline": {"id": 1, "name": "Sales"},
    "stage": {"id": 3, "name": "In process", "kind": "open", "position": 2},
    "status": "In process", "active": 1, "board_position": 1024.0, "loss_reason": None,
    "tags": ["Depot", "solar"], "created_by": {"id": 2, "name": "Sam Sales",
                                                "email": "sam@example.com"},
    "converted": False, "deleted": False, "custom_fields": {},
}
LEAD_FULL_EXAMPLE = {
    **LEAD_EXAMPLE,
    "contacts": [{"id": 9, "first_name": "Mara", "middle_name": "", "last_name": "Keller",
                  "name": "Mara Keller", "email": "mara@depot.example", "phone": "",
                  "mobile": "", "position": "", "company": {"id": 7, "name": "Depot Energy GmbH"},
                  "is_primary": True}],
    "conversion": None, "comments_count": 2, "attachments_count": 0,
}
SAM = {"id": 2, "name": "Sam Sales", "email": "sam@example.com"}
CONTACTS_EXAMPLE = {"data": LEAD_FULL_EXAMPLE["contacts"]}
COMMENT_EXAMPLE = {"id": 5, "lead_id": 42, "body": "Called: wants a quote by Friday.",
                   "author": SAM, "created_at": "2026-11-25T10:02:44+00:00",
                   "updated_at": "2026-11-25T10:02:44+00:00"}
ATTACHMENT_EXAMPLE = {"id": 8, "lead_id": 42, "filename": "roof-plan.pdf",
                      "content_type": "application/pdf", "size": 248311, "uploaded_by": SAM,
                      "created_at": "2026-11-25T10:05:10+00:00"}
ACTIVITY_EXAMPLE = {"data": [
    {"id": 31, "kind": "field_changed", "field": "city", "old_value": "Halle",
     "new_value": "Leipzig", "data": None, "actor": SAM,
     "created_at": "2026-11-25T10:07:00+00:00"},
    {"id": 30, "kind": "created", "field": "", "old_value": "", "new_value": "",
     "data": None, "actor": SAM, "created_at": "2026-11-25T09:12:03+00:00"}],
    "meta": {"page": 1, "per_page": 20, "has_more": False}}
FIELDS_EXAMPLE = {"data": [
    {"name": "title", "label": "Title", "type": "string", "required": True, "max_length": 255,
     "choices": None, "writable": ["POST", "PUT", "PATCH"]},
    {"name": "source_id", "label": "Lead source", "type": "id", "required": True,
     "max_length": None, "choices": [{"id": 1, "name": "Website form"}],
     "writable": ["POST", "PUT", "PATCH"]}]}
PIPELINES_EXAMPLE = {"data": [{"id": 1, "name": "Sales", "is_default": True, "stages": [
    {"id": 1, "name": "New", "kind": "open", "position": 0, "probability": 10},
    {"id": 3, "name": "In process", "kind": "open", "position": 2, "probability": 50},
    {"id": 4, "name": "Won", "kind": "won", "position": 3, "probability": 100},
    {"id": 5, "name": "Closed", "kind": "lost", "position": 4, "probability": 0}]}]}
LOSS_REASONS_EXAMPLE = {"data": [{"id": 1, "name": "No budget", "active": True},
                                 {"id": 2, "name": "Chose a competitor", "active": True}]}
USERS_EXAMPLE = {"data": [{**SAM, "role": "sales"},
                          {"id": 1, "name": "Ada Admin", "email": "ada@example.com",
                           "role": "admin"}]}


CONVERTED_EXAMPLE = {
    "status": True, "message": "Lead converted: company “Pump Works” created, contact Mara "
                               "Keller linked, opportunity “Pump install” created.",
    "created": {"company": {"id": 11, "name": "Pump Works", "created": True},
                "contact": {"id": 9, "name": "Mara Keller", "created": False},
                "opportunity": {"id": 4, "name": "Pump install"}},
    "data": {**LEAD_FULL_EXAMPLE, "converted": True, "active": 3,
             "converted_at": "2026-11-26T08:00:00+00:00",
             "stage": {"id": 4, "name": "Won", "kind": "won", "position": 3}, "status": "Won",
             "conversion": {"converted_at": "2026-11-26T08:00:00+00:00",
                            "company": {"id": 11, "name": "Pump Works"},
                            "contact": {"id": 9, "name": "Mara Keller"},
                            "opportunity": {"id": 4, "name": "Pump install"}}}}


def done(message: str) -> dict[str, Any]:
    """The envelope of a delete: `{"status": true, "message": ...}`."""
    return success(message.rstrip(".") + ".", ref("Success"), {"status": True,
                                                               "message": message})


def errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": ERROR_TEXT[code], "content": json_content(
        ref("ValidationError" if code == 422 else "LeadConflict" if code == 409 else "Error"))}
        for code in codes}


def success(description: str, schema: dict[str, Any], example: Any = None,
            **headers: dict[str, Any]) -> dict[str, Any]:
    content = json_content(schema)
    if example is not None:
        content["application/json"]["example"] = example
    return {"description": description, "headers": {**rate_limit_headers(), **headers},
            "content": content}


def envelope(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["status", "data"],
            "properties": {"status": {"const": True}, "data": schema}}


def data_list(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["data"],
            "properties": {"data": {"type": "array", "items": schema}}}


ETAG = {"ETag": {"schema": STRING, "description": "The lead's version, for If-Match."}}


def _lead_properties() -> dict[str, Any]:
    props: dict[str, Any] = {"id": INTEGER, **dict.fromkeys(TEXT_FIELDS, STRING)}
    props.update(budget=DECIMAL, start_date=DATE, deadline=DATE, closing_date=DATE,
                 created_at=DATETIME, updated_at=DATETIME, converted_at=DATETIME,
                 deleted_at=DATETIME, version=INTEGER, source=NAMED_REF, campaign=NAMED_REF,
                 company=NAMED_REF, owner=USER_REF, team=NAMED_REF, pipeline=NAMED_REF,
                 stage={"type": "object", "required": ["id", "name", "kind", "position"],
                        "properties": {"id": INTEGER, "name": STRING,
                                       "kind": {"enum": ["open", "won", "lost"]},
                                       "position": INTEGER}},
                 status={"type": "string", "description": "The stage name (the seed API's)."},
                 active={"enum": [1, 2, 3], "description": "1 in progress, 2 lost, 3 won."},
                 board_position={"type": "number"}, loss_reason=NAMED_REF,
                 tags={"type": "array", "items": STRING}, created_by=USER_REF,
                 converted=BOOLEAN, deleted=BOOLEAN)
    return props


def lead_schemas(doc: Doc) -> None:
    """LeadSummary (lists), Lead (one lead, webhooks), and what hangs off a lead."""
    schemas = doc["components"]["schemas"]
    summary_props = _lead_properties()
    schemas["LeadSummary"] = {"type": "object", "required": sorted(summary_props),
                              "properties": summary_props, "examples": [LEAD_EXAMPLE]}
    schemas["LeadContact"] = {
        "type": "object", "required": ["id", "name", "is_primary"],
        "properties": {"id": INTEGER, "first_name": STRING, "middle_name": STRING,
                       "last_name": STRING, "name": STRING, "email": STRING, "phone": STRING,
                       "mobile": STRING, "position": STRING, "company": NAMED_REF,
                       "is_primary": BOOLEAN}}
    full = {**summary_props, "contacts": {"type": "array", "items": ref("LeadContact")},
            "conversion": {"type": ["object", "null"], "properties": {
                "converted_at": DATETIME, "company": NAMED_REF, "contact": NAMED_REF,
                "opportunity": NAMED_REF}},
            "comments_count": INTEGER, "attachments_count": INTEGER}
    schemas["Lead"] = {"type": "object", "required": sorted(full), "properties": full,
                       "examples": [LEAD_FULL_EXAMPLE]}
    schemas["LeadConflict"] = {
        "type": "object", "required": ["status", "message"],
        "properties": {"status": {"const": False}, "error": STRING, "message": STRING,
                       "data": ref("Lead")}}
    schemas["LeadComment"] = {"type": "object", "required": ["id", "body", "author"],
                              "properties": {"id": INTEGER, "lead_id": INTEGER, "body": STRING,
                                             "author": USER_REF, "created_at": DATETIME,
                                             "updated_at": DATETIME}}
    schemas["LeadAttachment"] = {"type": "object", "required": ["id", "filename", "size"],
                                 "properties": {"id": INTEGER, "lead_id": INTEGER,
                                                "filename": STRING, "content_type": STRING,
                                                "size": INTEGER, "uploaded_by": USER_REF,
                                                "created_at": DATETIME}}
    schemas["LeadActivity"] = {"type": "object", "required": ["id", "kind"], "properties": {
        "id": INTEGER, "kind": STRING, "field": STRING, "old_value": STRING,
        "new_value": STRING, "data": {"type": ["object", "null"]}, "actor": USER_REF,
        "created_at": DATETIME}}
    schemas["LeadInput"] = _input_schema()
    schemas["LeadPatch"] = _patch_schema()
    # Custom fields follow the admins' definitions, so the document is built per request.
    schemas["CustomFields"] = custom_fields_api.openapi_schema()
    for name in ("LeadSummary", "Lead", "LeadInput", "LeadPatch"):
        schemas[name]["properties"]["custom_fields"] = ref("CustomFields")
    for name in ("LeadSummary", "Lead"):  # responses always carry it (nulls for empty values)
        schemas[name]["required"] = sorted({*schemas[name]["required"], "custom_fields"})


RELATION = {"type": ["integer", "string", "object", "null"],
            "description": "An id, a name, or the {\"id\": ...} object of a GET."}


def _input_schema() -> dict[str, Any]:
    props: dict[str, Any] = {
        "title": {**STRING, "maxLength": 255}, "source": RELATION, "campaign": RELATION,
        "company": RELATION, "owner": {**RELATION, "description": "A user id, `me` or null."},
        "team": RELATION, "pipeline": RELATION, "stage": RELATION,
        "description": STRING, "company_name": STRING, "selling_direction": STRING,
        "product": STRING, "city": STRING, "channel": STRING,
        "budget": {"type": ["string", "number", "null"]}, "currency": STRING,
        "start_date": DATE, "deadline": DATE,
        "tags": {"type": ["array", "string"], "items": STRING,
                 "description": "Names (created if new), or a comma-separated string."},
        "contacts": {"type": "array", "items": {"type": ["integer", "object"]},
                     "description": "Existing contact ids; the first is primary."},
        "new_company": BOOLEAN, "new_company_name": STRING, "company_website": STRING,
        "company_tin": STRING, "new_contact": BOOLEAN, "first_name": STRING,
        "last_name": STRING, "middle_name": STRING, "phone": STRING, "email": STRING,
        "auto_convert": BOOLEAN, "version": INTEGER}
    return {"type": "object", "required": ["title", "source"], "properties": props,
            "description": "The lead form: a company (`company` id, or `new_company_name` + "
                           "`company_website`) and a contact (`contacts`, or `first_name` + "
                           "`last_name` of a new one) are required, as on the page. Read-only "
                           "fields of a GET are ignored; unknown fields are refused.",
            "examples": [{"title": "Solar roof for the depot", "source": "Website form",
                          "budget": "25000", "currency": "EUR", "tags": ["solar"],
                          "new_company_name": "Depot Energy GmbH",
                          "company_website": "depot-energy.example", "first_name": "Mara",
                          "last_name": "Keller", "email": "mara@depot.example"}]}


def _patch_schema() -> dict[str, Any]:
    from ..leads.services import EDITABLE

    props = {name: {"description": spec.label} for name, spec in EDITABLE.items()}
    props.update(source=RELATION, campaign=RELATION, owner=RELATION, team=RELATION,
                 contacts={"type": "array", "items": {"type": ["integer", "object"]}},
                 version=INTEGER)
    return {"type": "object", "properties": props,
            "description": "Only the fields sent change, each checked like its click-to-edit "
                           "field on the lead page; all in one commit or none.",
            "examples": [{"city": "Köln", "tags": ["urgent"], "version": 3}]}


def _id(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": INTEGER,
            "description": f"The {what}'s id."}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema or STRING, "description": description}


LIST_PARAMS = [
    _query("search", "Words in the title, names, email, phone or company (2+ characters)."),
    _query("name", "Words in the first or last name."),
    _query("title", "Substring of the title, ignoring case."),
    _query("source", "Source id or name."), _query("campaign", "Campaign id or name."),
    _query("status", "open, won, lost, or a stage name/id (the seed API's statuses)."),
    _query("stage", "Stage id or name (any pipeline)."),
    _query("pipeline", "Pipeline id or name."),
    _query("owner", "User id, `me` or `none`."), _query("assigned_to", "Same as owner."),
    _query("team", "Team id or name."),
    _query("tags", "Comma-separated tag names; all must be on the lead."),
    _query("city", "Substring of the city."), _query("email", "Substring of the email."),
    _query("created_after", "Created at or after (date or date-time, UTC if no offset).",
           {"type": "string", "format": "date-time"}),
    _query("created_before", "Created before (date or date-time).",
           {"type": "string", "format": "date-time"}),
    _query("updated_after", "Changed at or after: for sync clients (date or date-time).",
           {"type": "string", "format": "date-time"}),
    _query("converted", "false (default) hides converted leads, true includes them, only "
                        "returns only them.", {"enum": ["false", "true", "only"]}),
    _query("deleted", "true lists the trash (managers and admins).", BOOLEAN),
    _query("limit", f"Page size, at most {MAX_LIMIT}.",
           {"type": "integer", "minimum": 1, "default": 25}),
    _query("offset", "Leads to skip.", {"type": "integer", "minimum": 0}),
    _query("page", "Page number (with per_page), instead of offset.",
           {"type": "integer", "minimum": 1}),
    _query("per_page", f"Same as limit, at most {MAX_LIMIT}.",
           {"type": "integer", "minimum": 1}),
    _query("sort", "A field; a leading - sorts descending.",
           {"enum": SORT_CHOICES, "default": "-created_at"}),
]
LIST_META = {"type": "object", "required": ["total", "limit", "offset", "open_leads_count",
                                            "closed_leads_count"],
             "properties": dict.fromkeys(
                 ("total", "limit", "offset", "page", "per_page", "open_leads_count",
                  "closed_leads_count", "converted_leads_count"), INTEGER)}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string",
                                                                     "maxLength": 255},
               "description": "Replays the first response for the same key and token (24 h)."}
IF_MATCH = {"name": "If-Match", "in": "header", "schema": STRING,
            "description": "The ETag of your last GET: a stale one is refused with 409."}


def _body(schema: dict[str, Any], multipart: bool = False,
          example: Any = None) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if example is not None:
        content["application/json"]["example"] = example
    if multipart:
        content["multipart/form-data"] = {"schema": {
            "allOf": [schema, {"type": "object", "properties": {"attachments": {
                "type": "array", "items": {"type": "string", "format": "binary"}}}}]}}
    return {"required": True, "content": content}


def _op(op_id: str, summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"operationId": op_id, "summary": summary, "tags": [TAG], "responses": responses,
            **extra}


def lead_paths(doc: Doc) -> None:
    """The lead itself: list, create, read, update, trash/restore, move, convert."""
    lead_ok = envelope(ref("Lead"))
    one = {"status": True, "data": LEAD_FULL_EXAMPLE}
    paths = doc["paths"]
    paths["/leads"] = {
        "get": _op("listLeads", "List leads (the list page's filters)", {
            "200": success("A page of leads.", {"type": "object", "required": ["data", "meta"],
                                                "properties": {"data": {
                                                    "type": "array",
                                                    "items": ref("LeadSummary")},
                                                    "meta": LIST_META}},
                           {"data": [LEAD_EXAMPLE], "meta": {
                               "total": 1, "limit": 25, "offset": 0, "page": 1, "per_page": 25,
                               "open_leads_count": 1, "closed_leads_count": 0,
                               "converted_leads_count": 0}}),
            **errors(401, 403, 422, 429)}, parameters=LIST_PARAMS),
        "post": _op("createLead", "Create a lead (the lead form)", {
            "201": success("Created; Location names the new lead.", lead_ok,
                           {"status": True, "data": LEAD_FULL_EXAMPLE}, **ETAG,
                           Location={"schema": STRING}),
            **errors(400, 401, 403, 409, 413, 415, 422, 429)},
            parameters=[IDEMPOTENCY], requestBody=_body(ref("LeadInput"), multipart=True)),
    }
    paths["/leads/{id}"] = {
        "parameters": [_id("id", "lead")],
        "get": _op("getLead", "One lead with contacts, tags, conversion and counts", {
            "200": success("The lead.", lead_ok, {"status": True, "data": LEAD_FULL_EXAMPLE},
                           **ETAG),
            "304": {"description": "Unchanged since the If-None-Match ETag."},
            **errors(401, 404, 429)},
            parameters=[_query("deleted", "true reads a lead in the trash.", BOOLEAN)]),
        "put": _op("replaceLead", "Update through the whole lead form", {
            "200": success("Updated.", lead_ok, one, **ETAG),
            **errors(400, 401, 403, 404, 409, 413, 415, 422, 429)},
            parameters=[IF_MATCH], requestBody=_body(ref("LeadInput"))),
        "patch": _op("updateLead", "Change some fields", {
            "200": success("Updated.", lead_ok, one, **ETAG),
            **errors(400, 401, 403, 404, 409, 413, 415, 422, 429)},
            parameters=[IF_MATCH], requestBody=_body(ref("LeadPatch"))),
        "delete": _op("deleteLead", "Move to the trash", {
            "200": done("Lead moved to the trash."), **errors(401, 403, 404, 429)}),
    }
    paths["/leads/{id}/restore"] = {"parameters": [_id("id", "lead")], "post": _op(
        "restoreLead", "Bring a lead back from the trash", {
            "200": success("Restored.", lead_ok, one), **errors(401, 403, 404, 429)})}
    move = {"type": "object", "required": ["stage"], "properties": {
        "stage": RELATION, "position": {"type": "integer", "minimum": 0},
        "loss_reason": {**RELATION, "description": "Required for a lost stage."},
        "closing_comment": STRING, "version": INTEGER},
        "examples": [{"stage": "Closed", "loss_reason": "No budget"}]}
    paths["/leads/{id}/move"] = {"parameters": [_id("id", "lead")], "post": _op(
        "moveLead", "Move to a stage (the board's rules)", {
            "200": success("Moved.", lead_ok, one),
            **errors(400, 401, 403, 404, 409, 422, 429)},
        parameters=[IF_MATCH], requestBody=_body(move))}
    record = {"type": "object", "additionalProperties": STRING}
    convert = {"type": "object", "properties": {
        "company_id": INTEGER, "company": record, "contact_id": INTEGER, "contact": record,
        "opportunity_name": STRING, "amount": {"type": ["string", "number"]},
        "owner": RELATION, "expected_close": DATE, "version": INTEGER},
        "description": "Empty: the lead's company and primary contact, else new ones from its "
                       "fields (the Convert form's proposal).",
        "examples": [{"contact_id": 9, "company": {"name": "Pump Works"}, "amount": "9000"}]}
    created = {"type": "object",
               "properties": dict.fromkeys(("company", "contact", "opportunity"), NAMED_REF)}
    paths["/leads/{id}/convert"] = {"parameters": [_id("id", "lead")], "post": _op(
        "convertLead", "Convert (company, contact, opportunity in one transaction)", {
            "200": success("Converted; `created` names what was created or linked.", {
                "type": "object", "required": ["status", "created", "data"],
                "properties": {"status": {"const": True}, "message": STRING,
                               "created": created, "data": ref("Lead")}}, CONVERTED_EXAMPLE),
            **errors(400, 401, 403, 404, 409, 422, 429)},
        parameters=[IDEMPOTENCY, IF_MATCH], requestBody=_body(convert))}


def lead_child_paths(doc: Doc) -> None:
    """Contacts, comments, attachments, activity of a lead."""
    paths, lead = doc["paths"], _id("id", "lead")
    contacts = success("The lead's contacts.", data_list(ref("LeadContact")), CONTACTS_EXAMPLE)
    paths["/leads/{id}/contacts"] = {"parameters": [lead], "get": _op(
        "listLeadContacts", "The lead's contacts", {"200": contacts, **errors(401, 404, 429)}),
        "put": _op("setLeadContacts", "Set the list (the first is primary)", {
            "200": contacts, **errors(400, 401, 403, 404, 422, 429)},
            requestBody=_body({"type": "object", "required": ["contacts"], "properties": {
                "contacts": {"type": "array", "items": INTEGER}}}, example={"contacts": [9, 12]}))}
    paths["/leads/{id}/contacts/{contact_id}"] = {
        "parameters": [lead, _id("contact_id", "contact")],
        "post": _op("bindLeadContact", "Link a contact; {\"primary\": true} makes it primary",
                    {"200": contacts, **errors(401, 403, 404, 422, 429)},
                    requestBody={**_body({"type": "object", "properties": {
                        "primary": BOOLEAN}}, example={"primary": True}), "required": False}),
        "delete": _op("unbindLeadContact", "Unlink a contact",
                      {"200": contacts, **errors(401, 403, 404, 422, 429)})}
    comment_body = _body({"type": "object", "required": ["body"], "properties": {
        "body": STRING}}, example={"body": COMMENT_EXAMPLE["body"]})
    one_comment = envelope(ref("LeadComment"))
    paths["/leads/{id}/comments"] = {"parameters": [lead], "get": _op(
        "listLeadComments", "Comments, newest first", {
            "200": success("Comments.", data_list(ref("LeadComment")),
                           {"data": [COMMENT_EXAMPLE]}),
            **errors(401, 404, 429)}),
        "post": _op("addLeadComment", "Add a comment", {
            "201": success("Added.", one_comment, {"status": True, "data": COMMENT_EXAMPLE}),
            **errors(400, 401, 403, 404, 422, 429)},
            requestBody=comment_body)}
    paths["/leads/{id}/comments/{comment_id}"] = {
        "parameters": [lead, _id("comment_id", "comment")],
        "put": _op("editLeadComment", "Edit (authors; managers and admins any)", {
            "200": success("Edited.", one_comment, {"status": True, "data": COMMENT_EXAMPLE}),
            **errors(400, 401, 403, 404, 422, 429)},
            requestBody=comment_body),
        "delete": _op("deleteLeadComment", "Delete", {
            "200": done("Comment deleted."), **errors(401, 403, 404, 429)})}
    paths["/leads/{id}/attachments"] = {"parameters": [lead], "get": _op(
        "listLeadAttachments", "Attachments", {
            "200": success("Attachments.", data_list(ref("LeadAttachment")),
                           {"data": [ATTACHMENT_EXAMPLE]}),
            **errors(401, 404, 429)}),
        "post": _op("uploadLeadAttachment", "Upload a file (multipart, field `file`)", {
            "201": success("Stored.", envelope(ref("LeadAttachment")),
                           {"status": True, "data": ATTACHMENT_EXAMPLE}),
            **errors(401, 403, 404, 413, 422, 429)},
            requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {"file": {
                    "type": "string", "format": "binary"}}}}}})}
    paths["/leads/{id}/attachments/{attachment_id}"] = {
        "parameters": [lead, _id("attachment_id", "attachment")],
        "get": _op("downloadLeadAttachment", "Download the file", {
            "200": {"description": "The file itself.", "content": {
                "application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}},
            **errors(401, 404, 429)}),
        "delete": _op("deleteLeadAttachment", "Delete (uploader, managers, admins)", {
            "200": done("Attachment deleted."), **errors(401, 403, 404, 429)})}
    paths["/leads/{id}/activity"] = {"parameters": [lead], "get": _op(
        "leadActivity", "The timeline, newest first", {
            "200": success("One page.", {"type": "object", "required": ["data", "meta"],
                                         "properties": {"data": {"type": "array", "items": ref(
                                             "LeadActivity")}, "meta": {
                                             "type": "object", "properties": {
                                                 "page": INTEGER, "per_page": INTEGER,
                                                 "has_more": BOOLEAN}}}},
                           ACTIVITY_EXAMPLE),
            **errors(401, 404, 422, 429)},
        parameters=[_query("page", "From 1.", {"type": "integer", "minimum": 1}),
                    _query("per_page", "At most 100.", {"type": "integer", "minimum": 1})])}


def lookup_paths(doc: Doc) -> None:
    """What clients need to resolve ids: fields, pipelines, loss reasons, users."""
    field = {"type": "object", "required": ["name", "label", "type", "required"],
             "properties": {"name": STRING, "label": STRING, "type": STRING,
                            "required": BOOLEAN, "max_length": {"type": ["integer", "null"]},
                            "choices": {"type": ["array", "null"], "items": {
                                "type": "object", "properties": {
                                    "id": {"type": ["integer", "string"]}, "name": STRING}}},
                            "writable": {"type": "array", "items": STRING}}}
    stage = {"type": "object", "properties": {"id": INTEGER, "name": STRING, "kind": STRING,
                                              "position": INTEGER, "probability": INTEGER}}
    pipeline = {"type": "object", "properties": {"id": INTEGER, "name": STRING,
                                                 "is_default": BOOLEAN,
                                                 "stages": {"type": "array", "items": stage}}}
    reason = {"type": "object", "properties": {"id": INTEGER, "name": STRING,
                                               "active": BOOLEAN}}
    user = {"type": "object", "properties": {"id": INTEGER, "name": STRING, "email": STRING,
                                             "role": STRING}}
    for path, op_id, summary, schema, example in (
            ("/leads/fields", "leadFields", "Every lead field (type, required, choices)", field,
             FIELDS_EXAMPLE),
            ("/pipelines", "listPipelines", "Pipelines with their stages", pipeline,
             PIPELINES_EXAMPLE),
            ("/loss_reasons", "listLossReasons", "Loss reasons", reason, LOSS_REASONS_EXAMPLE),
            ("/users", "listUsers", "Active users (id, name, role)", user, USERS_EXAMPLE)):
        doc["paths"][path] = {"get": _op(op_id, summary, {
            "200": success(summary + ".", data_list(schema), example), **errors(401, 429)})}


def leads(doc: Doc) -> None:
    """Everything of issue 12."""
    lead_schemas(doc)
    lead_paths(doc)
    lead_child_paths(doc)
    lookup_paths(doc)
