"""The lead sources pages: list with inline create/edit, source page, delete, merge, bulk."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_htmx import make_response
from flask_login import current_user

from ..auth.permissions import require
from ..errors import DomainError, RuleViolation
from ..extensions import db, htmx
from ..web import render, wants_fragment
from . import services
from .forms import SOURCE_EDITABLE, MergeForm, SourceForm
from .models import LeadSource

# Ids beyond the 32-bit id columns are a plain 404, never a database error.
SOURCE = "<int(max=2147483647):source_id>"

bp = Blueprint("sources", __name__, url_prefix="/admin/leads/sources")

BULK_ACTIONS = ("activate", "deactivate", "delete", "merge")


def _int_arg(name: str, default: int = 1) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdecimal() and len(raw) < 7 else default


def _filters() -> services.SourceFilters:
    status = request.args.get("status", "all")
    sort = request.args.get("sort", "name")
    return services.SourceFilters(
        q=request.args.get("q", "").strip()[:100],
        status=status if status in services.STATUSES else "all",
        sort=sort if sort in services.SORTS else "name",
        desc=request.args.get("dir") == "desc", page=_int_arg("page"))


def _toast(message: str, level: str = "success", **more: Any) -> dict[str, Any]:
    return {"toast": {"level": level, "message": message}, **more}


def _list_context(form: SourceForm | None = None) -> dict[str, Any]:
    filters = _filters()
    return {"filters": filters, "result": services.list_sources(filters, current_user),
            "form": form or SourceForm(formdata=None), "targets": services.other_sources([]),
            "oob": wants_fragment()}


@bp.get("")
@require("sources.view")
def index() -> Response:
    return render("sources/index.html", "sources/_partials/table.html", **_list_context())


@bp.post("")
@require("sources.manage")
def create() -> Response:
    form = SourceForm()
    try:
        if form.validate():
            source = services.create_source(form.name.data, form.description.data,
                                            form.active.data, current_user)
            return _created(source)
    except DomainError as error:
        form[error.field or "name"].errors.append(error.message)
    if htmx:
        return make_response(render_template("sources/_partials/create_form.html", form=form),
                             422)
    return render("sources/index.html", "sources/_partials/table.html", 422,
                  **_list_context(form))


def _created(source: LeadSource) -> Response:
    message = f"Source “{source.name}” added."
    if not htmx:
        flash(message, "success")
        return redirect(url_for("sources.index"), 303)
    body = render_template("sources/_partials/create_form.html", form=SourceForm(formdata=None))
    return make_response(body, 200, trigger=_toast(message, **{"sources-changed": True}))


def _load(source_id: int) -> LeadSource:
    return db.get_or_404(LeadSource, source_id, description="There is no such lead source.")


@bp.get(f"/{SOURCE}")
@require("sources.view")
def detail(source_id: int) -> Response:
    source = _load(source_id)
    return render("sources/detail.html", "sources/_partials/detail_body.html", source=source,
                  row=services.source_row(source, current_user),
                  leads=services.recent_leads(source, current_user),
                  lead_links="leads.detail" in current_app.view_functions)


def _editable(field: str) -> type:
    if field not in SOURCE_EDITABLE:
        abort(404, description="That field cannot be edited here.")
    return SOURCE_EDITABLE[field]


@bp.get(f"/{SOURCE}/fields/<field>")
@require("sources.view")
def field_display(source_id: int, field: str) -> str:
    _editable(field)
    return render_template("sources/_partials/field_display.html", source=_load(source_id),
                           field=field, ctx=request.args.get("ctx", ""))


@bp.get(f"/{SOURCE}/fields/<field>/form")
@require("sources.manage")
def field_form(source_id: int, field: str) -> str:
    source = _load(source_id)
    form = _editable(field)(obj=source, formdata=None)
    return render_template("sources/_partials/field_form.html", source=source, field=field,
                           form=form, ctx=request.args.get("ctx", ""))


@bp.put(f"/{SOURCE}/fields/<field>")
@require("sources.manage")
def update_field(source_id: int, field: str) -> Response:
    source, form = _load(source_id), _editable(field)()
    ctx, status = request.form.get("ctx", ""), 422
    try:
        if form.validate():
            services.update_source(source, current_user, **{field: form[field].data})
            return make_response(render_template("sources/_partials/field_display.html",
                                                 source=source, field=field, ctx=ctx))
    except DomainError as error:
        form[field].errors.append(error.message)
        status = error.status
    return make_response(render_template("sources/_partials/field_form.html", source=source,
                                         field=field, form=form, ctx=ctx), status)


@bp.post(f"/{SOURCE}/active")
@require("sources.manage")
def toggle(source_id: int) -> Response:
    source = _load(source_id)
    services.update_source(source, current_user,
                           active=request.form.get("active") == "1")
    message = f"“{source.name}” is now {'active' if source.active else 'inactive'}."
    if request.form.get("view") == "status":
        body = render_template("sources/_partials/status.html", source=source)
    else:
        body = render_template("sources/_partials/row.html",
                               row=services.source_row(source, current_user))
    return make_response(body, 200, trigger=_toast(message))


@bp.delete(f"/{SOURCE}")
@require("sources.manage")
def delete(source_id: int) -> Response:
    source = _load(source_id)
    name = source.name
    try:
        services.delete_source(source, current_user)
    except DomainError as error:
        return _merge_offer(source, error.message, error.status)
    if request.args.get("from") == "detail":
        flash(f"Source “{name}” deleted.", "success")
        return make_response("", 200, redirect=url_for("sources.index"))
    return make_response("", 200, trigger=_toast(f"Source “{name}” deleted.",
                                                 **{"sources-changed": True}))


def _merge_offer(source: LeadSource, message: str, status: int = 200,
                 form: MergeForm | None = None) -> Response:
    form = form or MergeForm(formdata=None)
    targets = services.other_sources([source.id])
    form.target_id.choices = [("", "Choose a source…")] + [(t.id, t.name) for t in targets]
    body = render_template("sources/_partials/merge_panel.html", source=source, form=form,
                           message=message, origin=request.values.get("from", "list"))
    return make_response(body, status, retarget="#source-dialog", reswap="innerHTML")


@bp.get(f"/{SOURCE}/merge")
@require("sources.manage")
def merge_form(source_id: int) -> Response:
    source = _load(source_id)
    used = services.usage(source.id)
    message = (services.in_use_message(source.name, used) if used
               else f"“{source.name}” has no leads yet.")
    return _merge_offer(source, message)


@bp.post(f"/{SOURCE}/merge")
@require("sources.manage")
def merge(source_id: int) -> Response:
    source = _load(source_id)
    form = MergeForm()
    form.target_id.choices = [(t.id, t.name) for t in services.other_sources([source.id])]
    if not form.validate():
        return _merge_offer(source, "Pick the source to merge into.", 422, form)
    target, name = _load(form.target_id.data), source.name
    moved = services.merge_sources([source], target, current_user)
    message = f"Merged “{name}” into “{target.name}”: {moved} lead(s) moved."
    if request.form.get("from") == "detail" or not htmx:
        flash(message, "success")
        url = (url_for("sources.detail", source_id=target.id) if htmx
               else url_for("sources.index"))
        return make_response("", 200, redirect=url) if htmx else redirect(url, 303)
    return make_response("", 200, trigger=_toast(message, **{"sources-changed": True}))


def _bulk_sources() -> list[LeadSource]:
    return services.sources_by_ids(request.form.getlist("source_ids"))


@bp.post("/bulk")
@require("sources.manage")
def bulk() -> Response:
    action, sources = request.form.get("action", ""), _bulk_sources()
    if action not in BULK_ACTIONS or not sources:
        lines = ["Tick at least one source first." if not sources else "Pick an action."]
        return make_response(render_template("sources/_partials/bulk_result.html", lines=lines,
                                             level="error"), 422)
    try:
        lines = _run_bulk(action, sources)
    except DomainError as error:
        return make_response(render_template("sources/_partials/bulk_result.html",
                                             lines=[error.message], level="error"), 422)
    if not htmx:  # a plain form post: report on the list page
        flash(" ".join(lines), "success")
        return redirect(url_for("sources.index"), 303)
    body = render_template("sources/_partials/bulk_result.html", lines=lines, level="success")
    return make_response(body, 200, trigger={"sources-changed": True})


def _run_bulk(action: str, sources: list[LeadSource]) -> list[str]:
    if action in ("activate", "deactivate"):
        changed = services.bulk_set_active(sources, action == "activate", current_user)
        return [f"{action.capitalize()}d {changed} of {len(sources)} selected source(s)."]
    if action == "delete":
        result = services.bulk_delete(sources, current_user)
        return [f"Deleted {len(result.deleted)} source(s)."
                + (f" Kept {len(result.kept)} in use:" if result.kept else ""), *result.kept]
    target_id = services.valid_id(request.form.get("target_id"))
    target = db.session.get(LeadSource, target_id) if target_id else None
    if target is None:
        raise RuleViolation("Pick the source to merge the selected ones into.")
    merged = [source for source in sources if source.id != target.id]
    moved = services.merge_sources(merged, target, current_user)
    return [f"Merged {len(merged)} source(s) into “{target.name}”: {moved} lead(s) moved."]


@bp.post("/export")
@require("sources.manage")
def export() -> Response:
    sources = _bulk_sources() or [row.source for row in services.list_sources(
        services.SourceFilters(per_page=10_000), current_user).rows]
    response = make_response(services.export_csv(sources))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = 'attachment; filename="lead-sources.csv"'
    return response
