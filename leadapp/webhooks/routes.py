"""/admin/settings/webhooks: endpoints, their secret, and each endpoint's delivery log."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_htmx import make_response
from flask_login import current_user

from ..auth.permissions import require
from ..errors import DomainError
from ..extensions import db
from ..settings import services as app_settings
from ..web import render, wants_fragment
from . import services
from .forms import EndpointForm, PrivateAddressesForm
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

MAX_ID = 2147483647
ID = f"<int(max={MAX_ID}):endpoint_id>"
bp = Blueprint("webhooks", __name__, url_prefix="/admin/settings/webhooks")


def _index(form: EndpointForm | None = None, status: int = 200,
           fragment: str = "webhooks/_partials/endpoint_form.html", **ctx: object) -> Response:
    endpoints = services.list_endpoints()
    return render("webhooks/index.html", fragment, status,
                  form=form or EndpointForm(formdata=None), endpoints=endpoints,
                  action=url_for("webhooks.create"), submit_label="Add endpoint",
                  counts=services.status_counts(e.id for e in endpoints),
                  private_form=PrivateAddressesForm(
                      formdata=None, allow_private=app_settings.private_webhooks_setting()),
                  private_forced=app_settings.private_webhooks_forced(), **ctx)


def _detail(endpoint: WebhookEndpoint, form: EndpointForm | None = None, status: int = 200,
            fragment: str = "webhooks/_partials/endpoint_form.html", **ctx: object) -> Response:
    form = form or EndpointForm(formdata=None, data=services.form_values(endpoint))
    log_status = request.args.get("status", "")
    before = _before()
    response = render("webhooks/detail.html", fragment, status, endpoint=endpoint, form=form,
                      log=services.deliveries(endpoint, log_status, before), before=before,
                      log_status=log_status, statuses=list(DeliveryStatus), submit_label="Save",
                      action=url_for("webhooks.update", endpoint_id=endpoint.id), **ctx)
    response.headers["Cache-Control"] = "no-store"  # the page shows the signing secret
    return response


def _before() -> int | None:
    """The log page's `before` id; anything but an id (text, out of range) means the newest."""
    before = request.args.get("before", type=int)
    return before if before is not None and 0 < before <= MAX_ID else None


def _go(url: str) -> Response:
    """htmx follows HX-Redirect (it cannot see a 3xx) with a whole page load; a plain post gets
    PRG. (HX-Location would fetch the page as an htmx request and get only a fragment.)"""
    if wants_fragment():
        return make_response("", 200, redirect=url)
    return redirect(url, 303)


@bp.get("")
@require("settings.manage")
def index() -> Response:
    return _index()


@bp.post("")
@require("settings.manage")
def create() -> Response:
    form = EndpointForm()
    if form.validate():
        try:
            endpoint = services.create_endpoint(form.url.data, form.description.data,
                                                form.events.data, form.active.data)
            return _go(url_for("webhooks.detail", endpoint_id=endpoint.id, created=1))
        except DomainError as error:
            db.session.rollback()
            form[error.field or "url"].errors.append(error.message)
    return _index(form, 422)


@bp.post("/private-addresses")
@require("settings.manage")
def private_addresses() -> Response:
    form = PrivateAddressesForm()
    if not form.validate():  # only a CSRF failure can get here; CSRFProtect answers 400 first
        return _index(status=400, fragment="webhooks/_partials/private_addresses.html")
    services.set_allow_private(form.allow_private.data, current_user)
    message = ("Endpoints on private addresses are allowed." if form.allow_private.data
               else "Endpoints on private addresses are refused.")
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for("webhooks.index"), 303)
    return _index(fragment="webhooks/_partials/private_addresses.html", private_saved=message)


@bp.get(f"/{ID}")
@require("settings.manage")
def detail(endpoint_id: int) -> Response:
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id, description="No such endpoint.")
    return _detail(endpoint, created=bool(request.args.get("created")))


@bp.post(f"/{ID}")
@require("settings.manage")
def update(endpoint_id: int) -> Response:
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id, description="No such endpoint.")
    form = EndpointForm()
    if form.validate():
        try:
            services.update_endpoint(endpoint, form.url.data, form.description.data,
                                     form.events.data, form.active.data)
            return _detail(endpoint, saved="The endpoint is saved.")
        except DomainError as error:
            db.session.rollback()
            form[error.field or "url"].errors.append(error.message)
    return _detail(endpoint, form, 422)


@bp.post(f"/{ID}/secret")
@require("settings.manage")
def rotate_secret(endpoint_id: int) -> Response:
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id, description="No such endpoint.")
    services.rotate_secret(endpoint)
    return _detail(endpoint, fragment="webhooks/_partials/secret.html", rotated=True)


@bp.post(f"/{ID}/delete")
@require("settings.manage")
def delete(endpoint_id: int) -> Response:
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id, description="No such endpoint.")
    services.delete_endpoint(endpoint)
    return _go(url_for("webhooks.index"))


@bp.post(f"/{ID}/test")
@require("settings.manage")
def send_test(endpoint_id: int) -> Response:
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id, description="No such endpoint.")
    services.send_test(endpoint)
    return _log(endpoint, "A test event is queued; the log below shows its result.")


@bp.get(f"/{ID}/deliveries")
@require("settings.manage")
def delivery_log(endpoint_id: int) -> Response:
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id, description="No such endpoint.")
    return _log(endpoint)


@bp.post("/deliveries/<int(max=2147483647):delivery_id>/resend")
@require("settings.manage")
def resend(delivery_id: int) -> Response:
    delivery = db.get_or_404(WebhookDelivery, delivery_id, description="No such delivery.")
    try:
        services.resend(delivery)
        message = "Queued again; the log below shows the new attempt."
    except DomainError as error:
        message = error.message
    return _log(delivery.endpoint, message)


def _log(endpoint: WebhookEndpoint, message: str = "") -> Response:
    if not wants_fragment():
        if message:
            flash(message, "success")
        return redirect(url_for("webhooks.detail", endpoint_id=endpoint.id), 303)
    return _detail(endpoint, fragment="webhooks/_partials/deliveries.html", log_message=message)
