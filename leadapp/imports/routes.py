"""Import and export pages: upload -> map -> preview -> run (progress) -> result; export."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, request, stream_with_context
from flask import url_for as flask_url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..auth.permissions import require
from ..db_types import utcnow
from ..errors import DomainError
from ..extensions import db, htmx
from ..input_guard import body_limit
from ..web import render
from . import export as exporting
from . import services
from .mapping import all_fields
from .models import ImportJob, ImportStatus
from .reading import DELIMITER_LABELS, ENCODING_LABELS
from .worker import job_queue

bp = Blueprint("imports", __name__, url_prefix="/admin/leads")

JOB_PAGE, JOB_PART = "imports/job.html", "imports/_partials/job.html"


def _go(endpoint: str, **values: Any) -> Response:
    """After a write: a soft htmx navigation into #main, or a plain 303 without htmx."""
    url = flask_url_for(endpoint, **values)
    if htmx:
        return Response("", 200, {"HX-Location": json.dumps({"path": url, "target": "#main"})})
    return redirect(url, 303)


def _job(job_id: int) -> ImportJob:
    job = services.job_for(current_user, job_id)
    if job is None:
        abort(404)
    services.mark_if_interrupted(job)
    return job


@bp.app_template_global("import_labels")
def import_labels() -> dict[str, Any]:
    return {"encodings": ENCODING_LABELS, "delimiters": DELIMITER_LABELS,
            "fields": all_fields()}


# ---- upload ----------------------------------------------------------------------------------

def _upload_page(error: str = "", status: int = 200) -> Response:
    return render("imports/new.html", "imports/new.html", status, error=error,
                  jobs=services.recent_jobs(current_user),
                  max_size=services.size_label(services.max_bytes()))


@bp.get("/import")
@require("leads.import")
def new() -> Response:
    return _upload_page()


@bp.post("/import")
@body_limit(lambda: services.max_bytes() + 64 * 1024)  # the file plus room for the form
@require("leads.import")
def create() -> Response:
    upload = request.files.get("file")
    try:
        job = services.create_job(current_user, upload.stream if upload else None,
                                  upload.filename if upload else "")
    except DomainError as error:
        return _upload_page(error.message, error.status)
    return _go("imports.job", job_id=job.id)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Response:
    size = services.size_label(services.max_bytes())
    return _upload_page(f"The file is larger than {size}. Split it into smaller files, or remove "
                        "columns you do not need.", 413)


# ---- one job: mapping, preview, progress, result ---------------------------------------------

def _job_page(job: ImportJob, status: int = 200, **ctx: Any) -> Response:
    step = ctx.pop("step", None) or _step(job)
    extra: dict[str, Any] = {}
    if step == "mapping":
        extra["view"] = ctx.pop("view", None) or services.mapping_view(job, request.args.get(
            "sheet"))
        extra["sources"] = services.value_choices()["sources"]
    elif step == "preview":
        extra["choices"] = services.value_choices()
    elif step == "result":
        extra["undo"] = services.undo_counts(job)
        extra["resumable"] = services.resumable(job)
    return render(JOB_PAGE, JOB_PART, status, job=job, step=step, **extra, **ctx)


def _step(job: ImportJob) -> str:
    if job.status == services.CHECKING:
        return "checking"
    if job.status in services.IN_PROGRESS:
        return "progress"
    if job.status in services.FINISHED:
        return "result"
    if job.status == ImportStatus.previewed and request.args.get("step") != "mapping":
        return "preview"
    return "mapping"


@bp.get("/import/<int:job_id>")
@require("leads.import")
def job(job_id: int) -> Response:
    return _job_page(_job(job_id))


@bp.post("/import/<int:job_id>/mapping")
@require("leads.import")
def save_mapping(job_id: int) -> Response:
    job, form = _job(job_id), request.form
    mapping = {key[4:]: form[key] for key in form if key.startswith("col-") and key[4:].isdecimal()}
    default_source = form.get("default_source", "")
    try:
        problems = services.save_mapping(
            job, sheet=form.get("sheet", job.sheet), mapping=mapping,
            match_keys=[key for key in form.getlist("match_keys") if key in ("email", "phone")],
            mode=form.get("duplicate_mode", ""),
            default_source_id=int(default_source) if default_source.isdecimal() else None)
    except DomainError as error:
        problems = {"mapping": error.message}
    if problems:
        db.session.rollback()
        view = services.mapping_view(job, form.get("sheet"))
        view.mapping = mapping or view.mapping
        return _job_page(job, 422, step="mapping", view=view, problems=problems, form=form)
    job_queue().enqueue(job.id)  # the dry run: the job page polls its progress
    return _go("imports.job", job_id=job.id)


