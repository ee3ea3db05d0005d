"""Who may call each route: an explicit table, written by hand and independent of the code.

`PAGES` names, for every signed-in page or fragment endpoint, the action it must give to
`require()` (or LOGIN: `@login_required` only, the view scopes the data itself). The walks
expect exactly these roles, and test_authorization_walk checks that every registered endpoint is
in one table and that `require()` declares what the table says, so a route with a wrong (or a
missing) permission fails instead of being believed.

To classify a new route: add its endpoint to PAGES, PUBLIC or API below (and to NARROWED when
the view checks more than its decorator says).
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
LOGIN = "login only"

# Endpoint -> the action its `require()` must declare, or LOGIN. Read access to leads,
# companies, contacts and opportunities is "leads.create" (every role); the views scope rows.
PAGES: dict[str, str] = {
    # Signed in, any role: the view itself scopes the data.
    "dashboard.index": LOGIN,
    "leads.index": LOGIN, "leads.list_counts": LOGIN, "leads.save_view": LOGIN,
    "leads.delete_view": LOGIN, "leads.save_columns": LOGIN,
    # Bulk actions check each action's own permission inside (and skip unseen leads).
    "leads.bulk_confirm": LOGIN, "leads.bulk_apply": LOGIN,
    "notifications.index": LOGIN, "notifications.menu": LOGIN, "notifications.read": LOGIN,
    "notifications.open_lead": LOGIN, "notifications.read_all": LOGIN,
    "settings.index": LOGIN, "settings.update_profile": LOGIN, "settings.update_password": LOGIN,
    "pipeline.board": LOGIN, "pipeline.column_cards": LOGIN,
    # Leads: reading and commenting.
    "leads.detail": "leads.create", "leads.field_display": "leads.create",
    "leads.timeline": "leads.create", "leads.stage_bar": "leads.create",
    "leads.stage_options": "leads.create", "leads.download": "leads.create",
    "leads.comment": "leads.create", "leads.add_comment": "leads.create",
    "leads.comment_form": "leads.create", "leads.update_comment": "leads.create",
    "leads.delete_comment": "leads.create",
    # Leads: the new-lead form and its helpers.
    "leads.new": "leads.create", "leads.create": "leads.create",
    "leads.duplicates": "leads.create", "leads.company_fields": "leads.create",
    "leads.company_options": "leads.create", "leads.contact_fields": "leads.create",
    "leads.contact_options": "leads.create",
    # Leads: changing one.
    "leads.edit": "leads.edit", "leads.update": "leads.edit", "leads.field_form": "leads.edit",
    "leads.update_field": "leads.edit", "leads.save_field": "leads.edit",
    "leads.move_stage": "leads.edit", "leads.move_pipeline": "leads.edit",
    "leads.loss_form": "leads.edit", "leads.add_contact": "leads.edit",
    "leads.remove_contact": "leads.edit", "leads.primary_contact": "leads.edit",
    "leads.lead_contact_options": "leads.edit", "leads.upload": "leads.edit",
    "leads.delete_attachment": "leads.edit",
    "leads.convert_form": "leads.convert", "leads.convert": "leads.convert",
    # Leads: deleting, merging, the trash.
    "leads.delete": "leads.delete", "leads.trash": "leads.delete",
    "leads.restore": "leads.delete", "leads.merge_form": "leads.delete",
    "leads.merge_leads": "leads.delete", "leads.undo_merge": "leads.delete",
    "leads.purge": "leads.purge", "leads.bulk_export": "leads.export",
    # Custom field values on a lead.
    "lead_custom_fields.value_display": "leads.create",
    "lead_custom_fields.value_edit": "leads.edit", "lead_custom_fields.save_value": "leads.edit",
    "lead_custom_fields.update_value": "leads.edit",
    # Board.
    "pipeline.move": "leads.edit", "pipeline.lost_dialog": "leads.edit",
    # Pipelines, stages and loss reasons.
    **dict.fromkeys([
        "pipeline.pipelines", "pipeline.create_pipeline", "pipeline.update_pipeline",
        "pipeline.delete_pipeline", "pipeline.make_default", "pipeline.add_stage",
        "pipeline.update_stage", "pipeline.delete_stage", "pipeline.delete_stage_dialog",
        "pipeline.reorder_stages", "pipeline.shift_stage", "pipeline.loss_reasons",
        "pipeline.create_loss_reason", "pipeline.update_loss_reason",
        "pipeline.toggle_loss_reason", "pipeline.delete_loss_reason"], "pipelines.manage"),
    # Companies, contacts, opportunities: everyone reads, admins, managers and sales change.
    **{f"{kind}.{view}": "leads.create" for kind in ("companies", "contacts", "opportunities")
       for view in ("index", "detail", "field_display")},
    **{f"{kind}.{view}": "companies.manage"
       for kind in ("companies", "contacts", "opportunities")
       for view in ("create", "delete", "field_form", "update_field")},
    "companies.merge": "companies.manage", "contacts.merge": "companies.manage",
    # Sources and campaigns: everyone reads; marketing manages.
    "sources.index": "sources.view", "sources.detail": "sources.view",
    "sources.field_display": "sources.view",
    **dict.fromkeys(["sources.create", "sources.field_form", "sources.update_field",
                     "sources.toggle", "sources.delete", "sources.bulk", "sources.export",
                     "sources.merge", "sources.merge_form"], "sources.manage"),
    "campaigns.index": "sources.view", "campaigns.detail": "sources.view",
    "campaigns.field_display": "sources.view",
    **dict.fromkeys(["campaigns.create", "campaigns.field_form", "campaigns.update_field",
                     "campaigns.toggle"], "campaigns.manage"),
    **dict.fromkeys(["spend.panel", "spend.create", "spend.edit", "spend.update",
                     "spend.delete", "spend.import_csv"], "spend.manage"),
    # Capture forms.
    **dict.fromkeys(["capture.index", "capture.new", "capture.create", "capture.detail",
                     "capture.edit", "capture.update", "capture.set_active",
                     "capture.regenerate_key", "capture.release"], "forms.manage"),
    # Imports and exports.
    **dict.fromkeys(["imports.new", "imports.create", "imports.job", "imports.progress",
                     "imports.save_mapping", "imports.run", "imports.resume", "imports.undo",
                     "imports.errors_csv"], "leads.import"),
    "imports.export": "leads.export", "imports.export_file": "leads.export",
    # Reports.
    **dict.fromkeys(["reports.sources", "reports.month_cards", "reports.print_view",
                     "reports.export"], "reports.view"),
    # Administration.
    **dict.fromkeys(["users.index", "users.new", "users.create", "users.edit", "users.update",
                     "users.update_role", "users.update_active", "users.reset_password"],
                    "users.manage"),
    **dict.fromkeys(["teams.index", "teams.create", "teams.detail", "teams.update",
                     "teams.delete", "teams.add_member", "teams.remove_member"], "teams.manage"),
    **dict.fromkeys(["api_admin.api_management", "api_admin.create_token",
                     "api_admin.revoke_token"], "api_tokens.manage"),
    **dict.fromkeys(["assignment.index", "assignment.create", "assignment.edit",
                     "assignment.update", "assignment.delete", "assignment.move",
                     "assignment.order", "assignment.set_enabled",
                     "custom_fields.index", "custom_fields.create", "custom_fields.edit",
                     "custom_fields.update", "custom_fields.move", "custom_fields.order",
                     "custom_fields.confirm_delete", "custom_fields.delete",
                     "custom_fields.export", "custom_fields.deleted_export",
                     "webhooks.index", "webhooks.create", "webhooks.detail", "webhooks.update",
                     "webhooks.delete", "webhooks.rotate_secret", "webhooks.send_test",
                     "webhooks.resend", "webhooks.delivery_log", "webhooks.private_addresses"],
                    "settings.manage"),
}

# No sign-in at all: the login form, static files, the public capture form and its API, the
# OpenAPI document. (The capture endpoints have their own key, origin and spam checks.)
# Signing out while signed out just redirects; the bell answers a signed-out tab with an empty
# 286 (htmx: stop polling) instead of a login page.
PUBLIC = {
    "auth.home",  # "/" only redirects: to the dashboard, or to the sign-in page
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
    """(kind, allowed roles) from the tables above; raises for a route nobody classified."""
    if endpoint in PUBLIC:
        return "public", EVERYONE
    if endpoint in API:
        action = API[endpoint]
        return "api", PERMISSIONS[action] if action else EVERYONE
    if endpoint not in PAGES:
        raise LookupError(f"{endpoint} is not classified: add it to PAGES, PUBLIC or API in "
                          f"tests/security/routes.py")
    action = NARROWED.get(endpoint, PAGES[endpoint])
    return "page", EVERYONE if action == LOGIN else PERMISSIONS[action]


def unclassified(app: Flask) -> list[str]:
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()} - set(PAGES) - PUBLIC
                  - set(API))


def permission_mismatches(app: Flask) -> list[str]:
    """Page endpoints whose `require()` differs from the table (LOGIN: no `require()`)."""
    problems = []
    for endpoint, expected in sorted(PAGES.items()):
        if endpoint not in app.view_functions:
            problems.append(f"{endpoint}: in PAGES but not registered")
            continue
        declared = declared_permission(app, endpoint) or LOGIN
        if declared != expected:
            problems.append(f"{endpoint}: require({declared!r}), the table says {expected!r}")
    for endpoint in sorted(PUBLIC | set(API)):
        declared = declared_permission(app, endpoint) if endpoint in app.view_functions else None
        if declared:
            problems.append(f"{endpoint}: listed as public/API but declares require({declared!r})")
    return problems


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
