"""Companies, contacts and opportunities pages: lists, create, click-to-edit, pages, delete, merge.

The three record kinds share one shape, so each blueprint gets the same views from `Kind`, a small
description of its model, forms, templates and services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_htmx import make_response
from flask_login import current_user

from ..auth.permissions import require
from ..errors import DomainError
from ..extensions import db, htmx
from ..leads.scope import can_see_lead
from ..web import render
from . import services
from .forms import (
    COMPANY_EDITABLE,
    CONTACT_EDITABLE,
    OPPORTUNITY_EDITABLE,
    CompanyForm,
    ContactForm,
    MergeForm,
    OpportunityForm,
    single_field_form,
)
from .models import Company, Contact, Opportunity

VIEW = "leads.create"  # every role: the records are read by all, written by companies.manage
MAX_ID = "int(max=2147483647)"  # ids beyond the 32-bit columns are a plain 404


@dataclass(frozen=True)
class Kind:
    name: str  # blueprint and template folder: companies | contacts | opportunities
    key: str  # the id argument: company_id | contact_id | opportunity_id
    model: type
    form: type
    editable: tuple[str, ...]
    sorts: dict[str, Any]
    lister: Callable[[services.ListQuery], Any]
    deleter: Callable[[Any], None]
    merger: Callable[..., dict[str, int]] | None
    noun: str

    @property
    def a_noun(self) -> str:
        return f"{'an' if self.noun[0] in 'aeiou' else 'a'} {self.noun}"

    def label(self, row: Any) -> str:
        return row.full_name if isinstance(row, Contact) else row.name


COMPANIES = Kind("companies", "company_id", Company, CompanyForm, COMPANY_EDITABLE,
                 services.COMPANY_SORTS, services.list_companies, services.delete_company,
                 services.merge_companies, "company")
CONTACTS = Kind("contacts", "contact_id", Contact, ContactForm, CONTACT_EDITABLE,
                services.CONTACT_SORTS, services.list_contacts, services.delete_contact,
                services.merge_contacts, "contact")
OPPORTUNITIES = Kind("opportunities", "opportunity_id", Opportunity, OpportunityForm,
                     OPPORTUNITY_EDITABLE, services.OPPORTUNITY_SORTS,
                     services.list_opportunities, services.delete_opportunity, None,
                     "opportunity")


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdecimal() and len(raw) < 10 else None


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _query(kind: Kind) -> services.ListQuery:
    sort = request.args.get("sort", "name")
    return services.ListQuery(
        q=request.args.get("q", "").strip()[:100], sort=sort if sort in kind.sorts else "name",
        desc=request.args.get("dir") == "desc", page=_int_arg("page") or 1,
        owner_id=_int_arg("owner"), company_id=_int_arg("company"),
        close_from=_date_arg("close_from"), close_to=_date_arg("close_to"), viewer=current_user)


def _with_choices(form: Any) -> Any:
    if "company_id" in form:
        form.company_id.choices = services.company_choices()
    if "owner_id" in form:
        form.owner_id.choices = [("", "No owner"), *((user.id, user.display_name)
                                                     for user in services.owners())]
    return form


def _list_context(kind: Kind, form: Any = None) -> dict[str, Any]:
    query = _query(kind)
    return {"kind": kind, "query": query, "result": kind.lister(query),
            "form": _with_choices(form or kind.form(formdata=None)),
            "owners": services.owners() if kind is OPPORTUNITIES else [],
            "companies": services.company_choices()[1:] if kind is not COMPANIES else []}


def _load(kind: Kind, row_id: int) -> Any:
    return db.get_or_404(kind.model, row_id, description=f"There is no such {kind.noun}.")


def _detail_context(kind: Kind, row: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"kind": kind, "row": row, kind.noun: row}
    if isinstance(row, Company):
        context.update(leads=services.company_leads(row, current_user),
                       opportunities=services.company_opportunities(row),
                       origin=services.origin_lead(row, current_user))
    elif isinstance(row, Contact):
        context.update(leads=services.contact_leads(row, current_user),
                       opportunities=services.contact_opportunities(row))
    elif isinstance(row, Opportunity):
        # Opportunities are for everyone; the lead they came from only for who may see it.
        lead = row.lead
        context["source_lead"] = lead if lead and can_see_lead(current_user, lead) else None
    if kind.merger is not None:
        context.update(merge_form=MergeForm(formdata=None), targets=services.merge_targets(row))
    context["usage"] = (services.company_usage(row) if isinstance(row, Company) else
                        services.contact_usage(row) if isinstance(row, Contact) else [])
    return context


def _field_form_class(kind: Kind, field: str) -> type:
    if field not in kind.editable:
        abort(404, description="That field cannot be edited here.")
    return single_field_form(kind.form, field)


def _field(kind: Kind, row: Any, field: str, form: Any = None, status: int = 200) -> Response:
    template = f"companies/_partials/field_{'form' if form is not None else 'display'}.html"
    body = render_template(template, kind=kind, row=row, field=field, form=form)
    return make_response(body, status)


def add_views(bp: Blueprint, kind: Kind) -> None:
    """The list, create, page, click-to-edit, delete (and merge) views of one kind."""
    one = f"/<{MAX_ID}:{kind.key}>"

    @require(VIEW)
    def index() -> Response:
        return render(f"{kind.name}/index.html", "companies/_partials/table.html",
                      **_list_context(kind))

    @require("companies.manage")
    def create() -> Response:
        form = _with_choices(kind.form())
        if form.validate():
            fields = {name: form[name].data for name in kind.editable if name in form}
            row = services.create_record(kind.model, fields)
            return _created(kind, row)
        if htmx:
            body = render_template("companies/_partials/create_form.html", kind=kind, form=form)
            return make_response(body, 422)
        return render(f"{kind.name}/index.html", "companies/_partials/table.html", 422,
                      **_list_context(kind, form))

    @require(VIEW)
    def detail(**ids: int) -> Response:
        row = _load(kind, ids[kind.key])
        return render(f"{kind.name}/detail.html", f"{kind.name}/detail.html",
                      **_detail_context(kind, row))

    @require(VIEW)
    def field_display(field: str, **ids: int) -> Response:
        _field_form_class(kind, field)
        return _field(kind, _load(kind, ids[kind.key]), field)

    @require("companies.manage")
    def field_form(field: str, **ids: int) -> Response:
        row = _load(kind, ids[kind.key])
        form = _with_choices(_field_form_class(kind, field)(obj=row, formdata=None))
        return _field(kind, row, field, form)

    @require("companies.manage")
    def update_field(field: str, **ids: int) -> Response:
        row = _load(kind, ids[kind.key])
        form = _with_choices(_field_form_class(kind, field)())
        if not form.validate():
            return _field(kind, row, field, form, 422)
        try:
            services.update_record(row, **{field: form[field].data})
        except DomainError as error:
            form[field].errors.append(error.message)
            return _field(kind, row, field, form, error.status)
        return _field(kind, row, field)

    @require("companies.manage")
    def delete(**ids: int) -> Response:
        row = _load(kind, ids[kind.key])
        label = kind.label(row)
        try:
            kind.deleter(row)
        except DomainError as error:
            return _refused(kind, row, error)
        flash(f"{kind.noun.capitalize()} “{label}” deleted.", "success")
        return _go(url_for(f"{kind.name}.index"))

    for rule, view, methods in (("", index, ["GET"]), ("", create, ["POST"]),
                                (one, detail, ["GET"]),
                                (f"{one}/fields/<field>", field_display, ["GET"]),
                                (f"{one}/fields/<field>/form", field_form, ["GET"]),
                                (f"{one}/fields/<field>", update_field, ["PUT"]),
                                (f"{one}/delete", delete, ["POST"])):
        bp.add_url_rule(rule, view.__name__, view, methods=methods)
    if kind.merger is not None:
        bp.add_url_rule(f"{one}/merge", "merge", _merge_view(kind), methods=["POST"])


def _merge_view(kind: Kind) -> Callable[..., Response]:
    @require("companies.manage")
    def merge(**ids: int) -> Response:
        loser = _load(kind, ids[kind.key])
        form = MergeForm()
        winner = db.session.get(kind.model, form.target_id.data) if form.validate() else None
        if winner is None:
            error = DomainError(f"Choose the {kind.noun} to keep.")
            return _refused(kind, loser, error)
        label = kind.label(loser)
        try:
            moved = kind.merger(winner, loser, current_user)
        except DomainError as error:
            return _refused(kind, loser, error)
        done = services.describe_moved(moved)
        flash(f"“{label}” merged into “{kind.label(winner)}”" + (f" ({done} moved)." if done
                                                              else "."), "success")
        return _go(url_for(f"{kind.name}.detail", **{kind.key: winner.id}))

    return merge


def _created(kind: Kind, row: Any) -> Response:
    message = f"{kind.noun.capitalize()} “{kind.label(row)}” added."
    if not htmx:
        flash(message, "success")
        return redirect(url_for(f"{kind.name}.index"), 303)
    body = render_template("companies/_partials/create_form.html", kind=kind,
                           form=_with_choices(kind.form(formdata=None)))
    trigger = {"toast": {"level": "success", "message": message}, f"{kind.name}-changed": True}
    return make_response(body, 200, trigger=trigger)


def _refused(kind: Kind, row: Any, error: DomainError) -> Response:
    """A refused delete or merge: the page again, with the reason at the top."""
    db.session.rollback()
    row = _load(kind, row.id)
    if not htmx:
        flash(error.message, "error")
        return redirect(url_for(f"{kind.name}.detail", **{kind.key: row.id}), 303)
    body = render_template("companies/_partials/refused.html", message=error.message)
    return make_response(body, error.status, retarget=f"#{kind.noun}-{row.id}-notice",
                         reswap="innerHTML")


def _go(url: str) -> Response:
    if htmx:
        return make_response("", 204, redirect=url)
    return redirect(url, 303)


companies_bp = Blueprint("companies", __name__, url_prefix="/admin/companies")
contacts_bp = Blueprint("contacts", __name__, url_prefix="/admin/contacts")
opportunities_bp = Blueprint("opportunities", __name__, url_prefix="/admin/opportunities")
for _bp, _kind in ((companies_bp, COMPANIES), (contacts_bp, CONTACTS),
                   (opportunities_bp, OPPORTUNITIES)):
    add_views(_bp, _kind)
