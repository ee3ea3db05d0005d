"""Lead rules: loading visible leads, the lead form, inline field saves, comments, contacts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..auth.models import Role, Team, User
from ..auth.permissions import can
from ..companies import services as companies
from ..companies.models import Company, Contact
from ..config import default_currency
from ..custom_fields import services as custom_fields
from ..db_types import utcnow
from ..errors import Conflict, NotAllowed, RuleViolation
from ..events import lead_assigned, lead_updated
from ..extensions import db
from ..pipeline import services as pipeline_services
from ..pipeline.models import LossReason, Pipeline, Stage
from ..sources.models import Campaign, LeadSource
from ..sources.services import active_campaigns, active_sources
from . import conversion
from .activity import record
from .forms import normalise_phone
from .intake import place_new_lead
from .models import Activity, ActivityKind, Comment, Lead, LeadContact, Tag
from .scope import can_see_lead

STALE_MESSAGE = "Someone else changed this lead while you were editing it."
TIMELINE_PAGE = 20


def get_visible_lead(user: User, lead_id: int) -> Lead:
    """The lead, or 404 when it does not exist or the user may not see it."""
    lead = db.session.get(Lead, lead_id)
    if lead is None or not can_see_lead(user, lead):
        abort(404)
    return lead


def require_editable(user: User, lead: Lead) -> None:
    """Only roles with leads.edit may change a (visible) lead; converted leads stay as they are."""
    if not can(user, "leads.edit"):
        raise NotAllowed("Your role does not allow editing leads.")
    if lead.deleted_at is not None:
        raise RuleViolation("This lead is in the trash; restore it before editing.")


# ---- choices --------------------------------------------------------------------------------

def source_choices(current_id: int | None = None) -> list[tuple[Any, str]]:
    """Active sources, plus the lead's current one when it has since been deactivated."""
    sources = active_sources()
    if current_id and all(source.id != current_id for source in sources):
        current = db.session.get(LeadSource, current_id)
        sources = [current, *sources] if current else sources
    return [("", "Choose a source…"), *((source.id, source.name) for source in sources)]


def campaign_choices(current_id: int | None = None) -> list[tuple[Any, str]]:
    campaigns = active_campaigns()
    if current_id and all(item.id != current_id for item in campaigns):
        current = db.session.get(Campaign, current_id)
        campaigns = [current, *campaigns] if current else campaigns
    return [("", "No campaign"), *((item.id, item.name) for item in campaigns)]


def owner_choices(user: User, current_id: int | None = None) -> list[tuple[Any, str]]:
    """Assigners pick any active user; others can take the lead, leave it open or keep its owner."""
    if not can(user, "leads.assign"):
        choices: list[tuple[Any, str]] = [(user.id, user.display_name), ("", "Unassigned")]
        current = db.session.get(User, current_id) if current_id not in (None, user.id) else None
        return [(current.id, current.display_name), *choices] if current else choices
    users = db.session.scalars(select(User).where(User.active.is_(True))
                               .order_by(func.lower(User.name), User.email))
    return [("", "Unassigned"), *((item.id, item.display_name) for item in users)]


def team_choices() -> list[tuple[Any, str]]:
    teams = db.session.scalars(select(Team).order_by(func.lower(Team.name)))
    return [("", "No team"), *((team.id, team.name) for team in teams)]


def pipeline_choices() -> list[tuple[Any, str]]:
    pipelines = db.session.scalars(select(Pipeline).order_by(Pipeline.is_default.desc(),
                                                             Pipeline.name))
    return [(item.id, item.name) for item in pipelines]


def stage_choices(pipeline_id: int | None) -> list[tuple[Any, str]]:
    pipeline = db.session.get(Pipeline, pipeline_id) if pipeline_id else default_pipeline()
    stages = pipeline.stages if pipeline else []
    return [("", "First stage"), *((stage.id, stage.name) for stage in stages)]


def form_choices(user: User, lead: Lead | None = None,
                 pipeline_id: int | None = None) -> dict[str, list[tuple[Any, str]]]:
    """Every select list of the lead form."""
    return {
        "source_id": source_choices(lead.source_id if lead else None),
        "campaign_id": campaign_choices(lead.campaign_id if lead else None),
        "owner_id": owner_choices(user, lead.owner_id if lead else None),
        "team_id": team_choices(),
        "pipeline_id": pipeline_choices(),
        "stage_id": stage_choices(pipeline_id or (lead.pipeline_id if lead else None)),
    }


