"""The lead list (search, filters, sort, pages), its bulk actions, saved views and the trash."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import (
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_htmx import make_response as hx_response
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from ..auth.models import User
from ..auth.permissions import can, require
from ..errors import DomainError
from ..extensions import db
from ..pipeline.models import LossReason, Stage, StageKind
from ..web import render, wants_fragment
from . import bulk, listing, saved_views
from .blueprint import bp
from .listing import LeadFilters

RESULTS = "leads/_partials/list_results.html"
SUMMARY = "leads/_partials/list_summary.html"
PAGINATION = "leads/_partials/list_pagination.html"
# Service error fields -> the bulk bar's field names.
FIELD_OF_ERROR = {"owner": "to_owner", "stage": "to_stage", "loss_reason": "loss_reason",
                  "tag": "tag_name"}

# action -> (menu label, permission)
BULK_ACTIONS: dict[str, tuple[str, str]] = {
    "assign": ("Assign owner", "leads.assign"),
    "stage": ("Move to stage", "leads.bulk"),
    "add_tag": ("Add tag", "leads.bulk"),
    "remove_tag": ("Remove tag", "leads.bulk"),
    "export": ("Export (CSV or Excel)", "leads.export"),
    "delete": ("Delete (to trash)", "leads.delete"),
}


def bulk_actions_for(user: User) -> list[tuple[str, str]]:
    return [(key, label) for key, (label, action) in BULK_ACTIONS.items() if can(user, action)]


def _results_context(filters: LeadFilters) -> dict[str, Any]:
    page = listing.page_of(filters, current_user)
    return {"listing": page, "filters": page.filters, "partial": wants_fragment(),
            "columns": saved_views.columns_for(current_user),
            "bulk_actions": bulk_actions_for(current_user), "all_columns": listing.COLUMNS}


@bp.get("")
@login_required
def index() -> Response:
    filters = listing.parse_filters(request.args)
    if not wants_fragment():
        return _index_page(filters, 422 if filters.errors else 200)
    context = _results_context(filters)
    response = render("leads/index.html", RESULTS, 422 if filters.errors else 200, **context)
    # The form sends every field, empty ones too; push the tidy URL of the same state.
    response.headers["HX-Push-Url"] = url_for("leads.index", **context["filters"].query())
    return response


@bp.get("/counts")
@login_required
def list_counts() -> Response:
    """The exact counts of a long list, asked for by its summary right after the page showed
    "1,000+": the summary again, and the pagination with its last page."""
    filters = listing.parse_filters(request.args)
    if not wants_fragment():  # opened directly (a copied link): the list itself
        return redirect(url_for("leads.index", **filters.query()), 303)
    page = listing.counts_of(filters, current_user)
    html = (render_template(SUMMARY, listing=page, filters=page.filters)
            + render_template(PAGINATION, listing=page, filters=filters, oob=True)
            if page.first else render_template(SUMMARY, listing=page, filters=page.filters))
    return make_response(html)


def _index_page(filters: LeadFilters, status: int = 200, **extra: Any) -> Response:
    context = _results_context(filters)
    context.update(options=listing.filter_options(), views=saved_views.views_for(current_user),
                   **extra)
    return render("leads/index.html", RESULTS, status, **context)


# --- Saved views and columns ---------------------------------------------------------------


def _views_menu(filters: LeadFilters, status: int = 200, **extra: Any) -> Response:
    html = render_template("leads/_partials/list_views.html", filters=filters,
                           views=saved_views.views_for(current_user), **extra)
    return make_response(html, status)


def _posted_filters() -> LeadFilters:
    """htmx includes the live filter form; a plain form post carries the list state the page
    was rendered with (the `state` field), so saving works without JavaScript too."""
    if any(key in request.form for key in listing.FILTER_KEYS):
        return listing.parse_filters(request.form)
    return listing.parse_filters(MultiDict(parse_qsl(request.form.get("state", ""))))


@bp.post("/views")
@login_required
def save_view() -> Response:
    filters = _posted_filters()
    name = request.form.get("view_name", "")
    try:
        view = saved_views.save_view(current_user, name, filters)
    except DomainError as error:
        if not wants_fragment():
            return _index_page(filters, 422, view_name=name, view_error=error.message, open=True)
        return _views_menu(filters, 422, view_name=name, view_error=error.message, open=True)
    if not wants_fragment():
        flash(f"Saved the view “{view.name}”.", "success")
        return redirect(url_for("leads.index", **filters.query()), 303)
    response = _views_menu(filters, open=True)
    return hx_response(response.get_data(as_text=True), trigger={"toast": {
        "level": "success", "message": f"Saved the view “{view.name}”."}})


@bp.delete("/views/<int:view_id>")
@login_required
def delete_view(view_id: int) -> Response:
    view = saved_views.get_view(current_user, view_id) or abort(404)
    name = view.name
    saved_views.delete_view(view)
    response = _views_menu(listing.parse_filters(request.args), open=True)
    return hx_response(response.get_data(as_text=True), trigger={"toast": {
        "level": "success", "message": f"Deleted the view “{name}”."}})


@bp.post("/columns")
@login_required
def save_columns() -> Response:
    saved_views.set_columns(current_user, request.form.getlist("columns"))
    filters = listing.parse_filters(request.form)
    if not wants_fragment():
        return redirect(url_for("leads.index", **filters.query()), 303)
    return make_response(render_template(RESULTS, **_results_context(filters)))


# --- Bulk actions --------------------------------------------------------------------------


@dataclass
class BulkRequest:
    """A bulk action as posted by the bulk bar (step 1) or the confirmation panel (step 2)."""

    action: str
    everything: bool
    lead_ids: list[int]
    filters: LeadFilters
    params: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def targets(self) -> Any:
        if self.everything:
            return listing.matching_ids(self.filters, current_user)
        return self.lead_ids

    def hidden_fields(self) -> list[tuple[str, str]]:
        """What the confirmation panel posts back: the same request, confirmed."""
        fields = [("action", self.action), ("scope", "all" if self.everything else "checked"),
                  ("query", urlencode(self.filters.query()))]
        fields += [("lead_ids", str(lead_id)) for lead_id in self.lead_ids]
        return fields + [(key, value) for key, value in self.params.items() if value]

    def export_params(self) -> list[tuple[str, str]]:
        """The exporter's query for these leads: the list's filter, or the checked ids."""
        if self.everything:
            return list(self.filters.query().items())
        return [("lead_ids", str(lead_id)) for lead_id in self.lead_ids]


def _parse_bulk(form: MultiDict[str, str]) -> BulkRequest:
    action = form.get("action", "")
    if action not in BULK_ACTIONS:
        abort(400, description="Choose a bulk action.")
    if not can(current_user, BULK_ACTIONS[action][1]):
        abort(403, description="Your role does not allow this action.")
    source = MultiDict(parse_qsl(form["query"])) if "query" in form else form
    ids = [int(value) for value in form.getlist("lead_ids") if listing.is_id(value)][:1000]
    params = {key: form.get(key, "").strip()
              for key in ("to_owner", "to_stage", "loss_reason", "closing_comment", "tag_name")}
    return BulkRequest(action=action, everything=form.get("scope") == "all",
                       lead_ids=list(dict.fromkeys(ids)), filters=listing.parse_filters(source),
                       params=params)


def _param_models(req: BulkRequest) -> dict[str, Any]:
    """Load what the action needs by id; a missing choice becomes a message for its field."""
    found: dict[str, Any] = {}
    if req.action == "assign":
        owner = req.params["to_owner"]
        if owner == "none":
            found["owner"] = None
        elif owner.isdecimal() and (user := db.session.get(User, int(owner))) is not None:
            found["owner"] = user
        else:
            req.errors["to_owner"] = "Choose who should own these leads."
    if req.action == "stage":
        stage_id = req.params["to_stage"]
        stage = db.session.get(Stage, int(stage_id)) if stage_id.isdecimal() else None
        if stage is None:
            req.errors["to_stage"] = "Choose a stage."
        found["stage"] = stage
        reason_id = req.params["loss_reason"]
        found["loss_reason"] = db.session.get(LossReason, int(reason_id)) if reason_id.isdecimal() \
            else None
        if stage is not None and stage.kind == StageKind.lost and found["loss_reason"] is None:
            req.errors["loss_reason"] = "Choose a loss reason for leads moved to a lost stage."
    if req.action in ("add_tag", "remove_tag"):
        try:
            req.params["tag_name"] = bulk.clean_tag_name(req.params["tag_name"])
        except DomainError as error:
            req.errors["tag_name"] = error.message
    return found


def _count(req: BulkRequest) -> int:
    if req.everything:
        return listing.count(req.filters, current_user).total
    return bulk.count_targets(req.lead_ids, current_user)


def _panel(req: BulkRequest, status: int = 200, **extra: Any) -> Response:
    context = {"req": req, "label": BULK_ACTIONS[req.action][0], **extra}
    html = render_template("leads/_partials/list_bulk_panel.html", **context)
    return make_response(html, status)


@bp.post("/bulk/confirm")
@login_required
def bulk_confirm() -> Response:
    req = _parse_bulk(request.form)
    models = _param_models(req)
    number = _count(req)
    if not number:
        req.errors["scope"] = ("Check the leads to change, or choose “All matching”."
                               if not req.everything else "No leads match the current filters.")
    status = 422 if req.errors else 200
    return _panel(req, status, number=number, models=models)


def _run(req: BulkRequest, models: dict[str, Any]) -> bulk.BulkResult:
    targets, actor = req.targets, current_user
    if req.action == "assign":
        return bulk.assign_owner(targets, models["owner"], actor)
    if req.action == "stage":
        return bulk.move_to_stage(targets, models["stage"], actor,
                                  loss_reason=models["loss_reason"],
                                  closing_comment=req.params["closing_comment"])
    if req.action == "add_tag":
        return bulk.add_tag(targets, req.params["tag_name"], actor)
    if req.action == "remove_tag":
        return bulk.remove_tag(targets, req.params["tag_name"], actor)
    return bulk.trash(targets, actor)


@bp.post("/bulk")
@login_required
def bulk_apply() -> Response:
    req = _parse_bulk(request.form)
    models = _param_models(req)
    if req.action == "export" or req.errors:
        return _panel(req, 422, number=_count(req), models=models)
    try:
        result = _run(req, models)
    except DomainError as error:
        req.errors[FIELD_OF_ERROR.get(error.field or "", "scope")] = error.message
        return _panel(req, 422, number=_count(req), models=models)
    return _after_bulk(req.filters, result.message)


def _after_bulk(filters: LeadFilters, message: str) -> Response:
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for("leads.index", **filters.query()), 303)
    html = render_template(RESULTS, **_results_context(filters), clear_panel=True)
    return hx_response(html, retarget="#lead-results", reswap="outerHTML",
                       trigger={"toast": {"level": "success", "message": message}})


@bp.post("/bulk/export")
@require("leads.export")
def bulk_export() -> Response:
    """A list page opened before selection export moved to the exporter still posts here:
    send it on to the export page, where the columns and the format are chosen."""
    req = _parse_bulk(request.form)
    return redirect(url_for("imports.export", **_multi(req.export_params())), 303)


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


# --- Trash ---------------------------------------------------------------------------------


@bp.get("/trash")
@require("leads.delete")
def trash() -> Response:
    page = listing.trash_page(current_user, request.args.get("page", ""))
    return render("leads/trash.html", "leads/_partials/list_trash_rows.html", trash=page)


def _trash_ids() -> list[int]:
    ids = [int(value) for value in request.form.getlist("lead_ids") if value.isdecimal()]
    return list(dict.fromkeys(ids))[:1000]


def _after_trash(result: bulk.BulkResult) -> Response:
    if not wants_fragment():
        flash(result.message, "success" if result.done else "warning")
        return redirect(url_for("leads.trash"), 303)
    page = listing.trash_page(current_user, request.form.get("page", ""))
    html = render_template("leads/_partials/list_trash_rows.html", trash=page)
    level = "success" if result.done else "error"
    return hx_response(html, trigger={"toast": {"level": level, "message": result.message}})


@bp.post("/trash/restore")
@require("leads.delete")
def restore() -> Response:
    ids = _trash_ids()
    if not ids:
        return _after_trash(bulk.BulkResult(0, 0, "Check the leads to restore."))
    return _after_trash(bulk.restore(ids, current_user))


@bp.post("/trash/purge")
@require("leads.purge")
def purge() -> Response:
    ids = _trash_ids()
    if not ids:
        return _after_trash(bulk.BulkResult(0, 0, "Check the leads to delete permanently."))
    return _after_trash(bulk.purge(ids, current_user))
