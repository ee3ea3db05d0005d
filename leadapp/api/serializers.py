"""Plain to_dict functions: the JSON shapes of the API (a contract with users' scripts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..sources.models import LeadSource


def _iso(value: datetime | None) -> str | None:
    """With its offset: SQLite returns stored UTC times naive (see lead_serializers.iso)."""
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat() if value else None


def lead_source_to_dict(source: LeadSource, leads_count: int = 0) -> dict[str, Any]:
    """A lead source as the seed CRM's API returns it, plus our extra fields."""
    return {
        "id": source.id,
        "name": source.name,
        "description": source.description or "",
        "active": bool(source.active),
        "created_at": _iso(source.created_at),
        "updated_at": _iso(source.updated_at),
        "leads_count": leads_count,
    }
