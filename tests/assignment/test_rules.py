"""Assignment rules: order, conditions, round-robin, explicit owners, every entry point."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.assignment import services
from leadapp.assignment.models import AssignmentRule
from leadapp.assignment.services import RuleSettings
from leadapp.errors import RuleViolation
from leadapp.extensions import db
from leadapp.leads.intake import place_new_lead
from leadapp.models import Activity, ActivityKind, Lead
from tests.factories import CampaignFactory, LeadSourceFactory, TeamFactory, UserFactory


def rule(name: str = "Rule", **values) -> AssignmentRule:
    return services.create_rule(RuleSettings(name=name, **values))


def new_lead(actor=None, **values) -> Lead:
    values.setdefault("source", LeadSourceFactory())
    lead = place_new_lead(Lead(title=values.pop("title", "Lead"), **values), actor)
    db.session.commit()
    return lead


def team_of(*users):
    team = TeamFactory()
    team.members = list(users)
    db.session.commit()
    return team


def test_first_matching_rule_wins_in_list_order(app_ctx):
    web = LeadSourceFactory(name="Web")
    ann, bob = UserFactory(name="Ann"), UserFactory(name="Bob")
    rule("Any lead", user_id=ann.id)
    specific = rule("Web", source_id=web.id, user_id=bob.id)
    assert new_lead(source=web).owner_id == ann.id  # "Any lead" is first
    services.move_rule(specific, 0)
    assert [item.name for item in services.list_rules()] == ["Web", "Any lead"]
    assert new_lead(source=web).owner_id == bob.id
    assert new_lead(source=LeadSourceFactory()).owner_id == ann.id


def test_every_set_condition_must_match_and_city_ignores_case(app_ctx):
    web = LeadSourceFactory(name="Web")
    spring = CampaignFactory(name="Spring", source=web)
    ann = UserFactory()
    rule("Berlin spring", source_id=web.id, campaign_id=spring.id, city="  berlin ", user_id=ann.id)
    assert new_lead(source=web, campaign=spring, city="BERLIN").owner_id == ann.id
    assert new_lead(source=web, campaign=spring, city="Munich").owner_id is None
    assert new_lead(source=web, city="Berlin").owner_id is None
    assert new_lead(source=LeadSourceFactory(), campaign=spring, city="Berlin").owner_id is None


def test_disabled_rules_are_skipped(app_ctx):
    ann, bob = UserFactory(), UserFactory()
    first = rule("Off", user_id=ann.id)
    rule("On", user_id=bob.id)
    services.set_enabled(first, False)
    assert new_lead().owner_id == bob.id


def test_explicit_owner_is_kept_and_no_rule_activity(app_ctx):
    ann, bob = UserFactory(), UserFactory()
    rule("Everything", user_id=ann.id)
    lead = new_lead(owner=bob)
    assert lead.owner_id == bob.id
    kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)).all()
    assert kinds == [ActivityKind.created]


def test_rule_is_named_in_the_timeline(app_ctx):
    ann = UserFactory(name="Ann Lee")
    made = rule("Web to Ann", user_id=ann.id)
    lead = new_lead()
    row = db.session.scalar(select(Activity).where(Activity.lead_id == lead.id,
                                                   Activity.kind == ActivityKind.assigned))
    assert (row.actor_id, row.new_value, row.data) == (None, "Ann Lee",
                                                        {"rule_id": made.id, "rule": "Web to Ann"})


def test_round_robin_takes_turns_and_skips_inactive_members(app_ctx):
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    rule("Team", team_id=team_of(a, b, c).id)
    owners = [new_lead().owner_id for _ in range(6)]
    assert owners == [a.id, b.id, c.id, a.id, b.id, c.id]
    b.active = False
    db.session.commit()
    owners = [new_lead().owner_id for _ in range(4)]
    assert owners == [a.id, c.id, a.id, c.id]
    stored = db.session.scalar(select(AssignmentRule.last_user_id))
    assert stored == c.id  # the pointer is persisted on the rule


def test_rule_that_cannot_assign_lets_the_next_rule_try(app_ctx):
    gone, backup = UserFactory(active=False), UserFactory()
    rule("Empty team", team_id=team_of(gone).id)
    rule("Backup", user_id=backup.id)
    assert new_lead().owner_id == backup.id


def test_round_robin_is_fair_over_many_leads(app_ctx):
    members = [UserFactory() for _ in range(3)]
    rule("Team", team_id=team_of(*members).id)
    counts = {user.id: 0 for user in members}
    for _ in range(30):
        counts[new_lead().owner_id] += 1
    assert set(counts.values()) == {10}


def test_rule_needs_exactly_one_active_target(app_ctx):
    ann = UserFactory()
    try:
        rule("Both", user_id=ann.id, team_id=team_of(ann).id)
    except RuleViolation as error:
        assert "either a user or a team" in error.message
    else:
        raise AssertionError("a rule with two targets was saved")
    idle = UserFactory(active=False)
    try:
        rule("Idle", user_id=idle.id)
    except RuleViolation as error:
        assert error.field == "user_id"
    else:
        raise AssertionError("a rule for a deactivated user was saved")


def test_reorder_refuses_a_stale_list(app_ctx):
    ann = UserFactory()
    first, second = rule("A", user_id=ann.id), rule("B", user_id=ann.id)
    services.reorder([second.id, first.id])
    assert [item.name for item in services.list_rules()] == ["B", "A"]
    try:
        services.reorder([first.id])
    except RuleViolation as error:
        assert "reload" in error.message
    else:
        raise AssertionError("a partial order was accepted")
