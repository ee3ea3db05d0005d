"""Company and contact look-ups and creation used by the lead form's type-aheads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select, update

from ..auth.models import User
from ..errors import Conflict, RuleViolation
from ..extensions import db
from ..leads.duplicates import _digits_sql, normalise_company, phone_digits, web_domain
from ..leads.models import Lead, LeadContact
from ..leads.scope import scoped, visible_leads_clause
from .models import Company, Contact, Opportunity

MIN_QUERY = 2


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_companies(term: str, limit: int = 8) -> list[Company]:
    """Companies whose name, website or TIN contains the term (after 2 characters)."""
    term = term.strip()
    if len(term) < MIN_QUERY:
        return []
    like = _like(term)
    query = (select(Company)
             .where(or_(Company.name.ilike(like, escape="\\"),
                        Company.website.ilike(like, escape="\\"), Company.tin == term))
             .order_by(func.lower(Company.name)).limit(limit))
    return list(db.session.scalars(query))


def search_contacts(term: str, company_id: int | None = None, limit: int = 8) -> list[Contact]:
    """Contacts matching a name, email or phone; narrowed to one company when given."""
    term = term.strip()
    if len(term) < MIN_QUERY:
        return []
    like = _like(term)
    full_name = Contact.first_name + " " + Contact.last_name
    query = select(Contact).where(or_(
        full_name.ilike(like, escape="\\"), Contact.last_name.ilike(like, escape="\\"),
        Contact.email.ilike(like, escape="\\"), Contact.phone.ilike(like, escape="\\"),
    ))
    if company_id:
        query = query.where(Contact.company_id == company_id)
    query = query.order_by(func.lower(Contact.last_name), func.lower(Contact.first_name))
    return list(db.session.scalars(query.limit(limit)))


def find_company_by_name(name: str) -> Company | None:
    """The one company with exactly this name (ignoring case), or None when 0 or several match."""
    query = select(Company).where(func.lower(Company.name) == name.strip().lower())
    rows = db.session.scalars(query.limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def find_contact_by_text(text: str, company_id: int | None = None) -> Contact | None:
    """The one contact whose full name or email equals the text, or None."""
    text = text.strip().lower()
    full_name = func.lower(Contact.first_name + " " + Contact.last_name)
    query = select(Contact).where(or_(full_name == text, func.lower(Contact.email) == text))
    if company_id:
        query = query.where(Contact.company_id == company_id)
    rows = db.session.scalars(query.limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def add_company(name: str, website: str = "", tin: str = "", city: str = "") -> Company:
    """Add a company to the session; the caller's service commits it with its other changes."""
    company = Company(name=name, website=website, tin=tin, city=city)
    db.session.add(company)
    return company


def add_contact(company: Company | None, **fields: str) -> Contact:
    """Add a contact to the session (not committed)."""
    contact = Contact(company=company, **fields)
    db.session.add(contact)
    return contact


# ---- matching: which existing records a lead could become, and why ---------------------------

@dataclass
class Candidate:
    """An existing company or contact a lead matches, with what matched (shown to the user)."""

    row: Any
    reasons: list[str] = field(default_factory=list)

    @property
    def why(self) -> str:
        return ", ".join(self.reasons)


def _add(found: dict[int, Candidate], row: Any, reason: str) -> None:
    candidate = found.setdefault(row.id, Candidate(row))
    if reason not in candidate.reasons:
        candidate.reasons.append(reason)


def company_matches(lead: Lead, limit: int = 6) -> list[Candidate]:
    """Companies a lead may belong to: its own, same website/email domain, same normalised name."""
    found: dict[int, Candidate] = {}
    if lead.company is not None:
        _add(found, lead.company, "linked to the lead")
    for domain in {web_domain(lead.website), web_domain(lead.email)} - {""}:
        query = select(Company).where(Company.website.ilike(_like(domain), escape="\\"))
        for row in db.session.scalars(query.limit(20)):
            if web_domain(row.website) == domain:
                _add(found, row, f"same website domain ({domain})")
    key = normalise_company(lead.company_name)
    if len(key) >= 2:
        query = select(Company).where(Company.name.ilike(_like(key.split()[0]), escape="\\"))
        for row in db.session.scalars(query.limit(50)):
            if normalise_company(row.name) == key:
                _add(found, row, "same name")
    return list(found.values())[:limit]


