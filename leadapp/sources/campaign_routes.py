"""The campaigns pages: list with filters and inline create/edit, campaign page with its leads."""

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
from ..errors import DomainError
from ..extensions import db, htmx
from ..web import render
from . import campaigns as services
from .forms import CAMPAIGN_EDITABLE, CampaignForm
from .models import Campaign
from .services import STATUSES

# Ids beyond the 32-bit id columns are a plain 404, never a database error.
CAMPAIGN = "<int(max=2147483647):campaign_id>"

bp = Blueprint("campaigns", __name__, url_prefix="/admin/campaigns")


def _int_arg(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdecimal() and len(raw) < 10 else default


def _filters() -> services.CampaignFilters:
    status, sort = request.args.get("status", "all"), request.args.get("sort", "name")
    return services.CampaignFilters(
        q=request.args.get("q", "").strip()[:100],
        status=status if status in STATUSES else "all", source_id=_int_arg("source"),
        sort=sort if sort in services.SORTS else "name",
        desc=request.args.get("dir") == "desc", page=_int_arg("page", 1) or 1)


def _source_choices(form: Any) -> Any:
    choices = [("", "— No source —")] + [(s.id, s.name) for s in services.all_sources()]
    for name in ("source_id",):
        if name in form:
            form[name].choices = choices
    return form


def _list_context(form: CampaignForm | None = None) -> dict[str, Any]:
    filters = _filters()
    return {"filters": filters, "result": services.list_campaigns(filters, current_user),
            "form": _source_choices(form or CampaignForm(formdata=None)),
            "sources": services.all_sources()}


@bp.get("")
@require("sources.view")
def index() -> Response:
    return render("campaigns/index.html", "campaigns/_partials/table.html", **_list_context())


@bp.post("")
@require("campaigns.manage")
def create() -> Response:
    form = _source_choices(CampaignForm())
    try:
        if form.validate():
            campaign = services.create_campaign(
                form.name.data, form.source_id.data, form.start_date.data, form.end_date.data,
                form.budget.data, form.active.data)
            return _created(campaign)
    except DomainError as error:
        form[error.field or "name"].errors.append(error.message)
    if htmx:
        return make_response(render_template("campaigns/_partials/create_form.html", form=form),
                             422)
    return render("campaigns/index.html", "campaigns/_partials/table.html", 422,
                  **_list_context(form))


def _created(campaign: Campaign) -> Response:
    message = f"Campaign “{campaign.name}” added."
    if not htmx:
        flash(message, "success")
        return redirect(url_for("campaigns.index"), 303)
    body = render_template("campaigns/_partials/create_form.html",
                           form=_source_choices(CampaignForm(formdata=None)))
    trigger = {"toast": {"level": "success", "message": message}, "campaigns-changed": True}
    return make_response(body, 200, trigger=trigger)


def _load(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id, description="There is no such campaign.")


@bp.get(f"/{CAMPAIGN}")
@require("sources.view")
def detail(campaign_id: int) -> Response:
    campaign = _load(campaign_id)
    return render("campaigns/detail.html", "campaigns/_partials/detail_body.html",
                  campaign=campaign, row=services.campaign_row(campaign, current_user),
                  leads=services.campaign_leads(campaign, current_user),
                  lead_links="leads.detail" in current_app.view_functions)


def _editable(field: str) -> type:
    if field not in CAMPAIGN_EDITABLE:
        abort(404, description="That field cannot be edited here.")
    return CAMPAIGN_EDITABLE[field]


@bp.get(f"/{CAMPAIGN}/fields/<field>")
@require("sources.view")
def field_display(campaign_id: int, field: str) -> str:
    _editable(field)
    return render_template("campaigns/_partials/field_display.html", campaign=_load(campaign_id),
                           field=field)


@bp.get(f"/{CAMPAIGN}/fields/<field>/form")
@require("campaigns.manage")
def field_form(campaign_id: int, field: str) -> str:
    campaign = _load(campaign_id)
    form = _source_choices(_editable(field)(obj=campaign, formdata=None))
    return render_template("campaigns/_partials/field_form.html", campaign=campaign, field=field,
                           form=form)


@bp.put(f"/{CAMPAIGN}/fields/<field>")
@require("campaigns.manage")
def update_field(campaign_id: int, field: str) -> Response:
    campaign, form = _load(campaign_id), _source_choices(_editable(field)())
    status = 422
    try:
        if form.validate():
            services.update_campaign(campaign, **{field: form[field].data})
            return make_response(render_template("campaigns/_partials/field_display.html",
                                                 campaign=campaign, field=field))
    except DomainError as error:
        form[field].errors.append(error.message)
        status = error.status
    return make_response(render_template("campaigns/_partials/field_form.html",
                                         campaign=campaign, field=field, form=form), status)


@bp.post(f"/{CAMPAIGN}/active")
@require("campaigns.manage")
def toggle(campaign_id: int) -> Response:
    campaign = _load(campaign_id)
    services.update_campaign(campaign, active=request.form.get("active") == "1")
    message = f"“{campaign.name}” is now {'active' if campaign.active else 'inactive'}."
    if request.form.get("view") == "status":
        body = render_template("campaigns/_partials/status.html", campaign=campaign)
    else:
        body = render_template("campaigns/_partials/row.html",
                               row=services.campaign_row(campaign, current_user))
    return make_response(body, 200, trigger={"toast": {"level": "success", "message": message}})