def tag_suggestions(limit: int = 50) -> list[str]:
    return list(db.session.scalars(select(Tag.name).order_by(func.lower(Tag.name)).limit(limit)))


def default_pipeline() -> Pipeline | None:
    return db.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))


# ---- the lead form ---------------------------------------------------------------------------

SCALAR_FIELDS = ("title", "source_id", "company_name", "campaign_id", "selling_direction",
                 "product", "description", "owner_id", "team_id", "city", "channel", "budget",
                 "currency", "start_date", "deadline")


def form_data(lead: Lead) -> dict[str, Any]:
    """The form's initial values for an existing lead."""
    contact = lead.primary_contact
    data = {name: getattr(lead, name) for name in SCALAR_FIELDS}
    data.update(
        company_id=lead.company_id, company_search=lead.company.name if lead.company else "",
        contact_id=contact.id if contact else None,
        contact_search=contact.full_name if contact else "",
        tags=", ".join(tag.name for tag in lead.tags), pipeline_id=lead.pipeline_id,
        stage_id=lead.stage_id, version=lead.version,
    )
    return data


def save_lead(lead: Lead | None, data: dict[str, Any], actor: User) -> Lead:
    """Create or update a lead with its (new or existing) company and contact in one commit."""
    if lead is not None and data.get("version") not in (None, lead.version):
        raise Conflict(STALE_MESSAGE)
    creating = lead is None
    try:
        company = _resolve_company(data)
        contact = _resolve_contact(data, company)
        if lead is None:
            lead = _new_lead(data, actor)
        changes = _apply_scalars(lead, data, actor)
        if creating:
            _apply_pipeline(lead, data)
            place_new_lead(lead, actor)  # stage history, board position, "created" activity
        lead.company = company
        _link_contact(lead, contact, copy=creating or lead.primary_contact is not contact)
        changes += _apply_tags(lead, data.get("tags") or "")
        changes += custom_fields.apply_form_data(lead, data, actor, creating)
        db.session.flush()
        if data.get("new_company"):
            company.created_from_lead_id = lead.id
        _record_save(lead, actor, creating, changes)
        if not creating and changes:
            lead_updated.send(lead, actor=actor, changes={n: (o, v) for n, o, v in changes})
        if not creating:  # a new lead's owner is announced by place_new_lead
            _announce_owner(lead, actor, changes)
        if creating and data.get("auto_convert") and can(actor, "leads.convert"):
            _auto_convert(lead, data, actor)
        else:
            db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(STALE_MESSAGE) from exc
    except Exception:
        db.session.rollback()
        raise
    return lead


def _auto_convert(lead: Lead, data: dict[str, Any], actor: User) -> None:
    """The lead form's "convert at once": one commit for the new lead and its conversion."""
    plan = conversion.default_plan(lead)
    plan.company_is_new, plan.contact_is_new = bool(data.get("new_company")), bool(
        data.get("new_contact"))
    conversion.convert_lead(lead, plan, actor)


def _resolve_company(data: dict[str, Any]) -> Company:
    if data.get("new_company"):
        return companies.add_company(data["new_company_name"], data.get("company_website") or "",
                                     data.get("company_tin") or "", data.get("city") or "")
    company = db.session.get(Company, data["company_id"]) if data.get("company_id") else None
    company = company or companies.find_company_by_name(data.get("company_search") or "")
    if company is None:
        raise RuleViolation("No company matches; pick one from the search results or tick "
                            "New company.", field="company_search")
    return company


def _resolve_contact(data: dict[str, Any], company: Company) -> Contact:
    if data.get("new_contact"):
        fields = {name: data.get(name) or "" for name in
                  ("first_name", "middle_name", "last_name", "email", "phone")}
        return companies.add_contact(company, **fields)
    contact = db.session.get(Contact, data["contact_id"]) if data.get("contact_id") else None
    contact = contact or companies.find_contact_by_text(data.get("contact_search") or "",
                                                        company.id if company.id else None)
    if contact is None:
        raise RuleViolation("No contact matches; pick one from the search results or tick "
                            "New contact.", field="contact_search")
    return contact