def contact_matches(lead: Lead, region: str = "US", limit: int = 6) -> list[Candidate]:
    """Contacts a lead's person may already be: linked ones, same email, same phone (E.164)."""
    found: dict[int, Candidate] = {}
    for link in lead.contact_links:
        _add(found, link.contact, "primary contact" if link.is_primary else "linked contact")
    email = lead.email.strip().lower()
    if "@" in email:
        query = select(Contact).where(func.lower(Contact.email) == email)
        for row in db.session.scalars(query.limit(10)):
            _add(found, row, "same email")
    digits = phone_digits(lead.phone, region) if lead.phone else set()
    if digits:
        for row in db.session.scalars(select(Contact).where(
                _digits_sql(Contact.phone).in_(digits)).limit(10)):
            _add(found, row, "same phone")
    return list(found.values())[:limit]


# ---- lists -------------------------------------------------------------------------------------

PER_PAGE = 25


@dataclass
class ListQuery:
    """Search, sort and page of one of the lists (parsed from the query string by the route)."""

    q: str = ""
    sort: str = "name"
    desc: bool = False
    page: int = 1
    owner_id: int | None = None
    company_id: int | None = None
    close_from: date | None = None
    close_to: date | None = None
    # Whose lead counts the companies list shows: a sales rep's count only the leads they see.
    viewer: User | None = field(default=None, compare=False)

    def args(self, **override: Any) -> dict[str, Any]:
        values = {"q": self.q, "sort": self.sort, "dir": "desc" if self.desc else "asc",
                  "page": self.page, "owner": self.owner_id, "company": self.company_id,
                  "close_from": self.close_from.isoformat() if self.close_from else None,
                  "close_to": self.close_to.isoformat() if self.close_to else None}
        values.update(override)
        return {key: value for key, value in values.items() if value not in (None, "")}


def _leads_of_company(viewer: User | None) -> Any:
    """The company's live leads, those the viewer may see when one is given."""
    conditions = [or_(Lead.company_id == Company.id, Lead.converted_company_id == Company.id),
                  Lead.deleted_at.is_(None)]
    if viewer is not None:
        conditions.append(visible_leads_clause(viewer))
    return select(func.count(Lead.id)).where(*conditions).correlate(Company).scalar_subquery()


_CONTACTS_OF_COMPANY = (select(func.count(Contact.id)).where(Contact.company_id == Company.id)
                        .correlate(Company).scalar_subquery())
COMPANY_SORTS: dict[str, Any] = {
    "name": func.lower(Company.name), "city": func.lower(Company.city),
    "industry": func.lower(Company.industry), "created": Company.created_at,
    "contacts": _CONTACTS_OF_COMPANY, "leads": _leads_of_company(None),
}
CONTACT_SORTS: dict[str, Any] = {
    "name": func.lower(Contact.last_name + " " + Contact.first_name),
    "email": func.lower(Contact.email), "company": func.lower(Company.name),
    "created": Contact.created_at,
}
OPPORTUNITY_SORTS: dict[str, Any] = {
    "name": func.lower(Opportunity.name), "amount": Opportunity.amount,
    "company": func.lower(Company.name), "close": Opportunity.expected_close,
    "created": Opportunity.created_at,
}


def _ordered(query: Any, sorts: dict[str, Any], params: ListQuery, tie: Any) -> Any:
    key = sorts.get(params.sort, next(iter(sorts.values())))
    return query.order_by(key.desc() if params.desc else key.asc(), tie)


def list_companies(params: ListQuery) -> Any:
    """A page of companies; `counts` maps each id on it to (contacts, leads)."""
    query = select(Company)
    if params.q:
        like = _like(params.q)
        query = query.where(or_(Company.name.ilike(like, escape="\\"),
                                Company.website.ilike(like, escape="\\"),
                                Company.city.ilike(like, escape="\\"), Company.tin == params.q))
    leads = _leads_of_company(params.viewer)
    query = _ordered(query, {**COMPANY_SORTS, "leads": leads}, params, Company.id)
    page = db.paginate(query, page=params.page, per_page=PER_PAGE, error_out=False)
    ids = [company.id for company in page.items]
    rows = db.session.execute(select(Company.id, _CONTACTS_OF_COMPANY, leads)
                              .where(Company.id.in_(ids))) if ids else []
    page.counts = {row[0]: (row[1], row[2]) for row in rows}
    return page


def list_contacts(params: ListQuery) -> Any:
    query = select(Contact).outerjoin(Company, Contact.company_id == Company.id)
    if params.q:
        like = _like(params.q)
        full_name = Contact.first_name + " " + Contact.last_name
        query = query.where(or_(full_name.ilike(like, escape="\\"),
                                Contact.last_name.ilike(like, escape="\\"),
                                Contact.email.ilike(like, escape="\\"),
                                Contact.phone.ilike(like, escape="\\"),
                                Company.name.ilike(like, escape="\\")))
    if params.company_id:
        query = query.where(Contact.company_id == params.company_id)
    query = _ordered(query, CONTACT_SORTS, params, Contact.id)
    return db.paginate(query, page=params.page, per_page=PER_PAGE, error_out=False)


