"""Possible duplicates of what is being typed on the lead form: leads, contacts and companies."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
from sqlalchemy import ColumnElement, func, select

from ..auth.models import User
from ..companies.models import Company, Contact
from ..extensions import db
from .models import Lead, digits_only
from .scope import scoped

LEGAL_SUFFIXES = {
    "ltd", "limited", "llc", "llp", "lp", "gmbh", "inc", "incorporated", "corp", "corporation",
    "co", "company", "srl", "sa", "sas", "sarl", "ag", "bv", "nv", "plc", "oy", "ab", "as",
    "spa", "pty", "kg", "ooo", "pllc", "ug",
}
LIMIT = 5
# A shared mailbox provider says nothing about the company behind an address or website.
FREE_MAIL_DOMAINS = {
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com",
    "live.com", "msn.com", "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "web.de",
    "mail.ru", "yandex.ru", "proton.me", "protonmail.com", "zoho.com", "ukr.net",
}


@dataclass
class Match:
    kind: str  # "lead" | "contact" | "company"
    id: int
    label: str
    reasons: list[str] = field(default_factory=list)


def normalise_company(name: str) -> str:
    """Lower case, no punctuation, no legal suffixes: 'ACME, Inc.' and 'Acme LLC' both -> 'acme'."""
    words = re.sub(r"[^\w\s]", " ", name.lower().replace(".", "")).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    while len(words) > 1 and words[0] in LEGAL_SUFFIXES:
        words.pop(0)
    return " ".join(words)


def web_domain(value: str) -> str:
    """The registrable-looking host of a website or email ('' for free-mail and junk)."""
    value = value.strip().lower()
    host = value.rsplit("@", 1)[1] if "@" in value and "://" not in value else value
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host).split("/", 1)[0].split(":", 1)[0]
    host = host.removeprefix("www.")
    if "." not in host or host in FREE_MAIL_DOMAINS:
        return ""
    return host


def e164(raw: str, region: str) -> str:
    """The number in E.164 when phonenumbers can parse it, else ''."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(raw: str, region: str) -> set[str]:
    """The digit strings a stored phone may hold for this number: international and national."""
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 6:
        return set()
    found = {digits}
    try:
        number = phonenumbers.parse(raw, region)
        found |= {f"{number.country_code}{number.national_number}", str(number.national_number)}
    except phonenumbers.NumberParseException:
        pass
    return found


def _digits_sql(column: ColumnElement[str]) -> ColumnElement[str]:
    # The same expression as the ix_leads_phone_digits index, so lookups use it.
    return digits_only(column)


def find_duplicates(user: User, *, email: str = "", phone: str = "", tin: str = "",
                    company: str = "", region: str = "US", website: str = "",
                    exclude_lead_id: int | None = None) -> list[Match]:
    """Existing leads (that the user may see), contacts and companies matching any given value."""
    found: dict[tuple[str, int], Match] = {}

    def add(kind: str, row_id: int, label: str, reason: str) -> None:
        match = found.setdefault((kind, row_id), Match(kind, row_id, label))
        if reason not in match.reasons:
            match.reasons.append(reason)

    email = email.strip().lower()
    if "@" in email:
        for lead in _leads(user, func.lower(Lead.email) == email, exclude_lead_id):
            add("lead", lead.id, lead.title, "same email")
        for contact in _rows(Contact, func.lower(Contact.email) == email):
            add("contact", contact.id, contact.full_name, "same email")
    digits = phone_digits(phone, region) if phone else set()
    if digits:
        for lead in _leads(user, _digits_sql(Lead.phone).in_(digits), exclude_lead_id):
            add("lead", lead.id, lead.title, "same phone")
        for contact in _rows(Contact, _digits_sql(Contact.phone).in_(digits)):
            add("contact", contact.id, contact.full_name, "same phone")
    tin = re.sub(r"\D", "", tin)
    if len(tin) >= 9:
        for row in _rows(Company, Company.tin == tin):
            add("company", row.id, row.name, "same TIN")
    _company_name_matches(user, company, exclude_lead_id, add)
    domain = web_domain(website)
    if domain:
        for row in _rows(Company, Company.website.ilike(f"%{domain}%"), limit=20):
            if web_domain(row.website) == domain:
                add("company", row.id, row.name, "same website domain")
    return list(found.values())


def _company_name_matches(user: User, company: str, exclude_lead_id: int | None,
                          add: Callable[[str, int, str, str], None]) -> None:
    key = normalise_company(company)
    if len(key) < 2:
        return
    like = f"%{key.split()[0]}%"
    for row in _rows(Company, Company.name.ilike(like), limit=50):
        if normalise_company(row.name) == key:
            add("company", row.id, row.name, "similar company name")
    for lead in _leads(user, Lead.company_name.ilike(like), exclude_lead_id, limit=50):
        if normalise_company(lead.company_name) == key:
            add("lead", lead.id, lead.title, "similar company name")


def _rows(model: type, condition: ColumnElement[bool], limit: int = LIMIT) -> list:
    return list(db.session.scalars(select(model).where(condition).limit(limit)))


def _leads(user: User, condition: ColumnElement[bool], exclude_lead_id: int | None,
           limit: int = LIMIT) -> list[Lead]:
    query = scoped(select(Lead).where(condition), user)
    if exclude_lead_id:
        query = query.where(Lead.id != exclude_lead_id)
    return list(db.session.scalars(query.order_by(Lead.id.desc()).limit(limit)))
