"""Converting a lead: company, contact and opportunity created or linked in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from ..auth.models import User
from ..auth.permissions import can
from ..companies.models import Company, Contact, Opportunity
from ..db_types import utcnow
from ..errors import Conflict, NotAllowed, RuleViolation
from ..events import lead_converted
from ..extensions import db
from ..pipeline import services as pipeline_services
from ..pipeline.models import Stage, StageKind
from .activity import record
from .models import Activity, ActivityKind, Lead, LeadContact
from .scope import can_see_lead

STALE_MESSAGE = "Someone else changed this lead meanwhile; reload it and convert again."
COMPANY_FIELDS = ("name", "website", "tin", "industry", "city")
CONTACT_FIELDS = ("first_name", "middle_name", "last_name", "email", "phone", "mobile",
                  "position")


@dataclass
class Plan:
    """What to convert into: an existing row (id) or the fields of a new one, per record."""

    company_id: int | None = None
    company: dict[str, str] = field(default_factory=dict)
    contact_id: int | None = None
    contact: dict[str, str] = field(default_factory=dict)
    opportunity_name: str = ""
    amount: Decimal | None = None
    owner_id: int | None = None
    expected_close: date | None = None
    # Auto-convert links the company/contact the lead form has just created in this transaction.
    company_is_new: bool = False
    contact_is_new: bool = False


@dataclass
class Result:
    lead: Lead
    company: Company
    company_created: bool
    contact: Contact
    contact_created: bool
    opportunity: Opportunity

    def summary(self) -> str:
        def verb(created: bool) -> str:
            return "created" if created else "linked"

        return (f"company “{self.company.name}” {verb(self.company_created)}, contact "
                f"{self.contact.full_name} {verb(self.contact_created)}, opportunity "
                f"“{self.opportunity.name}” created")


def default_plan(lead: Lead) -> Plan:
    """The proposal: the lead's own company and primary contact, else new ones from its fields."""
    contact = lead.primary_contact
    return Plan(
        company_id=lead.company_id,
        company={"name": lead.company_name or (lead.company.name if lead.company else ""),
                 "website": lead.website, "city": lead.city},
        contact_id=contact.id if contact else None,
        contact={name: getattr(lead, name) for name in CONTACT_FIELDS},
        opportunity_name=lead.title, amount=lead.budget, owner_id=lead.owner_id,
        expected_close=lead.deadline,
    )


