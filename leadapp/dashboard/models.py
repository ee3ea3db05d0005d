"""Indexes the dashboard's aggregates need at 100k+ leads (no tables of its own).

Both are partial (live leads only), so they stay small and match `scoped()`'s trash filter.
"""

from __future__ import annotations

from sqlalchemy import Index

from ..leads.models import Lead

_LIVE = Lead.deleted_at.is_(None)

# Open leads per stage with the visibility columns, and won-this-month by closing date.
Index("ix_leads_live_stage", Lead.stage_id, Lead.closing_date, Lead.owner_id, Lead.team_id,
      sqlite_where=_LIVE, postgresql_where=_LIVE)
# "My most recently updated leads".
Index("ix_leads_live_owner", Lead.owner_id, Lead.updated_at, sqlite_where=_LIVE,
      postgresql_where=_LIVE)
