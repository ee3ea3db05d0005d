"""Who may call each route: derived from `require()` where the route declares it, listed here
for the rest. A route in neither place fails the walks, so a new route must be classified.

To classify a new route: give it `@require("some.action")` (nothing to do here), or add its
endpoint to SIGNED_IN / PUBLIC / API below, or to NARROWED when the view checks more than its
decorator says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from leadapp.auth.models import Role
from leadapp.auth.permissions import PERMISSIONS

EVERYONE = frozenset(Role)

# Pages any signed-in user may open (`@login_required` only: the view itself scopes the data).
SIGNED_IN = {
    "auth.home", "dashboard.index",
    "leads.index", "leads.list_counts", "leads.save_view", "leads.delete_view",
    "leads.save_columns",
    "leads.bulk_confirm", "leads.bulk_apply",
    "notifications.index", "notifications.menu", "notifications.read",
    "notifications.open_lead", "notifications.read_all",
    "settings.index", "settings.update_profile", "settings.update_password",
    "pipeline.board", "pipeline.column_cards",
}

# No sign-in at all: the login form, static files, the public capture form and its API, the
# OpenAPI document. (The capture endpoints have their own key, origin and spam checks.)
# Signing out while signed out just redirects; the bell answers a signed-out tab with an empty
# 286 (htmx: stop polling) instead of a login page.
PUBLIC = {
    "static", "auth.login", "auth.login_submit", "auth.logout", "notifications.bell",
    "capture_public.show", "capture_public.submit",
    "capture_api.preflight", "capture_api.create_from_site", "api.openapi_document",
}

# The JSON API authenticates by the `authtoken` header; the value is the action the view checks
# (None: any valid token; the lead endpoints still scope rows to what the user may see).
API: dict[str, str | None] = {
    "api.list_lead_sources": "sources.view", "api.search_lead_sources": "sources.view",
    "api.get_lead_source": "sources.view", "api.create_lead_source": "sources.manage",
    "api.update_lead_source": "sources.manage", "api.delete_lead_source": "sources.manage",
    "api.list_leads": None, "api.get_lead": None, "api.create_lead": "leads.create",
    "api.replace_lead": "leads.edit", "api.update_lead": "leads.edit",
    "api.delete_lead": "leads.delete", "api.restore_lead": "leads.delete",
    "api.move_lead": "leads.edit", "api.convert_lead": "leads.convert",
    "api.list_lead_contacts": None, "api.set_lead_contacts": "leads.edit",
    "api.bind_lead_contact": "leads.edit", "api.unbind_lead_contact": "leads.edit",
    "api.list_comments": None, "api.add_comment": "leads.create",
    # Editing or deleting a comment: its author, or a role with comments.moderate (the walk's
    # comment was written by the admin).
    "api.edit_comment": "comments.moderate", "api.delete_comment": "comments.moderate",
    "api.list_attachments": None, "api.download_attachment": None,
    # Deleting someone else's file: leads.delete (the walk's file was uploaded by the admin).
    "api.upload_attachment": "leads.edit", "api.delete_attachment": "leads.delete",
    "api.lead_activity": None, "api.lead_field_list": None, "api.list_pipelines": None,
    "api.list_loss_reasons": None, "api.list_users": None,
}

# Routes whose view checks a narrower action than its decorator (for some requests).
NARROWED: dict[str, str] = {
    # The comment's author or a moderator; the walk's comment was written by the admin.
    "leads.update_comment": "comments.moderate", "leads.delete_comment": "comments.moderate",
    "leads.comment_form": "comments.moderate",
    # Uploading changes the lead; deleting someone else's file needs leads.delete.
    "leads.upload": "leads.edit", "leads.delete_attachment": "leads.delete",
}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    rule: Rule
    kind: str                      # "page", "public" or "api"
    allowed: frozenset[Role]       # roles that pass the permission check

    @property
    def label(self) -> str:
        return f"{self.method} {self.rule.rule}"


def declared_permission(app: Flask, endpoint: str) -> str | None:
    """The action given to `require()` on the view, looking through other decorators."""
    view: Any = app.view_functions[endpoint]
    while view is not None:
        if hasattr(view, "permission"):
            return view.permission
        view = getattr(view, "__wrapped__", None)
    return None


def classify(app: Flask, endpoint: str) -> tuple[str, frozenset[Role]]:
    """(kind, allowed roles); raises for a route nobody classified."""
    if endpoint in PUBLIC:
        return "public", EVERYONE
    if endpoint in API:
        action = API[endpoint]
        return "api", PERMISSIONS[action] if action else EVERYONE
    action = declared_permission(app, endpoint)
    if endpoint in NARROWED:
        action = NARROWED[endpoint]
    if action:
        return "page", PERMISSIONS[action]
    if endpoint in SIGNED_IN:
        return "page", EVERYONE
    raise LookupError(f"{endpoint} is not classified: add require() to it, or list it in "
                      f"tests/security/routes.py")


def unclassified(app: Flask) -> list[str]:
    missing = []
    for rule in app.url_map.iter_rules():
        try:
            classify(app, rule.endpoint)
        except LookupError:
            missing.append(rule.endpoint)
    return sorted(set(missing))


def all_routes(app: Flask) -> Iterator[Route]:
    """Every (rule, method) pair, GETs first, deleting and merging requests last."""
    routes = []
    for rule in app.url_map.iter_rules():
        kind, allowed = classify(app, rule.endpoint)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}) or ["OPTIONS"]:
            routes.append(Route(rule.endpoint, method, rule, kind, allowed))
    return iter(sorted(routes, key=_order))


DESTRUCTIVE = ("delete", "purge", "merge", "remove", "revoke", "undo", "convert", "restore")


def _order(route: Route) -> tuple[int, str]:
    if route.method == "GET":
        rank = 0
    elif route.method == "DELETE" or any(word in route.endpoint for word in DESTRUCTIVE):
        rank = 2
    else:
        rank = 1
    return rank, route.label


# URL parameters whose value depends on the blueprint (the field names differ per entity).
FIELD_BY_BLUEPRINT = {"leads": "title", "contacts": "email"}


def build_url(app: Flask, route: Route, ids: dict[str, Any], **override: Any) -> str:
    # A parameter the dataset has no row for still gets a value, so the permission and CSRF
    # checks (which run before any lookup) are walked; the allowed role then sees a 404.
    values = {name: ids.get(name, 1 if _is_int(route.rule, name) else "missing")
              for name in route.rule.arguments}
    if "field" in values:
        values["field"] = FIELD_BY_BLUEPRINT.get(route.endpoint.split(".")[0], "name")
    values.update({key: value for key, value in override.items() if key in values})
    adapter = app.url_map.bind("localhost")
    return adapter.build(route.endpoint, values, method=route.method)


def _is_int(rule: Rule, name: str) -> bool:
    converter = rule._converters.get(name)
    return type(converter).__name__ in ("IntegerConverter", "NumberConverter")
