"""The admin pages the settings hub links to, once the page exists and the role may open it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for

from ..auth.models import User
from ..auth.permissions import can


@dataclass(frozen=True)
class HubPage:
    label: str
    endpoint: str
    permission: str
    description: str


HUB_PAGES: tuple[HubPage, ...] = (
    HubPage("Users", "users.index", "users.manage",
            "Accounts, roles, deactivation and password resets."),
    HubPage("Teams", "teams.index", "teams.manage",
            "Group sales people so they share their team's leads."),
    HubPage("Pipelines", "pipeline.pipelines", "pipelines.manage",
            "Pipelines and their stages, in order."),
    HubPage("Loss reasons", "pipeline.loss_reasons", "pipelines.manage",
            "Why leads are lost; asked for when a lead is closed."),
    HubPage("API tokens", "api_admin.api_management", "api_tokens.manage",
            "Tokens for scripts and integrations using the JSON API."),
    HubPage("Capture forms", "capture.index", "forms.manage",
            "Forms to embed on your websites that create leads."),
    HubPage("Custom fields", "custom_fields.index", "settings.manage",
            "Extra lead fields: on the form, lead page, list, board, imports and the API."),
    HubPage("Assignment rules", "assignment.index", "settings.manage",
            "Who gets new leads: by source, campaign, city or capture form."),
    HubPage("Webhooks", "webhooks.index", "settings.manage",
            "Signed event posts to other systems, with a delivery log."),
)


@dataclass(frozen=True)
class HubLink:
    label: str
    url: str
    description: str


def hub_links(user: User) -> list[HubLink]:
    """The hub's links this user may follow, in the order above."""
    return [HubLink(page.label, url_for(page.endpoint), page.description)
            for page in HUB_PAGES
            if page.endpoint in current_app.view_functions and can(user, page.permission)]
