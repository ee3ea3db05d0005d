"""/admin/settings: links to the admin pages, and my own name and password."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..auth import services
from ..auth.forms import ChangePasswordForm, ProfileForm
from ..errors import DomainError
from ..extensions import db
from ..web import render, wants_fragment
from .links import hub_links

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")


def _page(status: int = 200, fragment: str | None = None, **ctx: object) -> Response:
    """The hub page, or one account card when an htmx form asked for it."""
    # formdata=None: the card that was not posted shows saved values, not the other card's post.
    ctx.setdefault("profile_form", ProfileForm(formdata=None, obj=current_user))
    ctx.setdefault("password_form", ChangePasswordForm(formdata=None))
    ctx["links"] = hub_links(current_user)
    if fragment is None:
        return Response(render_template("settings/index.html", **ctx), status)
    return render("settings/index.html", fragment, status, **ctx)


def _saved(card: str, message: str) -> Response:
    """htmx gets the card back with a confirmation; a plain form post is redirected (PRG)."""
    if wants_fragment():
        return _page(200, f"settings/_partials/{card}.html", **{f"{card}_saved": message})
    flash(message, "success")
    return redirect(url_for("settings.index"), 303)


@bp.get("")
@login_required
def index() -> Response:
    return _page()


@bp.post("/profile")
@login_required
def update_profile() -> Response:
    form = ProfileForm()
    try:
        if form.validate():
            services.update_profile(current_user, form.name.data)
            return _saved("profile", "Your name is saved.")
    except DomainError as error:
        db.session.rollback()
        form.name.errors.append(error.message)
    return _page(422, "settings/_partials/profile.html", profile_form=form)


@bp.post("/password")
@login_required
def update_password() -> Response:
    form, fragment = ChangePasswordForm(), "settings/_partials/password.html"
    try:
        if form.validate():
            services.change_own_password(current_user, form.current_password.data,
                                         form.new_password.data)
            return _saved("password", "Your password is changed.")
    except DomainError as error:
        getattr(form, error.field or "new_password").errors.append(error.message)
    return _page(422, fragment, password_form=form)
