"""Capture forms: settings, keys, submissions kept as received, and the leads derived from them."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from ..auth.models import User
from ..errors import RuleViolation
from ..extensions import db
from ..sources.models import LeadSource
from .fields import DEFAULT_FIELDS
from .models import CaptureForm

REPEAT_WINDOW = timedelta(minutes=10)
TOUCH_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid",
              "fbclid", "referrer", "landing_page", "at")
ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(?::\d{1,5})?$", re.IGNORECASE)


# --- keys -----------------------------------------------------------------------------------

def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _new_api_key() -> str:
    return "lfk_" + secrets.token_urlsafe(30)


def consent_hash(text: str) -> str:
    """The version of a consent text: the same words always give the same hash."""
    return hashlib.sha256(text.strip().encode()).hexdigest()


# --- settings -------------------------------------------------------------------------------

@dataclass
class FormSettings:
    """Everything an admin sets on a form, already shaped by forms.CaptureFormForm."""

    name: str
    fields: list[dict[str, Any]]
    consent_text: str
    source_id: int
    campaign_id: int | None
    owner_id: int | None
    team_id: int | None
    thank_you_text: str
    redirect_url: str
    allowed_origins: str
    spam_threshold: int
    min_fill_seconds: int
    blocked_email_domains: str = ""


def _apply(form: CaptureForm, settings: FormSettings) -> None:
    if settings.owner_id and settings.team_id:
        raise RuleViolation("Choose a fixed owner or a round-robin team, not both.", "team_id")
    if not any(row["name"] in ("email", "phone") for row in settings.fields):
        raise RuleViolation("Show the email or the phone field, so leads can be reached.",
                            "fields")
    for key, value in vars(settings).items():
        setattr(form, key, value)
    form.name = settings.name.strip()
    form.allowed_origins = "\n".join(parse_origins(settings.allowed_origins))
    if form.team_id is None:
        form.last_assigned_user_id = None


def create_form(settings: FormSettings) -> tuple[CaptureForm, str]:
    """A new active form with a fresh public key and API key; returns the key (shown once)."""
    plain = _new_api_key()
    form = CaptureForm(public_key=secrets.token_urlsafe(12), api_key_hash=hash_key(plain),
                       active=True)
    _apply(form, settings)
    db.session.add(form)
    db.session.commit()
    return form, plain


def update_form(form: CaptureForm, settings: FormSettings) -> CaptureForm:
    _apply(form, settings)
    db.session.commit()
    return form


def set_active(form: CaptureForm, active: bool) -> CaptureForm:
    form.active = active
    db.session.commit()
    return form


def regenerate_api_key(form: CaptureForm) -> str:
    """Replace the API key; the old one stops working at once. Returns the new key (shown once)."""
    plain = _new_api_key()
    form.api_key_hash = hash_key(plain)
    db.session.commit()
    return plain


def default_settings() -> dict[str, Any]:
    website = db.session.scalar(select(LeadSource).where(
        func.lower(LeadSource.name) == "website form"))
    return {"fields": DEFAULT_FIELDS, "source_id": website.id if website else None,
            "thank_you_text": "Thank you! We will be in touch shortly.", "spam_threshold": 50,
            "min_fill_seconds": 3}


def parse_origins(text: str) -> list[str]:
    """Origins like https://example.com, one per line; raises RuleViolation for a bad one."""
    origins: list[str] = []
    for item in re.split(r"[\s,]+", text or ""):
        item = item.strip().rstrip("/")
        if not item:
            continue
        if not ORIGIN.match(item):
            raise RuleViolation(f"{item} is not an origin. Write it like https://www.example.com "
                                "(scheme and host, no path).", "allowed_origins")
        if item.lower() not in origins:
            origins.append(item.lower())
    return origins


def form_origins(form: CaptureForm) -> list[str]:
    return [line for line in (form.allowed_origins or "").split() if line]


def all_forms() -> list[CaptureForm]:
    return list(db.session.scalars(select(CaptureForm).order_by(CaptureForm.active.desc(),
                                                                func.lower(CaptureForm.name))))


def by_public_key(public_key: str) -> CaptureForm | None:
    return db.session.scalar(select(CaptureForm).where(CaptureForm.public_key == public_key))


def by_api_key(plain: str) -> CaptureForm | None:
    """The form an API key belongs to, active or not (the caller tells them apart)."""
    if not plain:
        return None
    return db.session.scalar(select(CaptureForm).where(CaptureForm.api_key_hash == hash_key(plain)))


def choices() -> dict[str, list[tuple[int, str]]]:
    """Sources, campaigns, users and teams for the settings form's selects."""
    from ..auth.models import Team
    from ..sources.models import Campaign

    def rows(model: type, label: Any, *where: Any) -> list[tuple[int, str]]:
        query = select(model).where(*where).order_by(func.lower(label))
        found = db.session.scalars(query)
        return [(row.id, row.name or getattr(row, "email", "")) for row in found]

    return {"sources": rows(LeadSource, LeadSource.name, LeadSource.active.is_(True)),
            "campaigns": rows(Campaign, Campaign.name, Campaign.active.is_(True)),
            "users": rows(User, User.name, User.active.is_(True)),
            "teams": rows(Team, Team.name)}
