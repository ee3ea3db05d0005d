"""Assignment rules: managing the ordered list, and choosing an owner for a new lead.

Every new lead passes `leads.intake.place_new_lead`, which calls `apply_rules`; imports write
leads set-based and use `ImportAssigner`, which evaluates the same rules in memory per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from ..auth.models import Team, User, team_members
from ..capture.models import CaptureForm
from ..errors import RuleViolation
from ..extensions import db
from ..leads.models import Lead
from ..ordering import renumber, save_order
from ..sources.models import Campaign, LeadSource
from .models import AssignmentRule

RULES = AssignmentRule.__table__


# ---- managing rules ---------------------------------------------------------------------------

@dataclass
class RuleSettings:
    """What the rule form collects; ids are None for "any"."""

    name: str
    source_id: int | None = None
    campaign_id: int | None = None
    capture_form_id: int | None = None
    city: str = ""
    user_id: int | None = None
    team_id: int | None = None
    enabled: bool = True


def list_rules() -> list[AssignmentRule]:
    return list(db.session.scalars(select(AssignmentRule)
                                   .order_by(AssignmentRule.position, AssignmentRule.id)))


def _check(settings: RuleSettings) -> None:
    if bool(settings.user_id) == bool(settings.team_id):
        raise RuleViolation("Choose either a user or a team to assign to.", "target")
    if settings.user_id:
        user = db.session.get(User, settings.user_id)
        if user is None or not user.active:
            raise RuleViolation("That user is deactivated or gone; choose an active user.",
                                "user_id")
    if settings.team_id and db.session.get(Team, settings.team_id) is None:
        raise RuleViolation("That team no longer exists; choose another.", "team_id")
    campaign = db.session.get(Campaign, settings.campaign_id) if settings.campaign_id else None
    if campaign and settings.source_id and campaign.source_id not in (None, settings.source_id):
        raise RuleViolation("That campaign belongs to another source, so the rule could never "
                            "match; clear one of the two.", "campaign_id")


def _apply(rule: AssignmentRule, settings: RuleSettings) -> None:
    _check(settings)
    for key, value in vars(settings).items():
        setattr(rule, key, value or (None if key.endswith("_id") else value))
    rule.name = settings.name.strip()
    rule.city = " ".join(settings.city.split())
    rule.enabled = bool(settings.enabled)
    if rule.team_id is None:
        rule.last_user_id = None


def create_rule(settings: RuleSettings) -> AssignmentRule:
    """A new rule goes last: existing rules keep their priority."""
    last = db.session.scalar(select(func.max(AssignmentRule.position)))
    rule = AssignmentRule(position=(last or 0) + 1)
    _apply(rule, settings)
    db.session.add(rule)
    db.session.commit()
    return rule


def update_rule(rule: AssignmentRule, settings: RuleSettings) -> AssignmentRule:
    try:
        _apply(rule, settings)
        db.session.commit()
    except RuleViolation:
        db.session.rollback()
        raise
    return rule


def delete_rule(rule: AssignmentRule) -> None:
    db.session.delete(rule)
    db.session.flush()
    renumber(list_rules())
    db.session.commit()


def set_enabled(rule: AssignmentRule, enabled: bool) -> AssignmentRule:
    rule.enabled = enabled
    db.session.commit()
    return rule


def move_rule(rule: AssignmentRule, index: int) -> list[AssignmentRule]:
    """Put the rule at `index` (0 = first, checked first) and renumber the others."""
    rules = [item for item in list_rules() if item.id != rule.id]
    rules.insert(max(0, min(index, len(rules))), rule)
    renumber(rules)
    db.session.commit()
    return rules


def step_rule(rule: AssignmentRule, up: bool) -> list[AssignmentRule]:
    """The keyboard path: one place up (checked earlier) or down."""
    ids = [item.id for item in list_rules()]
    return move_rule(rule, ids.index(rule.id) + (-1 if up else 1))


def reorder(rule_ids: list[int]) -> list[AssignmentRule]:
    """Save the order a drag produced; refuses a list that is not exactly the current rules."""
    return save_order(list_rules(), rule_ids, "rules")


# ---- choosing an owner ----------------------------------------------------------------------

@dataclass(frozen=True)
class Facts:
    """What rules look at, taken from a new lead (or an import row)."""

    source_id: int | None
    campaign_id: int | None
    city: str
    capture_form_id: int | None

    @classmethod
    def of(cls, values: dict[str, Any]) -> Facts:
        ref = str(values.get("ref") or "")
        form_id = int(ref[5:]) if ref.startswith("form:") and ref[5:].isdecimal() else None
        return cls(values.get("source_id"), values.get("campaign_id"),
                   " ".join(str(values.get("city") or "").split()).casefold(), form_id)


def facts_of(lead: Lead) -> Facts:
    return Facts.of({"source_id": lead.source_id or (lead.source.id if lead.source else None),
                     "campaign_id": lead.campaign_id or (
                         lead.campaign.id if lead.campaign else None),
                     "city": lead.city, "ref": lead.ref})


def matches(rule: Any, facts: Facts) -> bool:
    """Every condition the rule sets must hold; an empty condition holds for any lead.
    `rule` is an AssignmentRule or anything with its condition attributes (imports' copies)."""
    return ((rule.source_id is None or rule.source_id == facts.source_id)
            and (rule.campaign_id is None or rule.campaign_id == facts.campaign_id)
            and (rule.capture_form_id is None or rule.capture_form_id == facts.capture_form_id)
            and (not rule.city or rule.city.casefold() == facts.city))


def _active_members(team_id: Any, above: Any = None) -> Any:
    query = (select(func.min(User.id)).join(team_members, team_members.c.user_id == User.id)
             .where(team_members.c.team_id == team_id, User.active.is_(True)))
    if above is not None:
        query = query.where(User.id > above)
    return query.scalar_subquery()


def next_member(rule: AssignmentRule) -> int | None:
    """Advance the rule's round-robin pointer and return the member whose turn it is.

    One UPDATE ... RETURNING computes the next active member from the stored pointer and stores
    it: the row lock (PostgreSQL) or write lock (SQLite) serialises concurrent new leads, and a
    waiting UPDATE re-reads the pointer its predecessor wrote, so no member is picked twice."""
    after = _active_members(RULES.c.team_id, func.coalesce(RULES.c.last_user_id, 0))
    first = _active_members(RULES.c.team_id)
    statement = (update(RULES).where(RULES.c.id == rule.id)
                 .values(last_user_id=func.coalesce(after, first))
                 .returning(RULES.c.last_user_id))
    chosen = db.session.execute(statement).scalar_one_or_none()
    return chosen


def owner_from(rule: AssignmentRule) -> int | None:
    """The owner this rule gives, or None when it cannot (deactivated user, empty team)."""
    if rule.user_id is not None:
        return rule.user_id if rule.user is not None and rule.user.active else None
    return next_member(rule) if rule.team_id is not None else None


def enabled_rules() -> list[AssignmentRule]:
    return list(db.session.scalars(
        select(AssignmentRule).where(AssignmentRule.enabled.is_(True))
        .order_by(AssignmentRule.position, AssignmentRule.id)))


def apply_rules(lead: Lead) -> AssignmentRule | None:
    """Give an ownerless new lead the owner of the first matching rule that can assign.
    A rule that matches but cannot assign (nobody active) lets the next rule try."""
    facts = facts_of(lead)
    for rule in enabled_rules():
        if not matches(rule, facts):
            continue
        owner_id = owner_from(rule)
        if owner_id is not None:
            lead.owner_id = owner_id
            return rule
    return None


# ---- choices for the form -------------------------------------------------------------------

def choices() -> dict[str, list[tuple[Any, str]]]:
    sources = db.session.execute(select(LeadSource.id, LeadSource.name)
                                 .order_by(func.lower(LeadSource.name))).all()
    campaigns = db.session.execute(select(Campaign.id, Campaign.name)
                                   .order_by(func.lower(Campaign.name))).all()
    forms = db.session.execute(select(CaptureForm.id, CaptureForm.name)
                               .order_by(func.lower(CaptureForm.name))).all()
    users = db.session.scalars(select(User).where(User.active.is_(True))
                               .order_by(func.lower(User.name), User.email)).all()
    teams = db.session.execute(select(Team.id, Team.name).order_by(func.lower(Team.name))).all()
    return {
        "source_id": [("", "Any source"), *((row.id, row.name) for row in sources)],
        "campaign_id": [("", "Any campaign"), *((row.id, row.name) for row in campaigns)],
        "capture_form_id": [("", "Any (or no) capture form"),
                            *((row.id, row.name) for row in forms)],
        "user_id": [("", "Choose a user…"),
                    *((user.id, user.display_name) for user in users)],
        "team_id": [("", "Choose a team…"), *((row.id, row.name) for row in teams)],
    }
