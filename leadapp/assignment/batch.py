"""Assignment rules for imports: the rules and team members are loaded once per import and
evaluated in memory for each row, so a 100k-row import pays no query per row."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from ..auth.models import User, team_members
from ..events import leads_changed_in_bulk
from ..extensions import db
from ..leads.models import Activity, ActivityKind
from .models import AssignmentRule
from .services import RULES, Facts, enabled_rules, matches


@dataclass
class _Rule:
    """A plain copy of a rule: batches commit, and expired ORM rows would reload per batch."""

    id: int
    name: str
    team_id: int | None
    source_id: int | None
    campaign_id: int | None
    capture_form_id: int | None
    city: str
    members: list[int]  # active team members by id (round-robin), or [user] / [] for a user rule
    pointer: int | None = None
    locked: bool = False
    moved: bool = False

    @classmethod
    def of(cls, rule: AssignmentRule, members: list[int]) -> _Rule:
        return cls(rule.id, rule.name, rule.team_id, rule.source_id, rule.campaign_id,
                   rule.capture_form_id, rule.city, members)


class ImportAssigner:
    """Used by `imports.writer.BatchWriter`: `assign(rows)` before a batch is inserted,
    `announce(...)` after, once the new leads and their `imported` timeline rows exist."""

    def __init__(self, job_id: int, actor: User | None) -> None:
        self.job_id, self.actor = job_id, actor
        self.rules = [_Rule.of(rule, self._members(rule)) for rule in enabled_rules()]
        self.names: dict[int, str] = {}
        self.matched: dict[tuple[Any, Any, str], _Rule | None] = {}
        self.hits: dict[str, _Rule] = {}  # ref_id of the row -> rule that assigned it

    @staticmethod
    def _members(rule: AssignmentRule) -> list[int]:
        if rule.user_id is not None:
            return [rule.user_id] if rule.user is not None and rule.user.active else []
        return list(db.session.scalars(
            select(User.id).join(team_members, team_members.c.user_id == User.id)
            .where(team_members.c.team_id == rule.team_id, User.active.is_(True))
            .order_by(User.id)))

    def _turn(self, entry: _Rule) -> int:
        if entry.team_id is None:
            return entry.members[0]
        if not entry.locked:  # first use in this batch: lock the row, then read the pointer
            db.session.execute(update(RULES).where(RULES.c.id == entry.id)
                               .values(last_user_id=RULES.c.last_user_id))
            entry.pointer = db.session.scalar(select(RULES.c.last_user_id)
                                              .where(RULES.c.id == entry.id))
            entry.locked = True
        following = 0 if entry.pointer is None else bisect_right(entry.members, entry.pointer)
        entry.pointer = entry.members[following % len(entry.members)]
        entry.moved = True
        return entry.pointer

    def assign(self, rows: list[dict[str, Any]]) -> None:
        """Set owner_id on the rows that have none, from the first matching rule. Which rule
        matches depends only on (source, campaign, city), which files repeat a lot: cached."""
        self.hits = {}
        rules = [entry for entry in self.rules if entry.members]
        if not rules:
            return
        for row in rows:
            if row.get("owner_id") is not None:
                continue
            key = (row.get("source_id"), row.get("campaign_id"), row.get("city") or "")
            entry = self.matched.get(key, False)
            if entry is False:
                facts = Facts(key[0], key[1], " ".join(str(key[2]).split()).casefold(), None)
                entry = self.matched[key] = next(
                    (item for item in rules if matches(item, facts)), None)
            if entry is not None:
                row["owner_id"] = self._turn(entry)
                self.hits[row["ref_id"]] = entry
        for entry in self.rules:  # store where each rotation stopped, once per batch
            if entry.moved:
                db.session.execute(update(RULES).where(RULES.c.id == entry.id)
                                   .values(last_user_id=entry.pointer))
            entry.locked = entry.moved = False

    def announce(self, rows: list[dict[str, Any]], ids: list[int]) -> None:
        """The rule on each lead's timeline, and one summary notification per owner (updated
        in place batch after batch)."""
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        owners: Counter[int] = Counter()
        assigned = []
        for row, lead_id in zip(rows, ids, strict=True):
            owner_id = row.get("owner_id")
            if owner_id is None:
                continue
            owners[owner_id] += 1
            assigned.append(lead_id)
            entry = self.hits.get(row["ref_id"])
            if entry is not None:
                groups[entry.id, owner_id].append(lead_id)
        for (rule_id, owner_id), lead_ids in groups.items():
            self._record_rule(rule_id, owner_id, lead_ids)
        self._notify(owners, assigned)

    def announce_updates(self, changes: list[tuple[int, Any]]) -> None:
        """Existing leads the import gave a new owner: (lead id, new owner id or None)."""
        changed = [(lead_id, owner_id) for lead_id, owner_id in changes if owner_id is not None]
        self._notify(Counter(owner_id for _lead, owner_id in changed),
                     [lead_id for lead_id, _owner in changed])

    def _notify(self, owners: Counter[int], lead_ids: list[int]) -> None:
        """One summary per owner per import: the receiver updates it batch after batch."""
        if owners:
            leads_changed_in_bulk.send(
                None, lead_ids=lead_ids, event="lead.assigned", actor=self.actor, changes={},
                via="import", owner_counts=dict(owners), group_key=f"import:{self.job_id}",
                label=f"import #{self.job_id}")

    def _record_rule(self, rule_id: int, owner_id: int, lead_ids: list[int]) -> None:
        """Name the rule (and the owner it chose) on the leads' `imported` timeline rows: one
        UPDATE per rule, owner and batch, about half the cost of a second row per lead."""
        activities = Activity.__table__
        entry = next(item for item in self.rules if item.id == rule_id)
        data = {"import_job": self.job_id, "rule_id": entry.id, "rule": entry.name,
                "owner": self._name(owner_id)}
        db.session.execute(update(activities).where(
            activities.c.lead_id.in_(lead_ids), activities.c.kind == ActivityKind.imported)
            .values(data=data))

    def _name(self, user_id: int) -> str:
        if user_id not in self.names:
            user = db.session.get(User, user_id)
            self.names[user_id] = user.display_name if user else ""
        return self.names[user_id]
