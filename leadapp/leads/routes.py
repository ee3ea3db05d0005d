"""The lead form and the lead page (list views live in list_routes.py)."""

from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user

from ..auth.permissions import require
from . import services
from .blueprint import bp


@bp.get("/new")
@require("leads.create")
def new() -> str:
    return render_template("leads/new.html")


@bp.get("/<int:lead_id>")
@require("leads.create")
def detail(lead_id: int) -> Response | str:
    lead = services.get_visible_lead(current_user, lead_id)
    return render_template("leads/detail.html", lead=lead)