def _new_lead(data: dict[str, Any], actor: User) -> Lead:
    lead = Lead(created_by=actor, version=1)
    if not data.get("owner_id") and actor.role == Role.sales:
        data["owner_id"] = actor.id
    return lead  # place_new_lead adds it once pipeline and stage are set


def _apply_scalars(lead: Lead, data: dict[str, Any], actor: User) -> list[tuple[str, Any, Any]]:
    changes = []
    for name in SCALAR_FIELDS:
        if name not in data:
            continue
        value = _clean(name, data[name])
        if name == "owner_id" and not _may_set_owner(actor, lead, value):
            continue
        old = getattr(lead, name)
        if old != value:
            changes.append((name, old, value))
            setattr(lead, name, value)
    return changes


def _clean(name: str, value: Any) -> Any:
    # Text columns are NOT NULL: clearing one (inline or over the API) stores "".
    if name in ("description", "title", "company_name", "selling_direction", "product", "city",
                "channel", "first_name", "middle_name", "last_name", "email", "phone",
                "website"):
        return value or ""
    if name == "currency":
        return value or default_currency()
    return value if value != "" else None


def _may_set_owner(actor: User, lead: Lead, owner_id: int | None) -> bool:
    return can(actor, "leads.assign") or owner_id in (None, actor.id) or owner_id == lead.owner_id


def _apply_pipeline(lead: Lead, data: dict[str, Any]) -> None:
    """A new lead starts in the chosen stage, else the first stage of the (default) pipeline."""
    pipeline = db.session.get(Pipeline, data["pipeline_id"]) if data.get("pipeline_id") else None
    pipeline = pipeline or default_pipeline()
    if pipeline is None or not pipeline.stages:
        raise RuleViolation("Create a pipeline before adding leads.", field="pipeline_id")
    stage = db.session.get(Stage, data["stage_id"]) if data.get("stage_id") else None
    if stage is None or stage.pipeline_id != pipeline.id:
        stage = pipeline.stages[0]
    lead.pipeline, lead.stage = pipeline, stage


def _link_contact(lead: Lead, contact: Contact, copy: bool) -> None:
    """Make `contact` the primary contact (linking it if needed); one primary at any moment."""
    if copy:
        _copy_contact(lead, contact)
    for link in lead.contact_links:
        link.is_primary = False
    db.session.flush()
    link = next((item for item in lead.contact_links if item.contact is contact), None)
    if link is None:
        link = LeadContact(contact=contact)
        lead.contact_links.append(link)
    link.is_primary = True


def _apply_tags(lead: Lead, raw: str) -> list[tuple[str, Any, Any]]:
    old = ", ".join(tag.name for tag in lead.tags)
    lead.tags = tags_from_text(raw)
    new = ", ".join(tag.name for tag in lead.tags)
    return [("tags", old, new)] if old != new and lead.id is not None else []


def tags_from_text(raw: str) -> list[Tag]:
    """Comma-separated names -> Tag rows, reusing existing tags whatever their case."""
    names: dict[str, str] = {}
    for part in raw.split(","):
        name = " ".join(part.split())[:60]
        if name:
            names.setdefault(name.lower(), name)
    if not names:
        return []
    existing = {tag.name.lower(): tag for tag in db.session.scalars(
        select(Tag).where(func.lower(Tag.name).in_(list(names))))}
    tags = [existing.get(key) or Tag(name=name) for key, name in names.items()]
    return sorted(tags, key=lambda tag: tag.name.lower())


def _announce_owner(lead: Lead, actor: User, changes: list[tuple[str, Any, Any]]) -> None:
    for name, old, new in changes:
        if name == "owner_id" and new is not None:
            lead_assigned.send(lead, actor=actor, old_owner_id=old, new_owner_id=new, via="form")


def _record_save(lead: Lead, actor: User, creating: bool,
                 changes: list[tuple[str, Any, Any]]) -> None:
    if creating:
        return
    for name, old, new in changes:
        kind = ActivityKind.assigned if name == "owner_id" else ActivityKind.field_changed
        record(lead, kind, actor, field=name, old=display_of(name, old), new=display_of(name, new))


# ---- click-to-edit ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldSpec:
    label: str
    kind: str = "string"  # string | text | email | phone | url | select | date | money | ...
    required: bool = False
    max_len: int = 255
    permission: str = "leads.edit"


