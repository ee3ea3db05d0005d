"""The kanban board and its moves (/admin/leads/board), pipelines and loss reasons admin."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth.permissions import can, require
from ..errors import Conflict, DomainError, RuleViolation
from ..extensions import db
from ..leads.models import Lead
from ..web import render, wants_fragment
from . import board as boards
from . import services
from .forms import (
    LossReasonForm,
    MoveForm,
    PipelineForm,
    PipelineRenameForm,
    StageDeleteForm,
    StageForm,
    StageOrderForm,
)
from .models import LossReason, Pipeline, Stage

bp = Blueprint("pipeline", __name__, url_prefix="/admin")


# --- Board -----------------------------------------------------------------------------------


def _board_ctx(pipeline: Pipeline, filters: boards.BoardFilters) -> dict[str, Any]:
    headers = boards.column_headers(pipeline, current_user, filters)
    pages = {stage.id: boards.column_page(pipeline, stage, current_user, filters)
             for stage in pipeline.stages}
    return {"pipeline": pipeline, "pipelines": boards.pipelines(), "filters": filters,
            "lead_url": lead_url_prefix(),
            "headers": headers, "pages": pages, "can_move": can(current_user, "leads.edit"),
            "owners": boards.owner_choices(), "sources": boards.source_choices(),
            "tags": boards.tag_choices()}


def lead_url_prefix() -> str:
    """/admin/leads/ — built once per render instead of one url_for per card (300 a board)."""
    return url_for("leads.detail", lead_id=0).removesuffix("0")


def _pipeline_or_404(pipeline_id: int | None) -> Pipeline:
    pipeline = boards.pick_pipeline(pipeline_id)
    if pipeline is None:
        abort(404, description="There is no pipeline yet.")
    return pipeline


@bp.get("/leads/board")
@login_required
def board() -> Response:
    pipeline = _pipeline_or_404(request.args.get("pipeline", type=int))
    ctx = _board_ctx(pipeline, boards.BoardFilters.from_args(request.args))
    return render("pipeline/board.html", "pipeline/_partials/board.html", **ctx)


@bp.get("/leads/board/stages/<int:stage_id>/cards")
@login_required
def column_cards(stage_id: int) -> str:
    """The next page of a column's cards (infinite scroll)."""
    stage = db.get_or_404(Stage, stage_id)
    filters = boards.BoardFilters.from_args(request.args)
    page = boards.column_page(stage.pipeline, stage, current_user, filters,
                              offset=max(request.args.get("offset", 0, type=int), 0))
    return render_template("pipeline/_partials/cards.html", stage=stage, page=page,
                           filters=filters, pipeline=stage.pipeline, lead_url=lead_url_prefix(),
                           can_move=can(current_user, "leads.edit"))


def _visible_lead_or_404(lead_id: int | None) -> Lead:
    lead = boards.visible_lead(lead_id or 0, current_user)
    if lead is None:
        abort(404, description="That lead is gone or not yours to see.")
    return lead


def _move_form() -> MoveForm:
    form = MoveForm()
    reasons = db.session.scalars(select(LossReason).where(LossReason.active.is_(True))
                                 .order_by(LossReason.position, LossReason.name))
    form.loss_reason.choices = [("", "Choose a reason…")] + [(r.id, r.name) for r in reasons]
    return form


@bp.get("/leads/board/lost-dialog")
@require("leads.edit")
def lost_dialog() -> str:
    """The loss reason dialog shown when a card is dropped on the lost column."""
    form = _move_form()
    form.process(request.args)
    lead = _visible_lead_or_404(form.lead_id.data)
    stage = db.get_or_404(Stage, form.stage.data or 0)
    return render_template("pipeline/_partials/lost_dialog.html", form=form, lead=lead,
                           stage=stage, filters=boards.BoardFilters.from_args(request.args))


@bp.post("/leads/board/move")
@require("leads.edit")
def move() -> Response:
    form = _move_form()
    if not form.validate():
        abort(400, description="The move could not be read; reload the board and try again.")
    lead = _visible_lead_or_404(form.lead_id.data)
    stage = db.get_or_404(Stage, form.stage.data)
    from_stage_id = form.from_stage.data or lead.stage_id
    reason = db.session.get(LossReason, form.loss_reason.data) if form.loss_reason.data else None
    try:
        services.change_stage(lead, stage, current_user, version=form.version.data,
                              position=form.position.data, loss_reason=reason,
                              closing_comment=form.closing_comment.data or "",
                              above_id=form.above_id.data, below_id=form.below_id.data)
    except DomainError as error:
        return _move_refused(error, form, lead.id, stage, from_stage_id)
    return _moved(lead, stage, from_stage_id)