def list_opportunities(params: ListQuery) -> Any:
    query = select(Opportunity).outerjoin(Company, Opportunity.company_id == Company.id)
    if params.q:
        query = query.where(or_(Opportunity.name.ilike(_like(params.q), escape="\\"),
                                Company.name.ilike(_like(params.q), escape="\\")))
    if params.owner_id:
        query = query.where(Opportunity.owner_id == params.owner_id)
    if params.company_id:
        query = query.where(Opportunity.company_id == params.company_id)
    if params.close_from:
        query = query.where(Opportunity.expected_close >= params.close_from)
    if params.close_to:
        query = query.where(Opportunity.expected_close <= params.close_to)
    query = _ordered(query, OPPORTUNITY_SORTS, params, Opportunity.id)
    return db.paginate(query, page=params.page, per_page=PER_PAGE, error_out=False)


def owners() -> list[User]:
    return list(db.session.scalars(select(User).order_by(func.lower(User.name), User.email)))


# ---- what a company or contact is used by ------------------------------------------------------

def company_leads(company: Company, user: User) -> list[Lead]:
    """Leads of the company the user may see, open and converted, newest first."""
    query = select(Lead).where(or_(Lead.company_id == company.id,
                                   Lead.converted_company_id == company.id))
    return list(db.session.scalars(scoped(query, user).order_by(Lead.created_at.desc())))


def contact_leads(contact: Contact, user: User) -> list[Lead]:
    linked = select(LeadContact.lead_id).where(LeadContact.contact_id == contact.id)
    query = select(Lead).where(or_(Lead.id.in_(linked), Lead.converted_contact_id == contact.id))
    return list(db.session.scalars(scoped(query, user).order_by(Lead.created_at.desc())))


def origin_lead(company: Company, user: User) -> Lead | None:
    """The lead the company was created from, when the user may see it."""
    if company.created_from_lead_id is None:
        return None
    query = select(Lead).where(Lead.id == company.created_from_lead_id)
    return db.session.scalar(scoped(query, user))


def contact_opportunities(contact: Contact) -> list[Opportunity]:
    return list(db.session.scalars(select(Opportunity).where(Opportunity.contact_id == contact.id)
                                   .order_by(Opportunity.created_at.desc())))


def merge_targets(row: Any) -> list[Any]:
    """Other companies (or contacts) a record can be merged into, by name."""
    if isinstance(row, Company):
        query = select(Company).where(Company.id != row.id).order_by(func.lower(Company.name))
    else:
        query = select(Contact).where(Contact.id != row.id).order_by(
            func.lower(Contact.last_name), func.lower(Contact.first_name))
    return list(db.session.scalars(query.limit(500)))


def company_choices() -> list[tuple[Any, str]]:
    rows = db.session.execute(select(Company.id, Company.name).order_by(func.lower(Company.name))
                              .limit(1000))
    return [("", "No company"), *((row.id, row.name) for row in rows)]


def company_opportunities(company: Company) -> list[Opportunity]:
    return list(db.session.scalars(select(Opportunity).where(Opportunity.company_id == company.id)
                                   .order_by(Opportunity.created_at.desc())))


def company_usage(company: Company) -> list[str]:
    """What points at the company, as phrases like '3 leads' (empty when nothing does)."""
    leads = db.session.scalar(select(func.count(Lead.id)).where(or_(
        Lead.company_id == company.id, Lead.converted_company_id == company.id)))
    counts = (("lead", leads), ("contact", _count(Contact, Contact.company_id == company.id)),
              ("opportunity", _count(Opportunity, Opportunity.company_id == company.id)))
    return [_phrase(noun, number) for noun, number in counts if number]


def contact_usage(contact: Contact) -> list[str]:
    leads = db.session.scalar(select(func.count(func.distinct(Lead.id))).where(or_(
        Lead.id.in_(select(LeadContact.lead_id).where(LeadContact.contact_id == contact.id)),
        Lead.converted_contact_id == contact.id)))
    counts = (("lead", leads), ("opportunity", _count(Opportunity,
                                                      Opportunity.contact_id == contact.id)))
    return [_phrase(noun, number) for noun, number in counts if number]


