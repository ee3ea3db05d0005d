"""/admin/settings/assignment: the ordered assignment rules (admins)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from ..auth.permissions import require
from ..errors import DomainError
from ..extensions import db
from ..form_helpers import show_domain_error
from ..web import list_block, ordered_ids
from . import services
from .forms import RuleForm
from .models import AssignmentRule

bp = Blueprint("assignment", __name__, url_prefix="/admin/settings/assignment")


def _form(form: RuleForm | None = None) -> RuleForm:
    form = form or RuleForm(formdata=None)
    form.set_choices(services.choices())
    return form


def _index(form: RuleForm | None = None, status: int = 200, error: str = "") -> Response:
    return Response(render_template("assignment/index.html", rules=services.list_rules(),
                                    form=_form(form), error=error), status)


def _rules(error: str = "", status: int = 200, focus: str = "") -> Response:
    return list_block("assignment/_partials/rules.html", "assignment.index", error, status,
                      rules=services.list_rules(), focus=focus)


@bp.get("")
@require("settings.manage")
def index() -> Response:
    return _index()


@bp.post("")
@require("settings.manage")
def create() -> Response:
    form = _form(RuleForm())
    if not form.validate():
        return _index(form, 422)
    try:
        rule = services.create_rule(form.settings())
    except DomainError as error:
        show_domain_error(form, error)
        return _index(form, error.status)
    flash(f"Added the rule “{rule.name}” at the end of the list.", "success")
    return redirect(url_for("assignment.index"), 303)


@bp.get("/<int:rule_id>")
@require("settings.manage")
def edit(rule_id: int) -> Response:
    rule = db.get_or_404(AssignmentRule, rule_id)
    return Response(render_template("assignment/edit.html", rule=rule,
                                    form=_form(RuleForm.for_rule(rule))))


@bp.post("/<int:rule_id>")
@require("settings.manage")
def update(rule_id: int) -> Response:
    rule, form = db.get_or_404(AssignmentRule, rule_id), _form(RuleForm())
    try:
        if form.validate():
            services.update_rule(rule, form.settings())
            flash(f"Saved the rule “{rule.name}”.", "success")
            return redirect(url_for("assignment.index"), 303)
        status = 422
    except DomainError as error:
        show_domain_error(form, error)
        status = error.status
    return Response(render_template("assignment/edit.html", rule=rule, form=form), status)


@bp.post("/<int:rule_id>/delete")
@require("settings.manage")
def delete(rule_id: int) -> Response:
    rule = db.get_or_404(AssignmentRule, rule_id)
    name = rule.name
    services.delete_rule(rule)
    flash(f"Deleted the rule “{name}”.", "success")
    return redirect(url_for("assignment.index"), 303)


@bp.post("/<int:rule_id>/enabled")
@require("settings.manage")
def set_enabled(rule_id: int) -> Response:
    rule = db.get_or_404(AssignmentRule, rule_id)
    services.set_enabled(rule, request.form.get("enabled") == "1")
    return _rules(focus=f"rule-{rule.id}-toggle")


@bp.post("/<int:rule_id>/move")
@require("settings.manage")
def move(rule_id: int) -> Response:
    """The keyboard path: one step up or down."""
    rule, up = db.get_or_404(AssignmentRule, rule_id), request.form.get("direction") == "up"
    services.step_rule(rule, up)
    return _rules(focus=f"rule-{rule.id}-{'up' if up else 'down'}")


@bp.post("/order")
@require("settings.manage")
def order() -> Response:
    """The drag path: the whole order at once, as the list shows it."""
    try:
        services.reorder(ordered_ids(request.form.get("ids", "")))
    except DomainError as error:
        return _rules(error.message, error.status)
    return _rules()
