"""Spend panels on the source and campaign pages: list, record, edit, delete, import a CSV."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, request, url_for

from ..auth.permissions import require
from ..errors import DomainError
from ..extensions import db, htmx
from ..sources import spend as services
from ..sources.models import Campaign, LeadSource, Spend
from ..web import render
from .spend_forms import SpendForm, SpendImportForm

ID = "<int(max=2147483647):{}>"
bp = Blueprint("spend", __name__, url_prefix="/admin")

SOURCE_URL = "/leads/sources/" + ID.format("source_id") + "/spend"
CAMPAIGN_URL = "/campaigns/" + ID.format("campaign_id") + "/spend"
ITEM_URL = "/spend/" + ID.format("spend_id")
PANEL_ROWS = 12  # the newest rows; "Show all" lists the rest


def _owner(source_id: int | None, campaign_id: int | None) -> tuple[LeadSource, Campaign | None]:
    if campaign_id is not None:
        campaign = db.get_or_404(Campaign, campaign_id)
        if campaign.source is None:
            abort(404, description="Give the campaign a source before recording its spend.")
        return campaign.source, campaign
    return db.get_or_404(LeadSource, source_id), None


def _form(source: LeadSource, campaign: Campaign | None, spend: Spend | None = None,
          prefix: str = "spend", **kwargs: Any) -> SpendForm:
    """The add form (prefix "spend") or a row's edit form ("edit"): distinct ids on one page."""
    form = SpendForm(obj=spend, prefix=prefix, **kwargs)
    choices: list[tuple[Any, str]] = [("", "— no campaign —")]
    choices += [(item.id, item.name) for item in source.campaigns]
    form.campaign_id.choices = choices if campaign is None else [(campaign.id, campaign.name)]
    if campaign is not None:
        form.campaign_id.data = campaign.id
    return form


def _panel(source: LeadSource, campaign: Campaign | None, status: int = 200, **ctx: Any
           ) -> Response:
    ctx.setdefault("form", _form(source, campaign, formdata=None))
    ctx.setdefault("import_form", SpendImportForm(formdata=None, prefix="spend-import"))
    show_all = request.args.get("all") == "1"
    total, count = services.spend_total(source=source, campaign=campaign)
    return render("spend/page.html", "spend/_partials/panel_body.html", status,
                  source=source, campaign=campaign, total=total, count=count, show_all=show_all,
                  rows=services.spend_for(source=source, campaign=campaign,
                                          limit=None if show_all else PANEL_ROWS), **ctx)


def _back(source: LeadSource, campaign: Campaign | None) -> Response:
    """After a plain (no-JS) form post: back to the page the panel sits on."""
    if campaign is not None:
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id), 303)
    return redirect(url_for("sources.detail", source_id=source.id), 303)


def _campaign_of(source: LeadSource, fixed: Campaign | None, campaign_id: int | None
                 ) -> Campaign | None:
    if fixed is not None:
        return fixed
    return next((item for item in source.campaigns if item.id == campaign_id), None)


@bp.get(SOURCE_URL)
@bp.get(CAMPAIGN_URL)
@require("spend.manage")
def panel(source_id: int | None = None, campaign_id: int | None = None) -> Response:
    return _panel(*_owner(source_id, campaign_id))


@bp.post(SOURCE_URL)
@bp.post(CAMPAIGN_URL)
@require("spend.manage")
def create(source_id: int | None = None, campaign_id: int | None = None) -> Response:
    source, campaign = _owner(source_id, campaign_id)
    form = _form(source, campaign)
    if form.validate():
        try:
            services.record_spend(source, services.parse_date(form.spent_on.data),
                                  form.amount.data,
                                  _campaign_of(source, campaign, form.campaign_id.data),
                                  form.note.data or "")
        except DomainError as error:
            form[error.field or "amount"].errors.append(error.message)
        else:
            if not htmx:
                return _back(source, campaign)
            return _panel(source, campaign, message="Spend recorded.")
    return _panel(source, campaign, 422, form=form)


@bp.post(SOURCE_URL + "/import")
@bp.post(CAMPAIGN_URL + "/import")
@require("spend.manage")
def import_csv(source_id: int | None = None, campaign_id: int | None = None) -> Response:
    source, campaign = _owner(source_id, campaign_id)
    form = SpendImportForm(prefix="spend-import")
    result = None
    if form.validate():
        try:
            result = services.import_csv(form.file.data.read(), default_source=source)
        except DomainError as error:
            form.file.errors.append(error.message)
    ok = result is not None and not result.errors
    return _panel(source, campaign, 200 if ok else 422, import_form=form, import_result=result,
                  message=f"Imported {result.created} spend rows." if ok and result else None)


@bp.get(ITEM_URL + "/edit")
@require("spend.manage")
def edit(spend_id: int) -> Response:
    spend = db.get_or_404(Spend, spend_id)
    form = _form(spend.source, spend.campaign if _campaign_panel() else None, spend, "edit",
                 formdata=None)
    form.spent_on.data = spend.spent_on.isoformat()
    return _panel(spend.source, spend.campaign if _campaign_panel() else None, edit_id=spend.id,
                  edit_form=form)


def _campaign_panel() -> bool:
    """Edits started on a campaign page re-render that campaign's panel."""
    return request.args.get("in") == "campaign"


@bp.put(ITEM_URL)
@require("spend.manage")
def update(spend_id: int) -> Response:
    spend = db.get_or_404(Spend, spend_id)
    fixed = spend.campaign if _campaign_panel() else None
    form = _form(spend.source, fixed, prefix="edit")
    if form.validate():
        try:
            services.update_spend(spend, services.parse_date(form.spent_on.data), form.amount.data,
                                  _campaign_of(spend.source, fixed, form.campaign_id.data),
                                  form.note.data or "")
            return _panel(spend.source, fixed, message="Spend updated.")
        except DomainError as error:
            form[error.field or "amount"].errors.append(error.message)
    return _panel(spend.source, fixed, 422, edit_id=spend.id, edit_form=form)


@bp.delete(ITEM_URL)
@require("spend.manage")
def delete(spend_id: int) -> Response:
    spend = db.get_or_404(Spend, spend_id)
    source, fixed = spend.source, spend.campaign if _campaign_panel() else None
    services.delete_spend(spend)
    if not htmx:
        return _back(source, fixed)
    return _panel(source, fixed, message="Spend deleted.")
