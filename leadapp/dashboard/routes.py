"""The /admin landing page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from . import services

bp = Blueprint("dashboard", __name__, url_prefix="/admin")


@bp.get("/")
@bp.get("")
@login_required
def index() -> str:
    return render_template("dashboard/index.html", summary=services.summary(current_user))
