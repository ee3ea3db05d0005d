"""The main navigation: an item shows once its page exists and the user's role may open it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_login import current_user

from .auth.permissions import can


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    permission: str | None = None
    # Other URL prefixes that belong to this section (e.g. campaigns sit under Sources).
    sections: tuple[str, ...] = ()


MAIN_NAV: tuple[NavItem, ...] = (
    NavItem("Dashboard", "dashboard.index"),
    NavItem("Leads", "leads.index"),
    NavItem("Board", "pipeline.board"),
    NavItem("Sources", "sources.index", "sources.view", ("/admin/campaigns",)),
    NavItem("Companies", "companies.index", None, ("/admin/contacts", "/admin/opportunities")),
    NavItem("Reports", "reports.sources", "reports.view", ("/admin/reports",)),
    NavItem("Forms", "capture.index", "forms.manage"),
    NavItem("Settings", "settings.index", None, (
        "/admin/users", "/admin/teams", "/admin/pipelines", "/admin/loss-reasons", "/admin/api",
    )),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    active: bool


def nav_items() -> list[NavLink]:
    visible = [item for item in MAIN_NAV if item.endpoint in current_app.view_functions
               and (not item.permission or can(current_user, item.permission))]
    urls = {item.label: url_for(item.endpoint) for item in visible}
    current = _current_section(visible, urls)
    return [NavLink(item.label, urls[item.label], item.label == current) for item in visible]


def _current_section(items: list[NavItem], urls: dict[str, str]) -> str | None:
    """The item whose URL (or one of its sections) is the longest prefix of this page's path:
    /admin/leads/board is the Board, /admin/leads/42 is Leads, /admin is only the dashboard."""
    path = request.path.rstrip("/") or "/"
    best, best_length = None, -1
    for item in items:
        for prefix in (urls[item.label].rstrip("/"), *item.sections):
            exact_only = item.endpoint == "dashboard.index"
            matches = path == prefix or (not exact_only and path.startswith(prefix + "/"))
            if matches and len(prefix) > best_length:
                best, best_length = item.label, len(prefix)
    return best
