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


MAIN_NAV: tuple[NavItem, ...] = (
    NavItem("Dashboard", "dashboard.index"),
    NavItem("Leads", "leads.index"),
    NavItem("Board", "pipeline.board"),
    NavItem("Sources", "sources.index", "sources.view"),
    NavItem("Companies", "companies.index"),
    NavItem("Reports", "reports.sources", "reports.view"),
    NavItem("Forms", "capture.index", "forms.manage"),
    NavItem("Settings", "settings.index"),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    active: bool


def nav_items() -> list[NavLink]:
    links = []
    for item in MAIN_NAV:
        if item.endpoint not in current_app.view_functions:
            continue
        if item.permission and not can(current_user, item.permission):
            continue
        url = url_for(item.endpoint)
        active = request.endpoint == item.endpoint or (
            request.blueprint == item.endpoint.split(".")[0] and item.endpoint != "dashboard.index"
        )
        links.append(NavLink(item.label, url, active))
    return links
