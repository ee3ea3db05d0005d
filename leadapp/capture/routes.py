"""Admin pages for capture forms: list, settings, embed code, preview, funnel and submissions."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_htmx import make_response as hx_response
from flask_login import current_user

from ..auth.permissions import require
from ..errors import DomainError
from ..extensions import db
from ..web import render
from . import services, stats, submissions
from .forms import CaptureFormForm, build_form
from .models import CaptureForm, Submission

bp = Blueprint("capture", __name__, url_prefix="/admin/forms")

NEW_KEY = "capture_new_api_key"


@bp.app_template_global("capture_lead_url")
def lead_url(lead_id: int) -> str | None:
    """The lead page, once the leads feature provides it."""
    if "leads.detail" not in current_app.view_functions:
        return None
    return url_for("leads.detail", lead_id=lead_id)


@bp.app_template_global("capture_leads_link")
def leads_link(form: CaptureForm) -> tuple[str, str] | None:
    """(url, label) of the lead list narrowed to this form's leads: by `ref` once the list can
    filter on it, until then by the form's source and campaign."""
    if "leads.index" not in current_app.view_functions:
        return None
    from ..leads.listing import FILTER_KEYS

    if "ref" in FILTER_KEYS:
        return url_for("leads.index", ref=f"form:{form.id}"), "See the leads"
    extra = {"campaign": form.campaign_id} if form.campaign_id else {}
    label = "Leads with this source and campaign" if extra else "Leads with this source"
    return url_for("leads.index", source=form.source_id, **extra), label


def _load(form_id: int) -> CaptureForm:
    return db.get_or_404(CaptureForm, form_id)


def _remember_key(form: CaptureForm, plain: str) -> None:
    """Show a new API key exactly once, on the next render of the form page."""
    session[NEW_KEY] = {"form_id": form.id, "key": plain}


def _take_key(form: CaptureForm) -> str | None:
    kept = session.get(NEW_KEY)
    if kept and kept.get("form_id") == form.id:
        session.pop(NEW_KEY)
        return kept.get("key")
    return None


@bp.get("")
@require("forms.manage")
def index() -> Response:
    forms = services.all_forms()
    return render("capture/index.html", "capture/_partials/table.html", forms=forms,
                  totals=stats.totals_by_form())


@bp.get("/new")
@require("forms.manage")
def new() -> Response:
    form = build_form(services.choices(), defaults=services.default_settings())
    return render("capture/new.html", "capture/_partials/settings.html", form=form, capture=None)


def _save_failed(form: CaptureFormForm, error: DomainError,
                 capture: CaptureForm | None) -> Response:
    db.session.rollback()
    target = getattr(form, error.field or "", None)
    if target is not None and isinstance(target.errors, list):
        target.errors.append(error.message)
    else:  # a rule over several fields (which lead fields show) is shown above them
        form.form_errors.append(error.message)
    page = "capture/edit.html" if capture else "capture/new.html"
    return render(page, "capture/_partials/settings.html", 422, form=form, capture=capture)


@bp.post("")
@require("forms.manage")
def create() -> Response:
    form = build_form(services.choices())
    if not form.validate():
        return render("capture/new.html", "capture/_partials/settings.html", 422, form=form,
                      capture=None)
    try:
        capture, plain = services.create_form(form.settings())
    except DomainError as error:
        return _save_failed(form, error, None)
    _remember_key(capture, plain)
    flash(f"Form “{capture.name}” created. Copy the embed code below.", "success")
    return _go(url_for("capture.detail", form_id=capture.id))


def _go(url: str) -> Response:
    """PRG for plain posts; HX-Redirect for boosted ones (htmx can't see a 3xx). Not HX-Location:
    its partial GET would get the form page's submissions fragment instead of the page."""
    if request.headers.get("HX-Request"):
        return hx_response("", 204, redirect=url)
    return redirect(url, 303)


@bp.get("/<int:form_id>")
@require("forms.manage")
def detail(form_id: int) -> Response:
    capture = _load(form_id)
    which = request.args.get("show", "all")
    which = which if which in stats.FILTERS else "all"
    total, rows = stats.funnel(capture)
    return render("capture/detail.html", "capture/_partials/submissions.html", capture=capture,
                  new_key=_take_key(capture), total=total, funnel_rows=rows, which=which,
                  subs=stats.submissions_page(capture, which, request.args.get("page", 1, int)),
                  counts=stats.tab_counts(capture), origins=services.form_origins(capture))


@bp.get("/<int:form_id>/edit")
@require("forms.manage")
def edit(form_id: int) -> Response:
    capture = _load(form_id)
    form = build_form(services.choices(), capture)
    return render("capture/edit.html", "capture/_partials/settings.html", form=form,
                  capture=capture)


@bp.post("/<int:form_id>")
@require("forms.manage")
def update(form_id: int) -> Response:
    capture = _load(form_id)
    form = build_form(services.choices(), capture)
    if not form.validate():
        return render("capture/edit.html", "capture/_partials/settings.html", 422, form=form,
                      capture=capture)
    try:
        services.update_form(capture, form.settings())
    except DomainError as error:
        return _save_failed(form, error, capture)
    flash("Form saved.", "success")
    return _go(url_for("capture.detail", form_id=capture.id))


@bp.post("/<int:form_id>/active")
@require("forms.manage")
def set_active(form_id: int) -> Response:
    capture = services.set_active(_load(form_id), request.form.get("active") == "1")
    state = "is live again" if capture.active else "is deactivated: it no longer takes submissions"
    flash(f"“{capture.name}” {state}.", "success")
    return _go(url_for("capture.detail", form_id=capture.id))


@bp.post("/<int:form_id>/api-key")
@require("forms.manage")
def regenerate_key(form_id: int) -> Response:
    capture = _load(form_id)
    _remember_key(capture, services.regenerate_api_key(capture))
    flash("A new API key was made; the old key no longer works.", "success")
    return _go(url_for("capture.detail", form_id=capture.id, _anchor="api"))


@bp.post("/<int:form_id>/submissions/<int:submission_id>/release")
@require("forms.manage")
def release(form_id: int, submission_id: int) -> Response:
    """"Not spam" from the quarantine, or "process again" after a failure."""
    capture = _load(form_id)
    row = db.get_or_404(Submission, submission_id)
    if row.form_id != capture.id:
        abort(404)
    try:
        row = submissions.release(row, current_user)
    except DomainError as error:
        abort(409, description=error.message)
    if not request.headers.get("HX-Request"):
        return redirect(url_for("capture.detail", form_id=capture.id, show="all"), 303)
    message = (f"Lead #{row.lead_id} created from submission #{row.id}." if row.lead_id
               else f"Processing failed again: {row.error}")
    which = request.form.get("show", "all")
    body = render_template("capture/_partials/submission_row.html", capture=capture, row=row,
                           counts=stats.tab_counts(capture), oob=True,
                           which=which if which in stats.FILTERS else "all")
    level = "success" if row.lead_id else "error"
    return hx_response(body, 200, trigger={"toast": {"level": level, "message": message}})