def _moved(lead: Lead, stage: Stage, from_stage_id: int) -> Response:
    """200: the changed card, plus both columns' headers and an emptied dialog slot (OOB)."""
    filters = boards.BoardFilters.from_args(request.form)
    headers = boards.column_headers(stage.pipeline, current_user, filters,
                                    only=list({stage.id, from_stage_id}))
    body = render_template("pipeline/_partials/moved.html", card=boards.card_for(lead, stage),
                           headers=headers.values(), filters=filters, pipeline=stage.pipeline,
                           can_move=True, lead_url=lead_url_prefix())
    response = make_response(body, 200)
    response.headers.update({"HX-Retarget": f"#lead-card-{lead.id}", "HX-Reswap": "outerHTML",
                             "HX-Trigger": json.dumps({"lead-moved": {"lead": lead.id}})})
    return response


def _move_refused(error: DomainError, form: MoveForm, lead_id: int, stage: Stage,
                  from_stage_id: int) -> Response:
    """422 in the lost dialog re-renders it; otherwise refresh the columns so the card snaps
    back where it really is, and say why in a toast."""
    db.session.rollback()
    lead = _visible_lead_or_404(lead_id)
    if isinstance(error, RuleViolation) and error.field in ("loss_reason", "closing_comment"):
        getattr(form, error.field).errors = [error.message]
        body = render_template("pipeline/_partials/lost_form.html", form=form, lead=lead,
                               stage=stage, filters=boards.BoardFilters.from_args(request.form))
        response = make_response(body, 422)
        response.headers.update({"HX-Retarget": "#lost-form", "HX-Reswap": "outerHTML"})
        return response
    return _columns_response(error, stage.pipeline, {stage.id, from_stage_id, lead.stage_id})


def _columns_response(error: DomainError, pipeline: Pipeline, stage_ids: set[int]) -> Response:
    filters = boards.BoardFilters.from_args(request.form)
    stages = [stage for stage in pipeline.stages if stage.id in stage_ids]
    headers = boards.column_headers(pipeline, current_user, filters, only=list(stage_ids))
    pages = {stage.id: boards.column_page(pipeline, stage, current_user, filters)
             for stage in stages}
    body = render_template("pipeline/_partials/columns_oob.html", stages=stages, headers=headers,
                           pages=pages, filters=filters, pipeline=pipeline, can_move=True,
                           lead_url=lead_url_prefix())
    level = "warning" if isinstance(error, Conflict) else "error"
    response = make_response(body, error.status)
    response.headers.update({"HX-Reswap": "none", "HX-Trigger": json.dumps(
        {"toast": {"level": level, "message": error.message}})})
    return response


# --- Pipelines admin -------------------------------------------------------------------------


def _pipelines_ctx(pipeline: Pipeline | None, **forms: Any) -> dict[str, Any]:
    stage_forms = forms.pop("stage_forms", {})
    if pipeline is not None:
        for stage in pipeline.stages:
            stage_forms.setdefault(stage.id, StageForm(obj=stage, prefix=f"stage-{stage.id}",
                                                       formdata=None))
    return {
        "pipelines": boards.pipelines(), "pipeline": pipeline, "stage_forms": stage_forms,
        "counts": services.stage_lead_counts(pipeline) if pipeline else {},
        "create_form": forms.pop("create_form", None) or PipelineForm(formdata=None),
        "rename_form": forms.pop("rename_form", None)
        or PipelineRenameForm(obj=pipeline, formdata=None),
        "add_form": forms.pop("add_form", None) or StageForm(prefix="new-stage", formdata=None),
        "order_form": StageOrderForm(formdata=None),
    }


def _pipelines_page(pipeline: Pipeline | None, status: int = 200, **forms: Any) -> Response:
    return render("pipeline/pipelines.html", "pipeline/_partials/pipelines_admin.html",
                  status=status, **_pipelines_ctx(pipeline, **forms))


def _pipelines_done(pipeline: Pipeline | None, message: str = "") -> Response:
    """After a successful write: the refreshed panel for htmx, PRG otherwise."""
    target = url_for("pipeline.pipelines", pipeline=pipeline.id if pipeline else None)
    if not wants_fragment():
        return redirect(target, 303)
    response = _pipelines_page(pipeline)
    if message:
        response.headers["HX-Trigger"] = json.dumps({"toast": {"level": "success",
                                                                "message": message}})
    response.headers["HX-Push-Url"] = target
    return response


def _refused(error: DomainError, pipeline: Pipeline | None, form: Any | None = None,
             **forms: Any) -> Response:
    """422: the same panel with the user's input and the message next to the field."""
    db.session.rollback()
    if form is not None and error.field and hasattr(form, error.field):
        getattr(form, error.field).errors = [error.message]
    response = _pipelines_page(pipeline, status=error.status, **forms)
    if form is None or not error.field:
        response.headers["HX-Trigger"] = json.dumps({"toast": {"level": "error",
                                                                "message": error.message}})
    return response


