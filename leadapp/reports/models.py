"""Indexes the source report needs at 100k+ leads (no tables of its own)."""

from __future__ import annotations

from sqlalchemy import Index

from ..leads.models import Activity

# Median time to first response: the first comment / stage move / edit by a person of each lead
# is one seek per lead on this partial, covering index instead of a scan of every activity.
_BY_PERSON = Activity.actor_id.is_not(None)
Index("ix_activities_person_first", Activity.lead_id, Activity.kind, Activity.created_at,
      sqlite_where=_BY_PERSON, postgresql_where=_BY_PERSON)
