"""The JSON shapes of a lead (a contract with API clients and webhook receivers).

Plain functions of the model: no `request`, no `g`, so webhooks can call them from a worker
inside any app context. `lead_to_dict` is the whole lead (GET /api/leads/<id>, webhook
payloads); `lead_summary` is the list shape, built only from columns and eager-loaded
relationships so a page of 100 leads costs a fixed number of queries (its custom values come
in loaded for the whole page, `custom_fields_api.as_json_many`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from ..custom_fields import api as custom_fields_api
from ..extensions import db
from ..leads.models import Activity, Attachment, Comment, Lead, LeadContact

# The lead's plain columns, in the order clients see them (the lead form's fields).
TEXT_FIELDS = ("title", "description", "channel", "selling_direction", "product", "currency",
               "company_name", "first_name", "middle_name", "last_name", "email", "phone",
               "mobile", "position", "website", "address", "street", "city", "state",
               "postcode", "country", "closing_comment", "ref", "ref_id")
DATE_FIELDS = ("start_date", "deadline", "closing_date")
TIME_FIELDS = ("created_at", "updated_at", "converted_at", "deleted_at")


def iso(value: date | datetime | None) -> str | None:
    """RFC 3339 as the document promises: SQLite hands back stored UTC times without their
    offset, so a naive datetime is UTC (found by schemathesis: "…T02:49:31" is not a date-time)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat() if value else None


def money(value: Decimal | None) -> str | None:
    """Decimals travel as strings ("1500.00"): a JSON number would round large amounts."""
    return None if value is None else f"{value:.2f}"


def ref(row: Any, *, label: str = "name") -> dict[str, Any] | None:
    """{"id", "name"} of a related row, or None."""
    return None if row is None else {"id": row.id, "name": getattr(row, label)}


def user_ref(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "name": user.display_name,
                                      "email": user.email}


def stage_ref(stage: Any) -> dict[str, Any]:
    return {"id": stage.id, "name": stage.name, "kind": stage.kind.value,
            "position": stage.position}


def _columns(lead: Lead) -> dict[str, Any]:
    data: dict[str, Any] = {"id": lead.id}
    data.update({name: getattr(lead, name) or "" for name in TEXT_FIELDS})
    data["budget"] = money(lead.budget)
    data.update({name: iso(getattr(lead, name)) for name in DATE_FIELDS + TIME_FIELDS})
    data["version"] = lead.version
    return data


def _relations(lead: Lead) -> dict[str, Any]:
    return {
        "source": ref(lead.source), "campaign": ref(lead.campaign), "company": ref(lead.company),
        "owner": user_ref(lead.owner), "team": ref(lead.team),
        "pipeline": ref(lead.pipeline), "stage": stage_ref(lead.stage),
        # The seed API's `status` is the stage name (DESIGN §2 maps its vocabulary onto stages).
        "status": lead.stage.name, "active": lead.active, "board_position": lead.board_position,
        "loss_reason": ref(lead.loss_reason), "tags": [tag.name for tag in lead.tags],
        "created_by": user_ref(lead.created_by), "converted": lead.converted_at is not None,
        "deleted": lead.deleted_at is not None,
    }


def lead_summary(lead: Lead, custom_fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """A lead in a list: every field and named relation, without contacts and counts; with
    its `custom_fields` when the caller loaded them for the page (lists must not pay a query
    per lead)."""
    summary = {**_columns(lead), **_relations(lead)}
    if custom_fields is not None:
        summary["custom_fields"] = custom_fields
    return summary


def contact_to_dict(link: LeadContact) -> dict[str, Any]:
    contact = link.contact
    return {"id": contact.id, "first_name": contact.first_name,
            "middle_name": contact.middle_name, "last_name": contact.last_name,
            "name": contact.full_name, "email": contact.email, "phone": contact.phone,
            "mobile": contact.mobile, "position": contact.position,
            "company": ref(contact.company), "is_primary": bool(link.is_primary)}


def conversion_to_dict(lead: Lead) -> dict[str, Any] | None:
    """Links to what the lead became, or None while it is not converted."""
    if lead.converted_at is None:
        return None
    contact = lead.converted_contact
    return {"converted_at": iso(lead.converted_at), "company": ref(lead.converted_company),
            "contact": None if contact is None else {"id": contact.id, "name": contact.full_name},
            "opportunity": ref(lead.opportunity)}


def _count(model: Any, lead_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(model)
                             .where(model.lead_id == lead_id)) or 0


def lead_to_dict(lead: Lead) -> dict[str, Any]:
    """The whole lead: summary plus contacts (primary flagged), conversion links and counts."""
    return {
        **lead_summary(lead),
        "contacts": [contact_to_dict(link) for link in lead.contact_links],
        "conversion": conversion_to_dict(lead),
        "comments_count": _count(Comment, lead.id),
        "attachments_count": _count(Attachment, lead.id),
        "custom_fields": custom_fields_api.as_json(lead),
    }


def comment_to_dict(comment: Comment) -> dict[str, Any]:
    return {"id": comment.id, "lead_id": comment.lead_id, "body": comment.body,
            "author": user_ref(comment.author), "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at)}


def attachment_to_dict(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "lead_id": attachment.lead_id, "filename": attachment.filename,
            "content_type": attachment.content_type, "size": attachment.size,
            "uploaded_by": user_ref(attachment.uploaded_by),
            "created_at": iso(attachment.created_at)}


def activity_to_dict(activity: Activity) -> dict[str, Any]:
    return {"id": activity.id, "kind": activity.kind.value, "field": activity.field,
            "old_value": activity.old_value, "new_value": activity.new_value,
            "data": activity.data, "actor": user_ref(activity.actor),
            "created_at": iso(activity.created_at)}