EDITABLE: dict[str, FieldSpec] = {
    "title": FieldSpec("Title", required=True),
    "source_id": FieldSpec("Lead source", "select", required=True),
    "campaign_id": FieldSpec("Campaign", "select"),
    "company_name": FieldSpec("Lead company name", max_len=200),
    "first_name": FieldSpec("First name", max_len=100),
    "middle_name": FieldSpec("Middle name", max_len=100),
    "last_name": FieldSpec("Last name", max_len=100),
    "email": FieldSpec("Email", "email", max_len=254),
    "phone": FieldSpec("Phone", "phone", max_len=40),
    "website": FieldSpec("Website", "url"),
    "city": FieldSpec("City", max_len=120),
    "selling_direction": FieldSpec("Selling direction", max_len=120),
    "product": FieldSpec("Service or product", max_len=200),
    "channel": FieldSpec("Content distribution channel", max_len=120),
    "budget": FieldSpec("Budget", "money"),
    "currency": FieldSpec("Currency", "currency"),
    "start_date": FieldSpec("Start date", "date"),
    "deadline": FieldSpec("Deadline", "date"),
    "owner_id": FieldSpec("Owner", "select", permission="leads.assign"),
    "team_id": FieldSpec("Team", "select", permission="leads.assign"),
    "tags": FieldSpec("Tags", "tags", max_len=500),
    "description": FieldSpec("Description", "text"),
}

_CHOICES: dict[str, Callable[[User, Lead], list[tuple[Any, str]]]] = {
    "source_id": lambda user, lead: source_choices(lead.source_id)[1:],
    "campaign_id": lambda user, lead: campaign_choices(lead.campaign_id),
    "owner_id": lambda user, lead: owner_choices(user, lead.owner_id),
    "team_id": lambda user, lead: team_choices(),
}


def field_choices(field: str, user: User, lead: Lead) -> list[tuple[Any, str]] | None:
    maker = _CHOICES.get(field)
    return maker(user, lead) if maker else None


def field_value(lead: Lead, field: str) -> Any:
    """The value the edit input starts with."""
    if field == "tags":
        return ", ".join(tag.name for tag in lead.tags)
    return getattr(lead, field)


def display_of(field: str, value: Any) -> str:
    """A value as people read it on the page and in the timeline."""
    if value in (None, ""):
        return ""
    model = {"source_id": LeadSource, "campaign_id": Campaign, "owner_id": User,
             "team_id": Team}.get(field)
    if model is not None:
        row = db.session.get(model, value)
        return (getattr(row, "display_name", None) or row.name) if row else ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def field_display(lead: Lead, field: str) -> str:
    return display_of(field, field_value(lead, field))


def update_field(lead: Lead, field: str, value: Any, version: int | None, actor: User) -> Lead:
    """Save one field if the lead is still at `version`; records the change; commits."""
    return update_fields(lead, {field: value}, version, actor)


def update_fields(lead: Lead, values: dict[str, Any], version: int | None, actor: User,
                  staged_changes: dict[str, tuple[Any, Any]] | None = None) -> Lead:
    """Save several click-to-edit fields (the API's PATCH) in one commit, or none of them."""
    require_editable(actor, lead)
    for field in values:
        spec = EDITABLE[field]
        if not can(actor, spec.permission):
            raise NotAllowed(f"Your role does not allow changing {spec.label.lower()}.")
    if version is not None and version != lead.version:
        raise Conflict(STALE_MESSAGE)
    try:
        before = {field: field_value(lead, field) for field in values}
        for field, value in values.items():
            _set_field(lead, field, value, actor)
        changes = {**(staged_changes or {}), **{  # staged: the caller's, e.g. custom fields
            field: (old, field_value(lead, field)) for field, old in before.items()
            if old != field_value(lead, field)}}
        if changes:
            lead_updated.send(lead, actor=actor, changes=changes)
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(STALE_MESSAGE) from exc
    except Exception:
        db.session.rollback()
        raise
    return lead


def _set_field(lead: Lead, field: str, value: Any, actor: User) -> None:
    old = field_display(lead, field)
    old_id = lead.owner_id
    if field == "tags":
        lead.tags = tags_from_text(value or "")
    else:
        setattr(lead, field, _clean(field, value))
    new = field_display(lead, field)
    if old != new:
        kind = ActivityKind.assigned if field == "owner_id" else ActivityKind.field_changed
        record(lead, kind, actor, field=field, old=old, new=new)
        if field == "owner_id" and lead.owner_id is not None:
            _announce_owner(lead, actor, [(field, old_id, lead.owner_id)])
        if field == "tags":
            lead.updated_at = utcnow()  # a tag change alone must still bump the version


