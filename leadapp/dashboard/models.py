"""Indexes the dashboard's aggregates need at 100k+ leads (no tables of its own).

All are partial (live leads only), so they stay small and match `scoped()`'s trash filter.
"""

from __future__ import annotations

from sqlalchemy import Index

from ..leads.models import Lead

_LIVE = {"sqlite_where": Lead.deleted_at.is_(None), "postgresql_where": Lead.deleted_at.is_(None)}

# Open leads per stage, mine among them, with the visibility columns: a covering index, so the
# counts never touch the wide table (deleted_at is listed so SQLite sees it as covering).
Index("ix_leads_live_stage", Lead.stage_id, Lead.owner_id, Lead.team_id, Lead.deleted_at,
      **_LIVE)
# Won this month: a seek on (won stage, closing date).
Index("ix_leads_live_closing", Lead.stage_id, Lead.closing_date, **_LIVE)
# "My most recently updated leads".
Index("ix_leads_live_owner", Lead.owner_id, Lead.updated_at, **_LIVE)
