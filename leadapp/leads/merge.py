"""Merging two leads, reversibly: the kept lead takes the picked values and everything hanging
off the other lead, which goes to the trash; a before-image on the "merged" activity lets
`undo_merge` split them back exactly as they were."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Numeric, select, update

from ..auth.models import User
from ..auth.permissions import can
from ..db_types import utcnow
from ..errors import Conflict, NotAllowed, RuleViolation
from ..events import lead_deleted, lead_restored, lead_updated
from ..extensions import db
from .activity import record
from .duplicates import Match, find_duplicates
from .models import Activity, ActivityKind, Attachment, Comment, Lead, LeadContact
from .scope import can_see_lead

# The lead's own values that a merge lets the user pick, in the order the page shows them.
FIELDS: dict[str, str] = {
    "title": "Title", "source_id": "Source", "campaign_id": "Campaign", "owner_id": "Owner",
    "team_id": "Team", "company_id": "Company", "company_name": "Lead company name",
    "first_name": "First name", "middle_name": "Middle name", "last_name": "Last name",
    "email": "Email", "phone": "Phone", "mobile": "Mobile", "position": "Position",
    "website": "Website", "address": "Address", "street": "Street", "city": "City",
    "state": "State", "postcode": "Postcode", "country": "Country", "budget": "Budget",
    "currency": "Currency", "channel": "Channel", "selling_direction": "Selling direction",
    "product": "Service or product", "start_date": "Start date", "deadline": "Deadline",
    "description": "Description",
}
RELATED = {"source_id": "source", "campaign_id": "campaign", "owner_id": "owner",
           "team_id": "team", "company_id": "company"}


@dataclass
class Row:
    """One line of the side-by-side page."""

    field: str
    label: str
    kept: str
    other: str
    pick_other: bool  # the proposal: the other value when the kept one is empty

    @property
    def differs(self) -> bool:
        return self.kept != self.other


def shown(lead: Lead, name: str) -> str:
    """A value as the merge page shows it."""
    if name in RELATED:
        row = getattr(lead, RELATED[name])
        return "" if row is None else str(getattr(row, "display_name", None) or row.name)
    value = getattr(lead, name)
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def rows(kept: Lead, other: Lead) -> list[Row]:
    out = []
    for name, label in FIELDS.items():
        mine, theirs = shown(kept, name), shown(other, name)
        out.append(Row(name, label, mine, theirs, pick_other=not mine and bool(theirs)))
    return out


def suggestions(user: User, lead: Lead, region: str) -> list[Match]:
    """Leads that look like the same prospect, each with what matched."""
    matches = find_duplicates(user, email=lead.email, phone=lead.phone,
                              company=lead.company_name, region=region, exclude_lead_id=lead.id)
    return [match for match in matches if match.kind == "lead"]


def check_mergeable(user: User, kept: Lead, other: Lead) -> None:
    if not can(user, "leads.delete"):
        raise NotAllowed("Your role does not allow merging leads.")
    if not (can_see_lead(user, kept) and can_see_lead(user, other)):
        raise NotAllowed("You cannot see both leads.")
    if kept.id == other.id:
        raise RuleViolation("Pick another lead to merge with.", field="other_id")
    if kept.deleted_at is not None or other.deleted_at is not None:
        raise RuleViolation("Restore the lead from the trash before merging it.")
    if other.converted_at is not None:
        raise RuleViolation(f"“{other.title}” is converted; keep it and merge the other lead "
                            "into it instead.", field="other_id")


def merge_leads(kept: Lead, other: Lead, take_other: set[str], actor: User) -> Activity:
    """Merge `other` into `kept` (taking the named fields from `other`) in one commit."""
    check_mergeable(actor, kept, other)
    try:
        image: dict[str, Any] = {"other_id": other.id, "fields": {}}
        for name in take_other & set(FIELDS):
            image["fields"][name] = _encode(getattr(kept, name))
            setattr(kept, name, getattr(other, name))
        image.update(_move_children(kept, other))
        other.deleted_at = utcnow()
        _announce(kept, other, {name: _decode(name, value) for name, value
                                in image["fields"].items()}, actor, lead_deleted)
        record(other, ActivityKind.deleted, actor, data={"merged_into": kept.id})
        activity = record(kept, ActivityKind.merged, actor, old=other.title,
                          data={"before": image, "undone": False})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return activity


def _announce(kept: Lead, other: Lead, before: dict[str, Any], actor: User, signal: Any) -> None:
    """Webhooks and other listeners: `other` left (or came back), `kept` changed its fields."""
    signal.send(other, actor=actor)
    changes = {name: (old, getattr(kept, name)) for name, old in before.items()
               if old != getattr(kept, name)}
    if changes:
        lead_updated.send(kept, actor=actor, changes=changes)


def _move_children(kept: Lead, other: Lead) -> dict[str, Any]:
    """Move contacts, comments, files, timeline and tags; return what moved, for the undo."""
    mine = {link.contact_id for link in kept.contact_links}
    moved_links, dropped_links = [], []
    for link in list(other.contact_links):
        if link.contact_id in mine:  # already a contact of the kept lead: one link is enough
            dropped_links.append({"contact_id": link.contact_id, "is_primary": link.is_primary})
            other.contact_links.remove(link)
        else:
            moved_links.append({"id": link.id, "is_primary": link.is_primary})
    db.session.flush()
    ids = [item["id"] for item in moved_links]
    if ids:
        db.session.execute(update(LeadContact).where(LeadContact.id.in_(ids))
                           .values(lead_id=kept.id, is_primary=False)
                           .execution_options(synchronize_session=False))
    primary = next((item["id"] for item in moved_links if item["is_primary"]), None)
    if primary is not None and not any(link.is_primary for link in kept.contact_links):
        db.session.execute(update(LeadContact).where(LeadContact.id == primary)
                           .values(is_primary=True).execution_options(synchronize_session=False))
    image = {"links": moved_links, "dropped_links": dropped_links}
    for key, model in (("comments", Comment), ("attachments", Attachment),
                       ("activities", Activity)):
        image[key] = list(db.session.scalars(select(model.id).where(model.lead_id == other.id)))
        if image[key]:
            db.session.execute(update(model).where(model.id.in_(image[key]))
                               .values(lead_id=kept.id)
                               .execution_options(synchronize_session=False))
    have = {tag.id for tag in kept.tags}
    added = [tag for tag in other.tags if tag.id not in have]
    kept.tags.extend(added)
    image["tags"] = [tag.id for tag in added]
    db.session.expire(kept, ["contact_links"])
    db.session.expire(other, ["contact_links"])
    return image


def undoable_merges(lead: Lead) -> list[Activity]:
    """Merges into this lead that can still be undone, newest first."""
    query = select(Activity).where(Activity.lead_id == lead.id,
                                   Activity.kind == ActivityKind.merged).order_by(
        Activity.id.desc())
    return [item for item in db.session.scalars(query)
            if item.data and item.data.get("before") and not item.data.get("undone")]


def undo_merge(kept: Lead, activity: Activity, actor: User) -> Lead:
    """Split a merge back: fields, children, tags and the other lead as they were."""
    data = activity.data or {}
    image = data.get("before")
    if activity.lead_id != kept.id or not image or data.get("undone"):
        raise Conflict("This merge was already undone.")
    other = db.session.get(Lead, image["other_id"])
    if other is None:
        raise RuleViolation("The merged lead was deleted for good; the merge cannot be undone.")
    _check_undo(actor, kept, other)
    try:
        for name, value in image["fields"].items():
            setattr(kept, name, _decode(name, value))
        _restore_children(kept, other, image)
        other.deleted_at = None
        _announce(kept, other, {name: getattr(other, name) for name in image["fields"]}, actor,
                  lead_restored)
        record(other, ActivityKind.restored, actor, data={"unmerged_from": kept.id})
        activity.data = {**data, "undone": True}
        record(kept, ActivityKind.merged, actor, field="undo", old=other.title)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return other


def _check_undo(user: User, kept: Lead, other: Lead) -> None:
    if not can(user, "leads.delete"):
        raise NotAllowed("Your role does not allow undoing merges.")
    if not (can_see_lead(user, kept) and can_see_lead(user, other)):
        raise NotAllowed("You cannot see both leads.")
    if other.deleted_at is None:
        raise Conflict(f"“{other.title}” was restored from the trash meanwhile; the merge can "
                       "no longer be undone.")


def _restore_children(kept: Lead, other: Lead, image: dict[str, Any]) -> None:
    for key, model in (("comments", Comment), ("attachments", Attachment),
                       ("activities", Activity)):
        if image.get(key):
            db.session.execute(update(model).where(model.id.in_(image[key]),
                                                   model.lead_id == kept.id)
                               .values(lead_id=other.id)
                               .execution_options(synchronize_session=False))
    for item in image.get("links", []):
        db.session.execute(update(LeadContact).where(LeadContact.id == item["id"],
                                                     LeadContact.lead_id == kept.id)
                           .values(lead_id=other.id, is_primary=item["is_primary"])
                           .execution_options(synchronize_session=False))
    for item in image.get("dropped_links", []):
        db.session.add(LeadContact(lead_id=other.id, contact_id=item["contact_id"],
                                   is_primary=item["is_primary"]))
    if image.get("tags"):
        kept.tags = [tag for tag in kept.tags if tag.id not in set(image["tags"])]
    db.session.expire(kept, ["contact_links"])
    db.session.expire(other, ["contact_links"])


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decode(name: str, value: Any) -> Any:
    if value is None:
        return None
    column_type = Lead.__table__.c[name].type
    if isinstance(column_type, Numeric):
        return Decimal(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    return value