def last_change(lead: Lead) -> Activity | None:
    """The newest timeline row: who changed the lead last, for conflict messages."""
    return db.session.scalar(select(Activity).where(Activity.lead_id == lead.id)
                             .order_by(Activity.created_at.desc(), Activity.id.desc()).limit(1))


# ---- timeline --------------------------------------------------------------------------------

def timeline(lead: Lead, page: int = 1, per_page: int = TIMELINE_PAGE) -> tuple[list[Activity],
                                                                                   bool]:
    """One page of the lead's activity, newest first, and whether there is more."""
    page = max(page, 1)
    rows = list(db.session.scalars(
        select(Activity).where(Activity.lead_id == lead.id).options(joinedload(Activity.actor))
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


# ---- comments --------------------------------------------------------------------------------

def comments(lead: Lead) -> list[Comment]:
    return list(db.session.scalars(select(Comment).where(Comment.lead_id == lead.id)
                                   .options(joinedload(Comment.author))
                                   .order_by(Comment.created_at.desc(), Comment.id.desc())))


def may_change_comment(user: User, comment: Comment) -> bool:
    """Authors change their own comments; managers and admins any."""
    return comment.author_id == user.id or can(user, "comments.moderate")


def add_comment(lead: Lead, body: str, actor: User) -> Comment:
    body = body.strip()
    if not body:
        raise RuleViolation("Write something before posting.", field="body")
    comment = Comment(lead_id=lead.id, author=actor, body=body)
    db.session.add(comment)
    db.session.flush()
    record(lead, ActivityKind.commented, actor, new=body[:200], data={"comment_id": comment.id})
    db.session.commit()
    return comment


def edit_comment(comment: Comment, body: str, actor: User) -> Comment:
    if not may_change_comment(actor, comment):
        raise NotAllowed("You can only edit your own comments.")
    body = body.strip()
    if not body:
        raise RuleViolation("A comment cannot be empty; delete it instead.", field="body")
    comment.body = body
    db.session.commit()
    return comment


def delete_comment(comment: Comment, actor: User) -> None:
    if not may_change_comment(actor, comment):
        raise NotAllowed("You can only delete your own comments.")
    db.session.delete(comment)
    db.session.commit()


# ---- contacts of a lead -----------------------------------------------------------------------

def add_lead_contact(lead: Lead, contact: Contact | None, fields: dict[str, str],
                     actor: User) -> LeadContact:
    """Link an existing contact, or a new one from `fields`; the first contact becomes primary."""
    require_editable(actor, lead)
    if contact is None:
        contact = companies.add_contact(lead.company, **fields)
    elif any(link.contact_id == contact.id for link in lead.contact_links):
        raise RuleViolation(f"{contact.full_name} is already a contact of this lead.",
                            field="contact_search")
    link = LeadContact(contact=contact, is_primary=not lead.contact_links)
    lead.contact_links.append(link)
    db.session.flush()
    record(lead, ActivityKind.field_changed, actor, field="contacts", new=contact.full_name)
    db.session.commit()
    return link


def set_primary_contact(lead: Lead, link_id: int, actor: User) -> None:
    require_editable(actor, lead)
    link = _link(lead, link_id)
    old = lead.primary_contact
    for item in lead.contact_links:
        item.is_primary = False
    db.session.flush()  # the partial unique index allows one primary per lead at any moment
    link.is_primary = True
    _copy_contact(lead, link.contact)
    record(lead, ActivityKind.field_changed, actor, field="primary_contact",
           old=old.full_name if old else "", new=link.contact.full_name)
    db.session.commit()


def remove_lead_contact(lead: Lead, link_id: int, actor: User) -> None:
    require_editable(actor, lead)
    link = _link(lead, link_id)
    if link.is_primary and len(lead.contact_links) > 1:
        raise RuleViolation("Make another contact primary before removing this one.")
    lead.contact_links.remove(link)
    record(lead, ActivityKind.field_changed, actor, field="contacts", old=link.contact.full_name)
    db.session.commit()


def set_lead_contacts(lead: Lead, contact_ids: list[int], actor: User) -> None:
    """Make the lead's contacts exactly these existing ones, the first primary (the API's
    PUT /contacts); one commit, one timeline row per contact added or removed."""
    require_editable(actor, lead)
    contacts = {contact.id: contact for contact in db.session.scalars(
        select(Contact).where(Contact.id.in_(contact_ids)))}
    missing = [str(contact_id) for contact_id in contact_ids if contact_id not in contacts]
    if missing:
        raise RuleViolation("No contact has the id " + ", ".join(missing) + ".", field="contacts")
    for link in list(lead.contact_links):
        if link.contact_id not in contacts:
            lead.contact_links.remove(link)
            record(lead, ActivityKind.field_changed, actor, field="contacts",
                   old=link.contact.full_name)
    for link in lead.contact_links:
        link.is_primary = False
    db.session.flush()  # one primary per lead at any moment (partial unique index)
    linked = {link.contact_id: link for link in lead.contact_links}
    for contact_id in contact_ids:
        if contact_id not in linked:
            linked[contact_id] = LeadContact(contact=contacts[contact_id])
            lead.contact_links.append(linked[contact_id])
            record(lead, ActivityKind.field_changed, actor, field="contacts",
                   new=contacts[contact_id].full_name)
    if contact_ids:
        linked[contact_ids[0]].is_primary = True
        _copy_contact(lead, contacts[contact_ids[0]])
    db.session.commit()


def _link(lead: Lead, link_id: int) -> LeadContact:
    link = next((item for item in lead.contact_links if item.id == link_id), None)
    if link is None:
        abort(404)
    return link


def _copy_contact(lead: Lead, contact: Contact) -> None:
    for name in ("first_name", "middle_name", "last_name", "email", "phone"):
        setattr(lead, name, getattr(contact, name) or "")


def new_contact_fields(values: dict[str, str]) -> dict[str, str]:
    """Check and clean the fields of a new contact typed on the lead page."""
    fields = {name: (values.get(name) or "").strip() for name in
              ("first_name", "last_name", "email", "phone")}
    if not fields["first_name"] or not fields["last_name"]:
        raise RuleViolation("Enter the first and last name of the new contact, or pick an "
                            "existing contact.", field="first_name")
    if fields["email"]:
        try:
            fields["email"] = validate_email(fields["email"], check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise RuleViolation("Enter an email address like name@example.com.",
                                field="email") from exc
    if fields["phone"]:
        try:
            fields["phone"] = normalise_phone(fields["phone"])
        except ValueError as exc:
            raise RuleViolation(str(exc), field="phone") from exc
    return fields


# ---- stage bar -------------------------------------------------------------------------------

def stage_of(lead: Lead, stage_id: int | None) -> Stage:
    """A stage of the lead's pipeline, or 404."""
    stage = next((item for item in lead.pipeline.stages if item.id == stage_id), None)
    if stage is None:
        abort(404)
    return stage


def loss_reasons() -> list[LossReason]:
    return list(db.session.scalars(select(LossReason).where(LossReason.active.is_(True))
                                   .order_by(LossReason.position, LossReason.name)))


def other_pipelines(lead: Lead) -> list[Pipeline]:
    """Pipelines an open lead could move to (with their stages), for the lead page."""
    if lead.converted_at is not None:
        return []
    return list(db.session.scalars(select(Pipeline).where(Pipeline.id != lead.pipeline_id)
                                   .order_by(Pipeline.name)))


def move_pipeline(lead: Lead, stage_id: int | None, actor: User, version: int | None) -> Lead:
    require_editable(actor, lead)
    stage = db.session.get(Stage, stage_id) if stage_id else None
    if stage is None:
        raise RuleViolation("Choose the stage the lead starts at in its new pipeline.",
                            field="stage")
    return pipeline_services.move_to_pipeline(lead, stage, actor, version=version)


def move_stage(lead: Lead, stage: Stage, actor: User, version: int | None,
               loss_reason_id: int | None, closing_comment: str) -> Lead:
    """Move the lead through the pipeline service (stale version -> Conflict; lost -> reason)."""
    require_editable(actor, lead)
    reason = db.session.get(LossReason, loss_reason_id) if loss_reason_id else None
    return pipeline_services.change_stage(lead, stage, actor, version=version, loss_reason=reason,
                                          closing_comment=closing_comment.strip())
