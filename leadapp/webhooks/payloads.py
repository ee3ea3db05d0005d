"""What a delivery says: the event envelope, the whole lead (or source) and its changes."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..api.lead_serializers import lead_to_dict as api_lead_to_dict
from ..leads.models import Lead
from ..sources.models import LeadSource


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "id") and hasattr(value, "__table__"):  # a model (e.g. a Stage)
        return value.id
    return value


def lead_to_dict(lead: Lead) -> dict[str, Any]:
    """The JSON API's shape, so a webhook and GET /api/leads/<id> describe a lead alike."""
    return api_lead_to_dict(lead)


def source_to_dict(source: LeadSource) -> dict[str, Any]:
    from ..api.serializers import lead_source_to_dict

    return lead_source_to_dict(source)


def changes_to_dict(changes: dict[str, tuple[Any, Any]] | None) -> dict[str, Any]:
    return {field: {"old": jsonable(old), "new": jsonable(new)}
            for field, (old, new) in (changes or {}).items()}


def with_lead(body: str, lead: Lead | None, lead_id: int) -> str:
    """A stored body with its lead filled in (a purged lead leaves only its id)."""
    document = json.loads(body)
    document["data"] = {"lead": lead_to_dict(lead) if lead is not None
                        else {"id": lead_id, "purged": True}}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def envelope(event: str, occurred_at: datetime, data: dict[str, Any],
             changes: dict[str, Any], actor_id: int | None) -> tuple[str, str]:
    """(delivery id, JSON body) for one endpoint."""
    uid = str(uuid.uuid4())
    body = {"id": uid, "event": event, "occurred_at": occurred_at.isoformat(),
            "actor_id": actor_id, "data": data, "changes": changes}
    return uid, json.dumps(body, separators=(",", ":"), ensure_ascii=False)
