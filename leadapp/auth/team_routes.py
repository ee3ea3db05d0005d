"""/admin/teams: create, rename and delete teams, add and remove members."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from wtforms import SelectChoice

from ..errors import DomainError
from ..extensions import db
from ..web import render, wants_fragment
from . import teams as services
from .forms import MemberForm, TeamForm
from .models import Team, User
from .permissions import require

bp = Blueprint("teams", __name__, url_prefix="/admin/teams")


def _index(form: TeamForm | None = None, status: int = 200) -> Response:
    return Response(render_template("teams/index.html", teams=services.list_teams(),
                                    form=form or TeamForm(formdata=None)), status)


def _member_form(team: Team, form: MemberForm | None = None) -> MemberForm:
    form = form or MemberForm(formdata=None)
    form.user_id.choices = [SelectChoice(0, "Choose a person…")] + [
        SelectChoice(user.id, f"{user.display_name} ({user.email})")
        for user in services.candidates(team)]
    return form


def _detail(team: Team, status: int = 200, **ctx: object) -> Response:
    ctx.setdefault("form", TeamForm(formdata=None, obj=team))
    ctx["member_form"] = _member_form(team, ctx.get("member_form"))  # type: ignore[arg-type]
    return render("teams/detail.html", "teams/_partials/members_update.html", status, team=team,
                  deletable=services.can_delete(team), **ctx)


def _members_result(team: Team, message: str, error: DomainError | None = None) -> Response:
    """The members block for htmx, the team page (PRG) otherwise."""
    if error is not None or wants_fragment():
        return _detail(team, error.status if error else 200,
                       member_error=error.message if error else None)
    flash(message, "success")
    return redirect(url_for("teams.detail", team_id=team.id), 303)


@bp.get("")
@require("teams.manage")
def index() -> Response:
    return _index()


@bp.post("")
@require("teams.manage")
def create() -> Response:
    form = TeamForm()
    if not form.validate():
        return _index(form, 422)
    try:
        team = services.create_team(form.name.data)
    except DomainError as error:
        form.name.errors.append(error.message)
        return _index(form, error.status)
    flash(f"Created the team {team.name}. Add its members below.", "success")
    return redirect(url_for("teams.detail", team_id=team.id), 303)


@bp.get("/<int:team_id>")
@require("teams.manage")
def detail(team_id: int) -> Response:
    return _detail(db.get_or_404(Team, team_id))


@bp.post("/<int:team_id>")
@require("teams.manage")
def update(team_id: int) -> Response:
    team, form = db.get_or_404(Team, team_id), TeamForm()
    try:
        if form.validate():
            services.rename_team(team, form.name.data)
            flash(f"Renamed the team to {team.name}.", "success")
            return redirect(url_for("teams.detail", team_id=team.id), 303)
    except DomainError as error:
        db.session.rollback()
        form.name.errors.append(error.message)
        return _detail(team, error.status, form=form)
    return _detail(team, 422, form=form)


@bp.post("/<int:team_id>/delete")
@require("teams.manage")
def delete(team_id: int) -> Response:
    team = db.get_or_404(Team, team_id)
    name = team.name
    try:
        services.delete_team(team)
    except DomainError as error:
        return _detail(team, error.status, delete_error=error.message)
    flash(f"Deleted the team {name}.", "success")
    return redirect(url_for("teams.index"), 303)


@bp.post("/<int:team_id>/members")
@require("teams.manage")
def add_member(team_id: int) -> Response:
    team = db.get_or_404(Team, team_id)
    form = _member_form(team, MemberForm())
    if not form.validate():
        return _detail(team, 422, member_form=form)
    user = db.get_or_404(User, form.user_id.data)
    try:
        services.add_member(team, user)
    except DomainError as error:
        db.session.rollback()
        return _members_result(team, "", error)
    return _members_result(team, f"Added {user.display_name} to {team.name}.")


@bp.post("/<int:team_id>/members/<int:user_id>/remove")
@require("teams.manage")
def remove_member(team_id: int, user_id: int) -> Response:
    team, user = db.get_or_404(Team, team_id), db.get_or_404(User, user_id)
    services.remove_member(team, user)
    return _members_result(team, f"Removed {user.display_name} from {team.name}.")