def _value_map(prefix: str) -> dict[str, str]:
    form = request.form
    return {form[f"{prefix}-name-{index}"]: form.get(f"{prefix}-{index}", "new")
            for index in range(services.UNKNOWN_LIMIT) if f"{prefix}-name-{index}" in form}


@bp.post("/import/<int:job_id>/run")
@require("leads.import")
def run(job_id: int) -> Response:
    job = _job(job_id)
    chosen = {"sources": _value_map("source"), "tags": _value_map("tag"),
              "campaigns": _value_map("campaign")}
    try:
        services.start(job, chosen)
    except DomainError as error:
        # Back with the user's choices, not every one reset to "create new".
        return _job_page(job, error.status, step="preview", run_error=error.message,
                         chosen=chosen)
    job_queue().enqueue(job.id)
    return _go("imports.job", job_id=job.id)


@bp.get("/import/<int:job_id>/progress")
@require("leads.import")
def progress(job_id: int) -> Response:
    """The polled progress bar of the dry run or the run; once the job is finished, the
    result replaces it, and once checked, the page of the next step (preview or mapping)."""
    job = _job(job_id)
    if job.status == services.CHECKING:
        return render(JOB_PAGE, "imports/_partials/checking.html", job=job, step="checking")
    if job.status in services.EDITABLE:
        return _go("imports.job", job_id=job.id)
    if job.status in services.IN_PROGRESS:
        return render(JOB_PAGE, "imports/_partials/progress.html", job=job, step="progress")
    return render(JOB_PAGE, "imports/_partials/finished.html", job=job, step="result",
                  undo=services.undo_counts(job), resumable=services.resumable(job))


@bp.post("/import/<int:job_id>/resume")
@require("leads.import")
def resume(job_id: int) -> Response:
    job = _job(job_id)
    try:
        services.resume(job)
    except DomainError as error:
        return _job_page(job, error.status, step="result", undo_error=error.message)
    job_queue().enqueue(job.id)
    return _go("imports.job", job_id=job.id)


@bp.get("/import/<int:job_id>/errors.csv")
@require("leads.import")
def errors_csv(job_id: int) -> Response:
    job = _job(job_id)
    name = f"import-{job.id}-failed-rows.csv"
    body = stream_with_context(chunk.encode() for chunk in services.error_csv(job))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/import/<int:job_id>/undo")
@require("leads.import")
def undo(job_id: int) -> Response:
    job = _job(job_id)
    try:
        services.undo(job, current_user)
    except DomainError as error:
        return _job_page(job, error.status, step="result", undo_error=error.message)
    return _go("imports.job", job_id=job.id)


# ---- export ----------------------------------------------------------------------------------

@bp.get("/export")
@require("leads.export")
def export() -> Response:
    summary = exporting.summary(request.args, current_user)
    return render("imports/export.html", "imports/export.html", summary=summary,
                  columns=exporting.COLUMNS, chosen=exporting.chosen_columns(request.args))


@bp.get("/export/file")
@require("leads.export")
def export_file() -> Response:
    chosen = exporting.chosen_columns(request.args)
    if not chosen:
        summary = exporting.summary(request.args, current_user)
        return render("imports/export.html", "imports/export.html", 422, summary=summary,
                      columns=exporting.COLUMNS, chosen=chosen,
                      error="Choose at least one column.")
    query, what = exporting.lead_query(request.args, current_user)
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    name = f"leads-{what}-{utcnow().strftime('%Y-%m-%d-%H%M')}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        body = stream_with_context(exporting.stream_csv(query, chosen))
        return Response(body, mimetype="text/csv", headers=headers)
    handle = exporting.write_xlsx(query, chosen)
    return current_app.response_class(
        exporting.file_chunks(handle), headers=headers,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
