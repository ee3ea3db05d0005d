"""Source and campaign services: unique names, counts, delete, merge, bulk, lead-form helpers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from leadapp.errors import Conflict, RuleViolation
from leadapp.extensions import db
from leadapp.models import Activity, ActivityKind, Campaign, Lead, LeadSource, Spend, Stage
from leadapp.pipeline.models import StageKind
from leadapp.sources import campaigns, services
from tests.factories import CampaignFactory, LeadFactory, LeadSourceFactory, UserFactory


def _stage(kind: StageKind) -> Stage:
    return db.session.scalar(select(Stage).where(Stage.kind == kind))


@pytest.mark.parametrize("name", ["referral", " Referral ", "REFERRAL"])
def test_create_source_duplicate_ignoring_case_and_spaces_raises_conflict(app_ctx, name):
    with pytest.raises(Conflict, match="already exists"):
        services.create_source(name)


def test_create_source_strips_spaces(app_ctx):
    assert services.create_source("  Webinar  ", "  talk ").name == "Webinar"


def test_create_source_blank_name_raises_rule_violation(app_ctx):
    with pytest.raises(RuleViolation) as error:
        services.create_source("   ")
    assert error.value.field == "name"


def test_commit_race_on_unique_index_becomes_conflict(app_ctx, monkeypatch):
    monkeypatch.setattr(services, "_check_name", lambda name, *args, **kwargs: name.strip())
    with pytest.raises(Conflict):
        services.create_source("Partner ")
    assert db.session.scalar(select(func.count()).select_from(LeadSource)
                             .where(LeadSource.name == "Partner")) == 1


def test_list_sources_counts_total_open_won_excluding_deleted(app_ctx):
    user = UserFactory(role="admin")
    source = LeadSourceFactory(name="Counts")
    LeadFactory(source=source)
    LeadFactory(source=source, stage=_stage(StageKind.won))
    LeadFactory(source=source, stage=_stage(StageKind.lost))
    trashed = LeadFactory(source=source)
    trashed.deleted_at = trashed.created_at
    db.session.commit()
    page = services.list_sources(services.SourceFilters(q="Counts"), user)
    row = page.rows[0]
    assert (row.total, row.open, row.won) == (3, 1, 1)


def test_list_sources_counts_only_leads_a_sales_user_sees(app_ctx):
    sales, other = UserFactory(role="sales"), UserFactory(role="sales")
    source = LeadSourceFactory(name="Scoped")
    LeadFactory(source=source, owner=sales)
    LeadFactory(source=source, owner=other)
    row = services.list_sources(services.SourceFilters(q="Scoped"), sales).rows[0]
    assert row.total == 1


def test_list_sources_sorts_by_lead_count_descending(app_ctx):
    user = UserFactory(role="admin")
    few, many = LeadSourceFactory(name="zz few"), LeadSourceFactory(name="zz many")
    LeadFactory(source=few)
    for _ in range(3):
        LeadFactory(source=many)
    rows = services.list_sources(services.SourceFilters(q="zz ", sort="leads", desc=True),
                                 user).rows
    assert [row.source.name for row in rows] == ["zz many", "zz few"]


def test_list_sources_filters_inactive_and_paginates(app_ctx):
    user = UserFactory(role="admin")
    LeadSourceFactory(name="Old fair", active=False)
    inactive = services.list_sources(services.SourceFilters(status="inactive"), user)
    assert [row.source.name for row in inactive.rows] == ["Old fair"]
    page = services.list_sources(services.SourceFilters(per_page=4, page=2), user)
    assert page.page == 2 and len(page.rows) == 4 and page.pages == 3


def test_delete_source_in_use_raises_conflict_with_count(app_ctx):
    source = LeadSourceFactory(name="Busy")
    LeadFactory(source=source)
    LeadFactory(source=source)
    with pytest.raises(Conflict, match="used by 2 leads"):
        services.delete_source(source)


def test_delete_unused_source_detaches_its_campaigns(app_ctx):
    source = LeadSourceFactory(name="Idle")
    campaign = CampaignFactory(source=source)
    source_id = source.id
    services.delete_source(source)
    assert db.session.get(LeadSource, source_id) is None
    assert db.session.get(Campaign, campaign.id).source_id is None


def test_delete_source_with_spend_raises_conflict_keeping_the_money_trail(app_ctx):
    source = LeadSourceFactory(name="Paid")
    LeadFactory(source=source)
    db.session.add(Spend(source=source, spent_on=date(2026, 1, 5), amount=Decimal("10")))
    db.session.commit()
    with pytest.raises(Conflict, match="used by 1 lead and 1 spend entry"):
        services.delete_source(source)
    assert db.session.scalar(select(func.count()).select_from(Spend)) == 1


def test_merge_moves_leads_campaigns_spend_and_writes_activity(app_ctx):
    actor = UserFactory(role="marketeer")
    source, target = LeadSourceFactory(name="Old ads"), LeadSourceFactory(name="Ads")
    leads = [LeadFactory(source=source) for _ in range(3)]
    versions = {lead.id: lead.version for lead in leads}
    campaign = CampaignFactory(source=source)
    db.session.add(Spend(source=source, spent_on=date(2026, 2, 1), amount=Decimal("5")))
    db.session.commit()
    source_id, target_id = source.id, target.id

    moved = services.merge_sources([source], target, actor)

    assert moved == 3
    assert db.session.get(LeadSource, source_id) is None
    for lead in leads:
        fresh = db.session.get(Lead, lead.id)
        assert fresh.source_id == target_id and fresh.version == versions[lead.id] + 1
    assert db.session.get(Campaign, campaign.id).source_id == target_id
    assert db.session.scalar(select(Spend.source_id)) == target_id
    rows = db.session.scalars(select(Activity).where(Activity.field == "source")).all()
    assert len(rows) == 3 and {row.lead_id for row in rows} == {lead.id for lead in leads}
    assert all((r.kind, r.old_value, r.new_value, r.actor_id) ==
               (ActivityKind.field_changed, "Old ads", "Ads", actor.id) for r in rows)


def test_merge_into_itself_raises_rule_violation(app_ctx):
    source = LeadSourceFactory()
    with pytest.raises(RuleViolation):
        services.merge_sources([source], source)


def test_bulk_delete_keeps_sources_in_use_and_reports_them(app_ctx):
    idle, busy = LeadSourceFactory(name="Idle one"), LeadSourceFactory(name="Busy one")
    LeadFactory(source=busy)
    busy_id, idle_id = busy.id, idle.id
    result = services.bulk_delete([idle, busy])
    assert result.deleted == ["Idle one"]
    assert len(result.kept) == 1 and "used by 1 lead" in result.kept[0]
    assert db.session.get(LeadSource, idle_id) is None
    assert db.session.get(LeadSource, busy_id) is not None


def test_bulk_set_active_counts_changed_rows(app_ctx):
    first, second = LeadSourceFactory(active=True), LeadSourceFactory(active=False)
    assert services.bulk_set_active([first, second], False) == 1
    assert first.active is False and second.active is False


def test_export_csv_has_counts_and_neutralises_formulas(app_ctx):
    source = LeadSourceFactory(name="=HYPERLINK(1)")
    LeadFactory(source=source)
    text = services.export_csv([source])
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,name,description,active,leads,open,won")
    assert "'=HYPERLINK(1)" in lines[1] and ",1,1,0," in lines[1]


def test_active_sources_excludes_inactive_and_orders_by_name(app_ctx):
    LeadSourceFactory(name="aaa inactive", active=False)
    LeadSourceFactory(name="AAB active")
    names = [source.name for source in services.active_sources()]
    assert "aaa inactive" not in names and names[0] == "AAB active"
    assert names == sorted(names, key=str.lower)


def test_active_campaigns_filters_by_source_and_active(app_ctx):
    source, other = LeadSourceFactory(), LeadSourceFactory()
    CampaignFactory(name="B camp", source=source)
    CampaignFactory(name="A camp", source=source)
    CampaignFactory(name="Off camp", source=source, active=False)
    CampaignFactory(name="Other camp", source=other)
    CampaignFactory(name="Any source camp", source=None)
    assert [c.name for c in services.active_campaigns(source.id)] == [
        "A camp", "Any source camp", "B camp"]
    assert len(services.active_campaigns()) == 4


def test_create_campaign_end_before_start_raises(app_ctx):
    with pytest.raises(RuleViolation) as error:
        campaigns.create_campaign("Spring", start_date=date(2026, 5, 1),
                                  end_date=date(2026, 4, 1))
    assert error.value.field == "end_date"


def test_create_campaign_duplicate_name_raises_conflict(app_ctx):
    CampaignFactory(name="Launch")
    with pytest.raises(Conflict):
        campaigns.create_campaign(" launch ")


def test_update_campaign_changes_only_given_fields(app_ctx):
    campaign = CampaignFactory(name="Keep", budget=Decimal("100"))
    campaigns.update_campaign(campaign, budget=Decimal("250.50"))
    assert campaign.name == "Keep" and campaign.budget == Decimal("250.50")
