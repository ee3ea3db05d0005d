"""One app-wide check of what every request sends, before any view reads it.

PostgreSQL refuses NUL characters (\\x00) in text, so a NUL in a query parameter, a form field
or a JSON string became a 500 deep inside whichever query or insert met it first. JSON nested
thousands of levels deep made the parser itself raise RecursionError. Both are handled here,
for every page and every API endpoint at once:

- deep JSON: 400, in each audience's error shape (errors.handle_http_error);
- NULs sent to the JSON API: 422 naming each field, so a script learns what it sent wrong;
- NULs sent to the HTML pages: removed from the query and the form before any view sees them.
  A browser cannot type one, so only scripts and fuzzers send them, and the pages already
  dropped them this way (sources.services.clean_text); a refusal page would also lose
  everything the user typed into the form, which a re-rendered form keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, current_app, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest

from .errors import InvalidInput

MAX_JSON_DEPTH = 20  # the deepest real body (custom_fields -> multi-choice list) is 3
# Bigger JSON bodies are refused by their endpoints' own size limits (64 KB for the API); the
# guard does not parse what no view will.
MAX_CHECKED_JSON = 1024 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
TOO_DEEP = f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."


def nul_message(name: str) -> str:
    return f"{name} must not contain NUL characters (\\u0000)."


def check_request() -> None:
    """Refuse over-deep JSON; refuse (API) or remove (pages) NUL characters."""
    if request.is_json and (request.content_length or 0) <= MAX_CHECKED_JSON:
        data = parsed_json()
        json_fields = _json_nul_fields(data) if _is_api() else []
    else:
        json_fields = []
    if not _is_api():
        _strip_nul_from_page_input()
        return
    fields = [*_nul_fields(request.view_args or {}), *_nul_fields(request.args, "query."),
              *json_fields]
    if request.mimetype in FORM_TYPES:
        fields += _nul_fields(request.form)
        fields += [f"{name} (file name)" for name, upload in request.files.items(multi=True)
                   if "\x00" in (upload.filename or "")]
    if fields:
        names = dict.fromkeys(name.replace("\x00", "\\u0000") for name in fields)
        raise InvalidInput({name: nul_message(name) for name in names})


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _strip_nul_from_page_input() -> None:
    if _nul_fields(request.args):
        request.args = _without_nul(request.args)
    if request.mimetype in FORM_TYPES and _nul_fields(request.form):
        request.form = _without_nul(request.form)
    request.__dict__.pop("values", None)  # args + form, rebuilt from the cleaned ones


def _without_nul(mapping: MultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict([(key.replace("\x00", ""), value.replace("\x00", ""))
                               for key, value in mapping.items(multi=True)])


def parsed_json() -> Any:
    """The JSON body (None when it is not valid JSON; the view says so in its own words);
    400 when it nests deeper than anything leadapp reads."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # json's C scanner gives up at ~1000 levels
        raise BadRequest(description=TOO_DEEP) from None
    if _depth_over(data, MAX_JSON_DEPTH):
        raise BadRequest(description=TOO_DEEP)
    return data


def _nul_fields(mapping: Any, prefix: str = "") -> list[str]:
    items = mapping.items(multi=True) if hasattr(mapping, "getlist") else mapping.items()
    return [f"{prefix}{key}" for key, value in items if "\x00" in str(key) or "\x00" in str(value)]


def _json_nul_fields(data: Any) -> list[str]:
    return [path for path, text in _strings(data, "") if "\x00" in text]


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(dotted path, text) for every key and string value; paths name the field a client
    sent (`title`, `custom_fields.size`, `contacts.0`)."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                yield name, str(key)
                stack.append((name, child))
        elif isinstance(item, list):
            stack += [(f"{where}.{index}" if where else str(index), child)
                      for index, child in enumerate(item)]
        elif isinstance(item, str):
            yield where or "body", item


def _depth_over(value: Any, limit: int) -> bool:
    """Iterative, so that checking a deep body cannot itself hit the recursion limit."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack += [(child, depth + 1) for child in children]
    return False


def body_limit(limit: Callable[[], int]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give one view its own body limit (e.g. an import file above MAX_CONTENT_LENGTH).

    Setting request.max_content_length inside the view is too late: the CSRF check and this
    guard read the form before any view runs, under the app-wide limit."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.body_limit = limit  # type: ignore[attr-defined]
        return view

    return mark


def apply_body_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "body_limit", None)
    if limit is not None:
        request.max_content_length = limit()


def register(app: Flask) -> None:
    # First of all before_request functions: Flask-WTF's CSRF check (registered when the
    # extension was bound) already reads the form.
    app.before_request_funcs.setdefault(None, []).insert(0, apply_body_limit)
    app.before_request(check_request)
