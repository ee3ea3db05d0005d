"""Sign-in and sign-out, the site root, and how unauthenticated requests are turned away."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from ..extensions import db, htmx, limiter, login_manager
from ..web import is_safe_next
from . import services
from .forms import LoginForm
from .models import User

bp = Blueprint("auth", __name__)

BAD_CREDENTIALS = "That email and password do not match an active account."


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    # Flask-Login treats a user whose is_active is False as signed out, so deactivating someone
    # ends their sessions on their next request.
    return db.session.get(User, int(user_id)) if user_id.isdecimal() else None


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    if htmx:
        target = url_for("auth.login", next=_path_only(htmx.current_url) or request.path)
        return Response("", status=401, headers={"HX-Redirect": target})
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _path_only(url: str | None) -> str | None:
    """The local part of the page URL htmx reports, so `next` never names another host."""
    if not url:
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed_attempt(response: Response) -> bool:
    """Only failed sign-ins use up the allowance; a success answers 303."""
    return response.status_code != 303


@bp.get("/")
def home() -> Response:
    return redirect(url_for("dashboard.index" if current_user.is_authenticated else "auth.login"))


@bp.get("/login")
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    return render_template("auth/login.html", form=form)


@bp.post("/login")
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed_attempt)
def login_submit() -> Response | tuple[str, int]:
    form = LoginForm()
    user = services.authenticate(form.email.data, form.password.data) if form.validate() else None
    if user is None:
        if not form.errors:
            form.password.errors.append(BAD_CREDENTIALS)
        return render_template("auth/login.html", form=form), 422
    login_user(user, remember=form.remember.data)
    target = form.next.data if is_safe_next(form.next.data) else url_for("dashboard.index")
    return redirect(target, 303)


@bp.errorhandler(TooManyRequests)
def too_many_attempts(error: TooManyRequests) -> tuple[str, int, dict[str, str]]:
    """Keep the sign-in form (and the typed email) on screen with an explanation."""
    form = LoginForm()
    form.password.errors = ["Too many failed sign-in attempts from your address. "
                            "Wait a minute, then try again."]
    retry = error.get_response().headers.get("Retry-After")
    return render_template("auth/login.html", form=form), 429, (
        {"Retry-After": retry} if retry else {})


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), 303)
