"""Company and contact look-ups and creation used by the lead form's type-aheads."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from ..extensions import db
from .models import Company, Contact

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
