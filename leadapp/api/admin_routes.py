"""The API management page: admins create tokens for users (shown once) and revoke them."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_htmx import make_response

from ..auth import tokens
from ..auth.models import ApiToken
from ..auth.permissions import require
from ..errors import DomainError
from ..extensions import db, htmx
from ..web import render
from .forms import TokenForm

# Ids beyond the 32-bit id columns are a plain 404, never a database error.
TOKEN = "<int(max=2147483647):token_id>"

bp = Blueprint("api_admin", __name__, url_prefix="/admin/api")


def _form(form: TokenForm | None = None) -> TokenForm:
    form = form or TokenForm(formdata=None)
    form.user_id.choices = [("", "Choose a user…")] + [
        (user.id, f"{user.display_name} ({user.role.value})") for user in tokens.token_owners()]
    return form


def _page(form: TokenForm, status: int = 200, plain: str | None = None,
          created: ApiToken | None = None) -> Response:
    return render("api/api_management.html", "api/_partials/token_table.html", status,
                  form=form, tokens=tokens.list_tokens(), status_of=tokens.token_status,
                  plain=plain, created=created)


@bp.get("/api_management")
@require("api_tokens.manage")
def api_management() -> Response:
    return _page(_form())


@bp.post("/api_management")
@require("api_tokens.manage")
def create_token() -> Response:
    form = _form(TokenForm())
    try:
        if form.validate():
            token, plain = tokens.create_token(form.user_id.data, form.name.data,
                                               form.expires_on.data)
            return _created(token, plain)
    except DomainError as error:
        form[error.field or "name"].errors.append(error.message)
    if htmx:
        return make_response(render_template("api/_partials/token_form.html", form=form), 422)
    return _page(form, 422)


def _created(token: ApiToken, plain: str) -> Response:
    """The only response that ever contains the plain token."""
    if not htmx:
        response = _page(_form(), plain=plain, created=token)
    else:
        body = render_template("api/_partials/token_form.html", form=_form(), plain=plain,
                               created=token)
        response = make_response(body, 200, trigger={"tokens-changed": True})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete(f"/tokens/{TOKEN}")
@require("api_tokens.manage")
def revoke_token(token_id: int) -> Response:
    token = db.get_or_404(ApiToken, token_id, description="There is no such token.")
    tokens.revoke_token(token)
    body = render_template("api/_partials/token_row.html", token=token,
                           status_of=tokens.token_status)
    message = f"Token “{token.name}” revoked; scripts using it now get 401."
    return make_response(body, 200, trigger={"toast": {"level": "success", "message": message}})
