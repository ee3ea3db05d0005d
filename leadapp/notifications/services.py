"""Creating, listing and reading notifications. Creation runs inside the caller's transaction
(from event receivers); the read/mark functions are the bell's services and commit."""

from __future__ import annotations

from sqlalchemy import func, select, update

from ..auth.models import User
from ..capture.models import CaptureForm
from ..db_types import utcnow
from ..extensions import db
from ..leads.models import Lead
from . import mail
from .models import Notification, NotificationKind

RECENT = 8
PAGE_SIZE = 30
VIA_TEXT = {"capture": "a capture form", "import": "an import", "rule": "an assignment rule",
            "api": "the API"}


def _by(actor: User | None, via: str, rule_name: str = "", lead: Lead | None = None) -> str:
    if via == "rule" and rule_name:
        return f"the assignment rule “{rule_name}”"
    form = _capture_form(lead) if via == "capture" else None
    if form is not None:
        return f"the capture form “{form.name}”"
    if actor is not None:
        return actor.display_name
    return VIA_TEXT.get(via, "the system")


def _capture_form(lead: Lead | None) -> CaptureForm | None:
    ref = lead.ref if lead is not None else ""
    return db.session.get(CaptureForm, int(ref[5:])) if ref.startswith("form:") and \
        ref[5:].isdecimal() else None


def notify_assigned(lead: Lead, owner: User, actor: User | None, via: str,
                    rule_name: str = "") -> Notification | None:
    """Tell the new owner about one lead; nobody is told about leads they gave themselves."""
    if actor is not None and actor.id == owner.id:
        return None
    title = lead.title or "A lead"
    text = f"{title} was assigned to you by {_by(actor, via, rule_name, lead)}."[:300]
    note = Notification(user=owner, kind=NotificationKind.assigned, lead=lead, text=text)
    db.session.add(note)
    mail.queue(db.session(), owner.email, f"Lead assigned to you: {title}"[:200], text, lead)
    return note


def notify_many(owner: User, count: int, actor: User | None, via: str,
                group_key: str = "", label: str = "") -> Notification | None:
    """One summary for several leads ("23 leads assigned to you by import #12"). With a
    group_key the summary is updated in place, so an import told in batches stays one line."""
    if count <= 0 or (actor is not None and actor.id == owner.id):
        return None
    note = None
    if group_key:
        note = db.session.scalar(select(Notification).where(
            Notification.user_id == owner.id, Notification.group_key == group_key))
    first = note is None
    if note is None:
        note = Notification(user=owner, kind=NotificationKind.bulk_assigned,
                            group_key=group_key, count=0)
        db.session.add(note)
    note.count += count
    noun = "lead" if note.count == 1 else "leads"
    note.text = f"{note.count} {noun} assigned to you by {label or _by(actor, via)}."[:300]
    note.read_at = None  # more leads arrived: it is news again
    if first:  # one email per summary, not one per batch
        mail.queue(db.session(), owner.email, note.text[:200], note.text, None)
    return note


# ---- the bell ---------------------------------------------------------------------------------

def unread_count(user: User) -> int:
    """What the bell polls: one indexed COUNT (see ix_notifications_unread)."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def recent(user: User, limit: int = RECENT, offset: int = 0) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit).offset(offset)))


def page(user: User, number: int) -> tuple[list[Notification], bool]:
    """One page of the user's notifications, newest first, and whether there is more."""
    number = max(number, 1)
    rows = recent(user, PAGE_SIZE + 1, (number - 1) * PAGE_SIZE)
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def get_own(user: User, notification_id: int) -> Notification | None:
    note = db.session.get(Notification, notification_id)
    return note if note is not None and note.user_id == user.id else None


def mark_read(note: Notification) -> Notification:
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return note


def mark_all_read(user: User) -> int:
    done = db.session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return done