@bp.get("/pipelines")
@require("pipelines.manage")
def pipelines() -> Response:
    return _pipelines_page(boards.pick_pipeline(request.args.get("pipeline", type=int)))


@bp.post("/pipelines")
@require("pipelines.manage")
def create_pipeline() -> Response:
    form = PipelineForm()
    current = boards.pick_pipeline(request.args.get("pipeline", type=int))
    if not form.validate():
        return _pipelines_page(current, status=422, create_form=form)
    try:
        pipeline = services.create_pipeline(form.name.data, make_default=form.make_default.data)
    except DomainError as error:
        return _refused(error, current, form, create_form=form)
    return _pipelines_done(pipeline, f"Pipeline “{pipeline.name}” created.")


@bp.post("/pipelines/<int:pipeline_id>")
@require("pipelines.manage")
def update_pipeline(pipeline_id: int) -> Response:
    pipeline = db.get_or_404(Pipeline, pipeline_id)
    form = PipelineRenameForm()
    if not form.validate():
        return _pipelines_page(pipeline, status=422, rename_form=form)
    try:
        services.rename_pipeline(pipeline, form.name.data)
    except DomainError as error:
        return _refused(error, pipeline, form, rename_form=form)
    return _pipelines_done(pipeline, "Pipeline renamed.")


@bp.post("/pipelines/<int:pipeline_id>/default")
@require("pipelines.manage")
def make_default(pipeline_id: int) -> Response:
    pipeline = db.get_or_404(Pipeline, pipeline_id)
    services.set_default_pipeline(pipeline)
    return _pipelines_done(pipeline, f"“{pipeline.name}” is now the default pipeline.")


@bp.post("/pipelines/<int:pipeline_id>/delete")
@require("pipelines.manage")
def delete_pipeline(pipeline_id: int) -> Response:
    pipeline = db.get_or_404(Pipeline, pipeline_id)
    try:
        services.delete_pipeline(pipeline)
    except DomainError as error:
        return _refused(error, pipeline)
    return _pipelines_done(boards.pick_pipeline(None), "Pipeline deleted.")


@bp.post("/pipelines/<int:pipeline_id>/stages")
@require("pipelines.manage")
def add_stage(pipeline_id: int) -> Response:
    pipeline = db.get_or_404(Pipeline, pipeline_id)
    form = StageForm(prefix="new-stage")
    if not form.validate():
        return _pipelines_page(pipeline, status=422, add_form=form)
    try:
        stage = services.add_stage(pipeline, form.name.data, form.probability.data,
                                   form.stale_after_days.data)
    except DomainError as error:
        return _refused(error, pipeline, form, add_form=form)
    return _pipelines_done(pipeline, f"Stage “{stage.name}” added.")


@bp.post("/pipelines/stages/<int:stage_id>")
@require("pipelines.manage")
def update_stage(stage_id: int) -> Response:
    stage = db.get_or_404(Stage, stage_id)
    form = StageForm(prefix=f"stage-{stage.id}")
    if not form.validate():
        return _pipelines_page(stage.pipeline, status=422, stage_forms={stage.id: form})
    try:
        services.update_stage(stage, form.name.data, form.probability.data,
                              form.stale_after_days.data)
    except DomainError as error:
        return _refused(error, stage.pipeline, form, stage_forms={stage.id: form})
    return _pipelines_done(stage.pipeline, f"Stage “{stage.name}” saved.")


@bp.post("/pipelines/<int:pipeline_id>/stages/order")
@require("pipelines.manage")
def reorder_stages(pipeline_id: int) -> Response:
    pipeline = db.get_or_404(Pipeline, pipeline_id)
    ids = StageOrderForm().ids()
    if ids is None:
        abort(400, description="The new stage order could not be read.")
    try:
        services.reorder_stages(pipeline, ids)
    except DomainError as error:
        return _refused(error, pipeline)
    return _pipelines_done(pipeline)


@bp.post("/pipelines/stages/<int:stage_id>/shift")
@require("pipelines.manage")
def shift_stage(stage_id: int) -> Response:
    stage = db.get_or_404(Stage, stage_id)
    try:
        services.shift_stage(stage, -1 if request.form.get("direction") == "up" else 1)
    except DomainError as error:
        return _refused(error, stage.pipeline)
    return _pipelines_done(stage.pipeline)


def _delete_form(stage: Stage) -> StageDeleteForm:
    form = StageDeleteForm()
    others = [s for s in stage.pipeline.stages if not s.is_closed and s.id != stage.id]
    form.move_to.choices = [("", "Choose a stage…")] + [(s.id, s.name) for s in others]
    return form


