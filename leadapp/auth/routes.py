"""Sign-in and sign-out."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import db, htmx, limiter, login_manager
from ..web import is_safe_next
from . import services
from .forms import LoginForm
from .models import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    if htmx:
        target = url_for("auth.login", next=_path_only(htmx.current_url))
        return Response("", status=401, headers={"HX-Redirect": target})
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _path_only(url: str | None) -> str | None:
    if not url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.get("/login")
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    return render_template("auth/login.html", form=form)


@bp.post("/login")
@limiter.limit(_login_limit, methods=["POST"], deduct_when=lambda response: response.status_code != 303)
def login_submit() -> Response | tuple[str, int]:
    form = LoginForm()
    user = services.authenticate(form.email.data, form.password.data) if form.validate() else None
    if user is None:
        if form.email.data and not form.errors:
            form.password.errors.append("That email and password do not match an active account.")
        return render_template("auth/login.html", form=form), 422
    login_user(user, remember=form.remember.data)
    target = form.next.data if is_safe_next(form.next.data) else url_for("dashboard.index")
    return redirect(target, 303)


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), 303)
