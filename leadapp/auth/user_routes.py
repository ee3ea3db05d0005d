"""/admin/users: the admin's list of accounts, inline role and active toggles, the edit page."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_htmx import make_response as hx_response
from flask_login import current_user

from ..errors import DomainError, RuleViolation
from ..extensions import db, htmx
from ..web import render, wants_fragment
from . import services
from .forms import ROLE_CHOICES, ActiveForm, NewUserForm, ResetPasswordForm, RoleForm, UserForm
from .models import User
from .permissions import can, require

bp = Blueprint("users", __name__, url_prefix="/admin/users")


def _index(status: int = 200, errors: dict[int, DomainError] | None = None) -> Response:
    return render("users/index.html", "users/_partials/table.html", status,
                  users=services.list_users(), row_errors=errors or {}, role_choices=ROLE_CHOICES)


def _field_error(form: object, error: DomainError, default: str) -> None:
    getattr(form, error.field or default, getattr(form, default)).errors.append(error.message)


def _edit_page(user: User, status: int = 200, **forms: object) -> Response:
    # formdata=None: the form that was not posted shows the saved values, not the other form's.
    forms.setdefault("form", UserForm(formdata=None, obj=user, role=user.role.value))
    forms.setdefault("password_form", ResetPasswordForm(formdata=None))
    return Response(render_template("users/edit.html", user=user, **forms), status)


def _row_result(user: User, error: DomainError | None = None) -> Response:
    """After an inline change: the row for htmx, the list (PRG) otherwise; away if I lost access."""
    if error is None and not can(current_user, "users.manage"):
        flash("Your role changed, so the users page is closed to you now.", "info")
        return hx_response(redirect=url_for("dashboard.index")) if htmx else redirect(
            url_for("dashboard.index"), 303)
    if wants_fragment():
        html = render_template("users/_partials/row.html", user=user, row_error=error,
                               role_choices=ROLE_CHOICES)
        return Response(html, status=error.status if error else 200)
    if error is not None:
        return _index(error.status, {user.id: error})
    flash(f"Saved {user.display_name}.", "success")
    return redirect(url_for("users.index"), 303)


@bp.get("")
@require("users.manage")
def index() -> Response:
    return _index()


@bp.get("/new")
@require("users.manage")
def new() -> str:
    return render_template("users/new.html", form=NewUserForm())


@bp.post("/new")
@require("users.manage")
def create() -> Response | tuple[str, int]:
    form = NewUserForm()
    if form.validate():
        try:
            user = services.create_user(form.email.data, form.password.data, form.role.data,
                                        form.name.data)
        except DomainError as error:
            _field_error(form, error, "email")
            return render_template("users/new.html", form=form), error.status
        flash(f"Created {user.display_name} ({user.role.label}). Share the initial password "
              "with them in person.", "success")
        return redirect(url_for("users.index"), 303)
    return render_template("users/new.html", form=form), 422


@bp.get("/<int:user_id>")
@require("users.manage")
def edit(user_id: int) -> Response:
    return _edit_page(db.get_or_404(User, user_id))


@bp.post("/<int:user_id>")
@require("users.manage")
def update(user_id: int) -> Response:
    user, form = db.get_or_404(User, user_id), UserForm()
    if not form.validate():
        return _edit_page(user, 422, form=form)
    try:
        services.update_user(user, form.name.data, form.email.data, form.role.data)
    except DomainError as error:
        db.session.rollback()
        _field_error(form, error, "email")
        return _edit_page(user, error.status, form=form)
    return _row_result(user)


@bp.post("/<int:user_id>/password")
@require("users.manage")
def reset_password(user_id: int) -> Response:
    user, form = db.get_or_404(User, user_id), ResetPasswordForm()
    if not form.validate():
        return _edit_page(user, 422, password_form=form)
    services.reset_password(user, form.password.data)
    flash(f"New password set for {user.display_name}. Tell them in person.", "success")
    return redirect(url_for("users.edit", user_id=user.id), 303)


@bp.post("/<int:user_id>/role")
@require("users.manage")
def update_role(user_id: int) -> Response:
    user, form = db.get_or_404(User, user_id), RoleForm()
    try:
        if not form.validate():
            raise RuleViolation("Choose one of the listed roles.", "role")
        services.change_role(user, form.role.data)
    except DomainError as error:
        db.session.rollback()
        return _row_result(user, error)
    return _row_result(user)


@bp.post("/<int:user_id>/active")
@require("users.manage")
def update_active(user_id: int) -> Response:
    user, form = db.get_or_404(User, user_id), ActiveForm()
    try:
        if not form.validate():
            raise RuleViolation(" ".join(form.active.errors), "active")
        services.set_active(current_user, user, form.active.data == "1")
    except DomainError as error:
        db.session.rollback()
        return _row_result(user, error)
    return _row_result(user)