@bp.get("/pipelines/stages/<int:stage_id>/delete")
@require("pipelines.manage")
def delete_stage_dialog(stage_id: int) -> Response:
    """Asks where the stage's leads go before deleting it."""
    stage = db.get_or_404(Stage, stage_id)
    return render("pipeline/delete_stage.html", "pipeline/_partials/delete_stage_dialog.html",
                  stage=stage, form=_delete_form(stage), count=services.leads_in_stage(stage))


@bp.post("/pipelines/stages/<int:stage_id>/delete")
@require("pipelines.manage")
def delete_stage(stage_id: int) -> Response:
    stage = db.get_or_404(Stage, stage_id)
    pipeline, form, name = stage.pipeline, _delete_form(stage), stage.name
    target = db.session.get(Stage, form.move_to.data) if form.move_to.data else None
    try:
        moved = services.delete_stage(stage, current_user, target)
    except DomainError as error:
        db.session.rollback()
        if error.field == "move_to":
            form.move_to.errors = [error.message]
        response = render("pipeline/delete_stage.html",
                          "pipeline/_partials/delete_stage_dialog.html", status=error.status,
                          stage=stage, form=form, error=error,
                          count=services.leads_in_stage(stage))
        response.headers.update({"HX-Retarget": "#dialog-slot", "HX-Reswap": "innerHTML"})
        return response
    note = f" {moved} lead(s) moved to “{target.name}”." if moved and target else ""
    return _pipelines_done(pipeline, f"Stage “{name}” deleted.{note}")


# --- Loss reasons ----------------------------------------------------------------------------


def _reasons_page(status: int = 200, **forms: Any) -> Response:
    reasons = db.session.scalars(select(LossReason).order_by(LossReason.active.desc(),
                                                             LossReason.position,
                                                             LossReason.name)).all()
    edit_forms = forms.pop("edit_forms", {})
    for reason in reasons:
        edit_forms.setdefault(reason.id, LossReasonForm(obj=reason, prefix=f"reason-{reason.id}",
                                                        formdata=None))
    return render("pipeline/loss_reasons.html", "pipeline/_partials/loss_reasons_admin.html",
                  status=status, reasons=reasons, usage=services.loss_reason_usage(),
                  edit_forms=edit_forms,
                  add_form=forms.pop("add_form", None) or LossReasonForm(formdata=None))


def _reasons_done(message: str) -> Response:
    if not wants_fragment():
        return redirect(url_for("pipeline.loss_reasons"), 303)
    response = _reasons_page()
    response.headers["HX-Trigger"] = json.dumps({"toast": {"level": "success",
                                                            "message": message}})
    return response


def _reason_refused(error: DomainError, form: Any | None = None, **forms: Any) -> Response:
    db.session.rollback()
    if form is not None and error.field:
        form.name.errors = [error.message]
    response = _reasons_page(status=error.status, **forms)
    if form is None:
        response.headers["HX-Trigger"] = json.dumps({"toast": {"level": "error",
                                                                "message": error.message}})
    return response


@bp.get("/loss-reasons")
@require("pipelines.manage")
def loss_reasons() -> Response:
    return _reasons_page()


@bp.post("/loss-reasons")
@require("pipelines.manage")
def create_loss_reason() -> Response:
    form = LossReasonForm()
    if not form.validate():
        return _reasons_page(status=422, add_form=form)
    try:
        reason = services.create_loss_reason(form.name.data)
    except DomainError as error:
        return _reason_refused(error, form, add_form=form)
    return _reasons_done(f"Loss reason “{reason.name}” added.")


@bp.post("/loss-reasons/<int:reason_id>")
@require("pipelines.manage")
def update_loss_reason(reason_id: int) -> Response:
    reason = db.get_or_404(LossReason, reason_id)
    form = LossReasonForm(prefix=f"reason-{reason.id}")
    if not form.validate():
        return _reasons_page(status=422, edit_forms={reason.id: form})
    try:
        services.rename_loss_reason(reason, form.name.data)
    except DomainError as error:
        return _reason_refused(error, form, edit_forms={reason.id: form})
    return _reasons_done("Loss reason renamed.")


@bp.post("/loss-reasons/<int:reason_id>/active")
@require("pipelines.manage")
def toggle_loss_reason(reason_id: int) -> Response:
    reason = db.get_or_404(LossReason, reason_id)
    active = request.form.get("active") == "1"
    services.set_loss_reason_active(reason, active)
    return _reasons_done(f"“{reason.name}” {'is offered again' if active else 'deactivated'}.")


@bp.post("/loss-reasons/<int:reason_id>/delete")
@require("pipelines.manage")
def delete_loss_reason(reason_id: int) -> Response:
    reason = db.get_or_404(LossReason, reason_id)
    name = reason.name
    try:
        services.delete_loss_reason(reason)
    except DomainError as error:
        return _reason_refused(error)
    return _reasons_done(f"Loss reason “{name}” deleted.")
