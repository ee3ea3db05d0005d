"""/admin/notifications: the bell (polled count), its dropdown, the full list, mark read."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..web import render, wants_fragment
from . import services

bp = Blueprint("notifications", __name__, url_prefix="/admin/notifications")
STOP_POLLING = 286  # htmx stops an `every` trigger on this status


def _bell(status: int = 200) -> Response:
    return Response(render_template("notifications/_partials/bell_summary.html",
                                    unread=services.unread_count(current_user)), status)


def _panel_or_page() -> Response:
    """After a change: the dropdown (with the badge out of band) for htmx, the list otherwise."""
    if wants_fragment() and request.form.get("from") == "menu":
        return Response(render_template(
            "notifications/_partials/menu_update.html", notes=services.recent(current_user),
            unread=services.unread_count(current_user)))
    return redirect(url_for("notifications.index"), 303)


@bp.get("/bell")
def bell() -> Response:
    """The polled badge. A signed-out tab gets 286 so it stops asking instead of a login page."""
    if not current_user.is_authenticated:
        return Response("", STOP_POLLING)
    return _bell()


@bp.get("/menu")
@login_required
def menu() -> Response:
    return Response(render_template("notifications/_partials/menu.html",
                                    notes=services.recent(current_user)))


@bp.get("")
@login_required
def index() -> Response:
    number = request.args.get("page", 1, type=int) or 1
    notes, more = services.page(current_user, number)
    return render("notifications/index.html", "notifications/_partials/list_page.html",
                  notes=notes, more=more, page_no=number,
                  unread=services.unread_count(current_user))


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int) -> Response:
    note = services.get_own(current_user, notification_id) or abort(404)
    services.mark_read(note)
    return _panel_or_page()


@bp.post("/<int:notification_id>/open")
@login_required
def open_lead(notification_id: int) -> Response:
    """Mark read and go to the lead (a summary without a lead goes to the lead list)."""
    note = services.get_own(current_user, notification_id) or abort(404)
    services.mark_read(note)
    target = (url_for("leads.detail", lead_id=note.lead_id) if note.lead_id
              else url_for("leads.index", owner="me"))
    return redirect(target, 303)


@bp.post("/read-all")
@login_required
def read_all() -> Response:
    services.mark_all_read(current_user)
    return _panel_or_page()
