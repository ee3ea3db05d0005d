"""The /admin landing page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from flask_login import current_user, login_required

from ..web import render
from . import services

bp = Blueprint("dashboard", __name__, url_prefix="/admin")


@bp.get("/")
@bp.get("")
@login_required
def index() -> Response:
    # Links appear only once the page they point to exists (other features register them).
    return render("dashboard/index.html", "dashboard/_partials/summary.html",
                  summary=services.summary(current_user),
                  endpoints=frozenset(current_app.view_functions))