def _chosen(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdecimal() else None


def plan_from(values: dict[str, Any]) -> Plan:
    """A plan from the Convert form's values ("new" or a row id for each record)."""
    return Plan(
        company_id=_chosen(values.get("company_choice")),
        company={name: values.get(f"company_{name}") or "" for name in COMPANY_FIELDS},
        contact_id=_chosen(values.get("contact_choice")),
        contact={name: values.get(f"contact_{name}") or "" for name in CONTACT_FIELDS},
        opportunity_name=values.get("opportunity_name") or "", amount=values.get("amount"),
        owner_id=values.get("owner_id"), expected_close=values.get("expected_close"),
    )


def form_defaults(lead: Lead, companies: list[Any], contacts: list[Any]) -> dict[str, Any]:
    """The Convert form's first values: the best match of each record, else a new one."""
    plan = default_plan(lead)
    values: dict[str, Any] = {f"company_{name}": value for name, value in plan.company.items()}
    values.update({f"contact_{name}": value for name, value in plan.contact.items()})
    values.update(
        company_choice=str(companies[0].row.id) if companies else "new",
        contact_choice=str(contacts[0].row.id) if contacts else "new",
        opportunity_name=plan.opportunity_name, amount=plan.amount, owner_id=plan.owner_id,
        expected_close=plan.expected_close, version=lead.version)
    return values


def check_convertible(user: User, lead: Lead) -> None:
    """Refuse early (before any form is shown) what convert_lead would refuse anyway."""
    if not can(user, "leads.convert") or not can_see_lead(user, lead):
        raise NotAllowed("Your role does not allow converting this lead.")
    if lead.converted_at is not None:
        raise Conflict(f"This lead was already converted on {lead.converted_at:%d %b %Y}; "
                       "see the links on the lead page.")
    if lead.deleted_at is not None:
        raise RuleViolation("This lead is in the trash; restore it before converting.")
    if won_stage(lead) is None:
        raise RuleViolation(f"The pipeline “{lead.pipeline.name}” has no won stage.")


def won_stage(lead: Lead) -> Stage | None:
    return db.session.scalar(select(Stage).where(Stage.pipeline_id == lead.pipeline_id,
                                                 Stage.kind == StageKind.won))


def convert_lead(lead: Lead, plan: Plan, actor: User, version: int | None = None) -> Result:
    """Create or link the company, contact and opportunity, mark the lead converted and move it
    to the won stage: all of it in one commit, none of it on any error."""
    check_convertible(actor, lead)
    if version is not None and version != lead.version:
        raise Conflict(STALE_MESSAGE)
    try:
        result = _apply(lead, plan, actor)
        lead_converted.send(lead, actor=actor, result=result)
        # change_stage holds the pipeline's rules (stage history, timeline row, board position)
        # and commits: it is the single commit of the whole conversion.
        pipeline_services.change_stage(lead, won_stage(lead), actor)
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(STALE_MESSAGE) from exc
    except Exception:
        db.session.rollback()
        raise
    return result


def _apply(lead: Lead, plan: Plan, actor: User) -> Result:
    company, company_created = _company(lead, plan)
    contact, contact_created = _contact(plan, company)
    db.session.flush()
    _make_primary(lead, contact)
    opportunity = _opportunity(lead, plan, company, contact)
    lead.company = lead.company or company
    lead.converted_company, lead.converted_contact = company, contact
    lead.converted_at = utcnow()
    lead.closing_date = lead.closing_date or lead.converted_at.date()
    db.session.flush()
    result = Result(lead, company, company_created or plan.company_is_new, contact,
                    contact_created or plan.contact_is_new, opportunity)
    record(lead, ActivityKind.converted, actor, new=result.summary(), data={
        "company_id": company.id, "company_created": company_created, "contact_id": contact.id,
        "contact_created": contact_created, "opportunity_id": opportunity.id})
    return result


def _company(lead: Lead, plan: Plan) -> tuple[Company, bool]:
    if plan.company_id:
        company = db.session.get(Company, plan.company_id)
        if company is None:
            raise RuleViolation("That company no longer exists; pick another or create one.",
                                field="company_id")
        return company, False
    values = {name: (plan.company.get(name) or "").strip() for name in COMPANY_FIELDS}
    if not values["name"]:
        raise RuleViolation("Enter the new company's name.", field="company_name")
    company = Company(**values, created_from_lead_id=lead.id)
    db.session.add(company)
    return company, True


def _contact(plan: Plan, company: Company) -> tuple[Contact, bool]:
    if plan.contact_id:
        contact = db.session.get(Contact, plan.contact_id)
        if contact is None:
            raise RuleViolation("That contact no longer exists; pick another or create one.",
                                field="contact_id")
        if contact.company is None:
            contact.company = company
        return contact, False
    values = {name: (plan.contact.get(name) or "").strip() for name in CONTACT_FIELDS}
    if not (values["first_name"] or values["last_name"]):
        raise RuleViolation("Enter the new contact's first or last name.",
                            field="contact_first_name")
    contact = Contact(**values, company=company)
    db.session.add(contact)
    return contact, True


def _make_primary(lead: Lead, contact: Contact) -> None:
    """Link the contact as the lead's only primary contact (the unique index allows one)."""
    db.session.execute(update(LeadContact).where(LeadContact.lead_id == lead.id)
                       .values(is_primary=False).execution_options(synchronize_session="fetch"))
    link = db.session.scalar(select(LeadContact).where(LeadContact.lead_id == lead.id,
                                                       LeadContact.contact_id == contact.id))
    if link is None:
        link = LeadContact(lead_id=lead.id, contact_id=contact.id)
        db.session.add(link)
    link.is_primary = True
    db.session.flush()
    db.session.expire(lead, ["contact_links"])


def _opportunity(lead: Lead, plan: Plan, company: Company, contact: Contact) -> Opportunity:
    name = (plan.opportunity_name or "").strip() or lead.title
    if plan.amount is not None and plan.amount < 0:
        raise RuleViolation("Enter 0 or more.", field="amount")
    owner = db.session.get(User, plan.owner_id) if plan.owner_id else None
    opportunity = Opportunity(name=name[:255], amount=plan.amount, currency=lead.currency,
                              company=company, contact=contact, owner=owner, lead=lead,
                              expected_close=plan.expected_close)
    db.session.add(opportunity)
    return opportunity


def describe(lead: Lead) -> str:
    """What the lead's conversion created or linked, as written on its timeline."""
    activity = db.session.scalar(select(Activity).where(
        Activity.lead_id == lead.id, Activity.kind == ActivityKind.converted)
        .order_by(Activity.id.desc()).limit(1))
    return activity.new_value if activity else ""


def payload(result: Result) -> dict[str, Any]:
    """What a conversion created or linked, for API and form responses."""
    return {"company": {"id": result.company.id, "name": result.company.name,
                        "created": result.company_created},
            "contact": {"id": result.contact.id, "name": result.contact.full_name,
                        "created": result.contact_created},
            "opportunity": {"id": result.opportunity.id, "name": result.opportunity.name}}