def _count(model: Any, condition: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def _phrase(noun: str, number: int) -> str:
    plural = "opportunities" if noun == "opportunity" else f"{noun}s"
    return f"{number} {noun if number == 1 else plural}"


# ---- writes ------------------------------------------------------------------------------------

def _commit() -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def create_record(model: type, fields: dict[str, Any]) -> Any:
    """A new company, contact or opportunity from checked form values."""
    row = model(**{name: "" if value is None and name not in NULLABLE else value
                   for name, value in fields.items()})
    db.session.add(row)
    _commit()
    return row


def update_record(row: Any, **fields: Any) -> Any:
    """Save click-to-edit values on a company, contact or opportunity."""
    if isinstance(row, Company) and "name" in fields and not (fields["name"] or "").strip():
        raise RuleViolation("A company needs a name.", field="name")
    for name, value in fields.items():
        setattr(row, name, "" if value is None and name not in NULLABLE else value)
    _commit()
    return row


NULLABLE = {"amount", "expected_close", "company_id", "contact_id", "owner_id"}


def delete_company(company: Company) -> None:
    """Delete an unused company; refused with what still uses it."""
    used = company_usage(company)
    if used:
        raise Conflict(f"“{company.name}” is still used by {', '.join(used)}. Merge it into "
                       "another company instead, or move those first.")
    db.session.delete(company)
    _commit()


def delete_contact(contact: Contact) -> None:
    used = contact_usage(contact)
    if used:
        raise Conflict(f"{contact.full_name} is still used by {', '.join(used)}. Merge the "
                       "contact into another one instead, or remove those links first.")
    db.session.delete(contact)
    _commit()


def delete_opportunity(opportunity: Opportunity) -> None:
    if opportunity.lead_id is not None:
        raise Conflict("This opportunity came from a converted lead and keeps its history; "
                       "it cannot be deleted.")
    db.session.delete(opportunity)
    _commit()


# ---- merges --------------------------------------------------------------------------------------

def merge_companies(winner: Company, loser: Company, actor: User | None) -> dict[str, int]:
    """Point everything at `loser` to `winner` and delete the loser, in one transaction."""
    if winner.id == loser.id:
        raise RuleViolation("Pick a different company to merge into.", field="target_id")
    moved = {
        "leads": _move(Lead, Lead.company_id, loser.id, winner.id, versioned=True),
        "converted leads": _move(Lead, Lead.converted_company_id, loser.id, winner.id,
                                 versioned=True),
        "contacts": _move(Contact, Contact.company_id, loser.id, winner.id),
        "opportunities": _move(Opportunity, Opportunity.company_id, loser.id, winner.id),
    }
    for name in ("website", "tin", "industry", "city"):
        if not getattr(winner, name) and getattr(loser, name):
            setattr(winner, name, getattr(loser, name))
    winner.created_from_lead_id = winner.created_from_lead_id or loser.created_from_lead_id
    db.session.flush()
    db.session.delete(loser)
    _commit()
    return moved


def merge_contacts(winner: Contact, loser: Contact, actor: User | None) -> dict[str, int]:
    """Move the loser's lead links, converted leads and opportunities to the winner; delete it."""
    if winner.id == loser.id:
        raise RuleViolation("Pick a different contact to merge into.", field="target_id")
    both = select(LeadContact.lead_id).where(LeadContact.contact_id == winner.id)
    duplicates = list(db.session.scalars(select(LeadContact).where(
        LeadContact.contact_id == loser.id, LeadContact.lead_id.in_(both))))
    for link in duplicates:  # the lead already has the winner: keep one link, primary if either
        if link.is_primary:
            kept = db.session.scalar(select(LeadContact).where(
                LeadContact.contact_id == winner.id, LeadContact.lead_id == link.lead_id))
            db.session.delete(link)
            db.session.flush()
            kept.is_primary = True
        else:
            db.session.delete(link)
    db.session.flush()
    moved = {
        "lead links": _move(LeadContact, LeadContact.contact_id, loser.id, winner.id),
        "converted leads": _move(Lead, Lead.converted_contact_id, loser.id, winner.id,
                                 versioned=True),
        "opportunities": _move(Opportunity, Opportunity.contact_id, loser.id, winner.id),
    }
    for name in ("middle_name", "email", "phone", "mobile", "position", "company_id"):
        if not getattr(winner, name) and getattr(loser, name):
            setattr(winner, name, getattr(loser, name))
    db.session.flush()
    db.session.delete(loser)
    _commit()
    return moved


SINGULAR = {"leads": "lead", "converted leads": "converted lead", "contacts": "contact",
            "opportunities": "opportunity", "lead links": "lead link"}


def describe_moved(moved: dict[str, int]) -> str:
    """'2 leads, 1 contact' from a merge's counts (only what moved)."""
    return ", ".join(f"{count} {SINGULAR[what] if count == 1 else what}"
                     for what, count in moved.items() if count)


def _move(model: Any, column: Any, old: int, new: int, versioned: bool = False) -> int:
    values: dict[Any, Any] = {column: new}
    if versioned:  # leads carry an optimistic-lock version: open forms must see the change
        values[model.version] = model.version + 1
    result = db.session.execute(update(model).where(column == old).values(values)
                                .execution_options(synchronize_session=False))
    return result.rowcount or 0
