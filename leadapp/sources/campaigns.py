"""Campaigns: list with lead counts, create, edit in place, activate/deactivate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from math import ceil
from typing import Any

from sqlalchemy import Select, func, or_, select

from ..auth.models import User
from ..errors import RuleViolation
from ..extensions import db
from ..leads.models import Lead
from ..leads.scope import scoped, visible_leads_clause
from .models import Campaign, LeadSource
from .services import PER_PAGE, Page, _check_name, _commit_named, clean_text, valid_id

SORTS = ("name", "source", "start", "end", "budget", "active", "leads")


@dataclass(frozen=True)
class CampaignFilters:
    q: str = ""
    status: str = "all"
    source_id: int | None = None
    sort: str = "name"
    desc: bool = False
    page: int = 1
    per_page: int = PER_PAGE

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {"q": self.q, "status": self.status, "source": self.source_id or "",
                  "sort": self.sort, "dir": "desc" if self.desc else "asc", "page": self.page,
                  **changes}
        defaults = {"q": "", "status": "all", "source": "", "sort": "name", "dir": "asc",
                    "page": 1}
        return {key: value for key, value in values.items() if defaults.get(key) != value}


@dataclass(frozen=True)
class CampaignRow:
    campaign: Campaign
    leads: int


def _filtered(query: Select, filters: CampaignFilters) -> Select:
    if clean_text(filters.q):
        pattern = f"%{clean_text(filters.q)}%"
        query = query.where(or_(Campaign.name.ilike(pattern), Campaign.description.ilike(pattern)))
    if filters.status == "active":
        query = query.where(Campaign.active.is_(True))
    elif filters.status == "inactive":
        query = query.where(Campaign.active.is_(False))
    if filters.source_id:
        query = query.where(Campaign.source_id == filters.source_id)
    return query


def _counts(user: User | None) -> Any:
    query = (select(Lead.campaign_id.label("campaign_id"), func.count(Lead.id).label("leads"))
             .where(Lead.deleted_at.is_(None), Lead.campaign_id.is_not(None))
             .group_by(Lead.campaign_id))
    if user is not None:
        query = query.where(visible_leads_clause(user))
    return query.subquery("campaign_counts")


def list_campaigns(filters: CampaignFilters, user: User) -> Page:
    """One page of campaigns with their live lead counts."""
    counts = _counts(user)
    leads_col = func.coalesce(counts.c.leads, 0)
    columns = {"name": func.lower(Campaign.name), "source": func.lower(LeadSource.name),
               "start": Campaign.start_date, "end": Campaign.end_date,
               "budget": Campaign.budget, "active": Campaign.active, "leads": leads_col}
    order = columns.get(filters.sort, columns["name"])
    query = _filtered(select(Campaign, leads_col)
                      .outerjoin(LeadSource, LeadSource.id == Campaign.source_id)
                      .outerjoin(counts, counts.c.campaign_id == Campaign.id), filters)
    total = db.session.scalar(_filtered(select(func.count(Campaign.id)), filters)) or 0
    page = min(max(1, filters.page), max(1, ceil(total / filters.per_page)))
    query = (query.order_by(order.desc() if filters.desc else order.asc(), Campaign.id)
             .limit(filters.per_page).offset((page - 1) * filters.per_page))
    rows = [CampaignRow(campaign, int(leads)) for campaign, leads in db.session.execute(query)]
    return Page(rows, total, page, filters.per_page)


def campaign_row(campaign: Campaign, user: User) -> CampaignRow:
    counts = _counts(user)
    leads = db.session.scalar(select(counts.c.leads).where(counts.c.campaign_id == campaign.id))
    return CampaignRow(campaign, int(leads or 0))


def campaign_leads(campaign: Campaign, user: User, limit: int = 50) -> list[Lead]:
    query = scoped(select(Lead).where(Lead.campaign_id == campaign.id), user)
    return list(db.session.scalars(query.order_by(Lead.created_at.desc(), Lead.id.desc())
                                   .limit(limit)))


def _source(source_id: Any) -> LeadSource | None:
    if source_id in (None, "", 0):
        return None
    source = db.session.get(LeadSource, valid_id(source_id) or 0)
    if source is None:
        raise RuleViolation("Pick a source from the list.", "source_id")
    return source


def _check_dates(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise RuleViolation("The end date cannot be before the start date.", "end_date")


def _check_budget(budget: Decimal | None) -> None:
    if budget is not None and budget < 0:
        raise RuleViolation("The budget cannot be negative.", "budget")


def create_campaign(name: Any, source_id: Any = None, start_date: date | None = None,
                    end_date: date | None = None, budget: Decimal | None = None,
                    active: bool = True, description: str = "") -> Campaign:
    """Add a campaign; the name is unique ignoring case and surrounding spaces."""
    name = _check_name(name, Campaign, label="campaign")
    _check_dates(start_date, end_date)
    _check_budget(budget)
    campaign = Campaign(name=name, source=_source(source_id), start_date=start_date,
                        end_date=end_date, budget=budget, active=active,
                        description=clean_text(description))
    db.session.add(campaign)
    _commit_named("campaign", name)
    return campaign


def update_campaign(campaign: Campaign, **fields: Any) -> Campaign:
    """Change the given fields only; dates and budget are checked together."""
    if "name" in fields:
        campaign.name = _check_name(fields["name"], Campaign, campaign.id, label="campaign")
    if "source_id" in fields:
        campaign.source = _source(fields["source_id"])
    start = fields.get("start_date", campaign.start_date)
    end = fields.get("end_date", campaign.end_date)
    _check_dates(start, end)
    campaign.start_date, campaign.end_date = start, end
    if "budget" in fields:
        _check_budget(fields["budget"])
        campaign.budget = fields["budget"]
    if "active" in fields:
        campaign.active = bool(fields["active"])
    if "description" in fields:
        campaign.description = clean_text(fields["description"])
    _commit_named("campaign", campaign.name)
    return campaign


def all_sources() -> list[LeadSource]:
    return list(db.session.scalars(select(LeadSource).order_by(func.lower(LeadSource.name))))
