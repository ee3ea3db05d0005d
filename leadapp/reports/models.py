"""The index the source report reads (no tables of its own): imported by services.py, so it is
registered whenever the report's blueprint is, before create_all or Alembic look."""

from __future__ import annotations

from sqlalchemy import Index

from ..leads.models import Lead

_LIVE = {"sqlite_where": Lead.deleted_at.is_(None), "postgresql_where": Lead.deleted_at.is_(None)}

# Live leads by source, then creation time, carrying every column the report groups, sums and
# filters on: a year of leads is read source by source in index order, so the per-source sums
# need no sort (ix_leads_live_created, in time order, made SQLite sort ~60k wide rows), and the
# chart's weekly counts are one short range per source and week. deleted_at is listed so SQLite
# sees the index as covering.
Index("ix_leads_live_source_report", Lead.source_id, Lead.created_at, Lead.id, Lead.stage_id,
      Lead.converted_at, Lead.deleted_at, Lead.campaign_id, Lead.budget, Lead.closing_date,
      Lead.first_response_at, Lead.currency, Lead.pipeline_id, Lead.owner_id, Lead.team_id,
      **_LIVE)
