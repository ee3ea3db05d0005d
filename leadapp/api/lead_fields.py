"""GET /api/leads/fields: every lead field a client can read or send (Bitrix24's crm.lead.fields).

Labels, types and required flags come from the lead form and the click-to-edit specs, so this
list cannot drift from what the API validates.
"""

from __future__ import annotations

from typing import Any

from ..auth.models import User
from ..custom_fields import api as custom_fields_api
from ..leads import services
from ..leads.forms import CURRENCIES, LeadForm
from ..leads.models import Lead

# Click-to-edit kind -> the JSON type a client sends.
TYPES = {"string": "string", "text": "string", "email": "email", "phone": "phone",
         "url": "url", "select": "id", "date": "date", "money": "decimal",
         "currency": "enum", "tags": "tags"}
# Fields only the lead form has (POST and PUT): name -> type.
FORM_ONLY = {"new_company": "boolean", "new_company_name": "string", "company_website": "url",
             "company_tin": "string", "company_id": "id", "new_contact": "boolean",
             "contact_id": "id", "pipeline_id": "id", "stage_id": "id", "auto_convert": "boolean"}
READ_ONLY = {"id": "integer", "status": "string", "active": "integer", "stage": "object",
             "pipeline": "object", "loss_reason": "object", "closing_date": "date",
             "closing_comment": "string", "converted": "boolean", "conversion": "object",
             "contacts": "array", "created_by": "object", "created_at": "datetime",
             "updated_at": "datetime", "version": "integer", "ref": "string",
             "ref_id": "string", "comments_count": "integer", "attachments_count": "integer"}


def _choices(field: str, user: User) -> list[dict[str, Any]] | None:
    if field == "currency":
        return [{"id": code, "name": code} for code in CURRENCIES]
    maker = services._CHOICES.get(field)
    if maker is None:
        return None
    return [{"id": value, "name": label} for value, label in maker(user, Lead())
            if value not in ("", None)]


def _form_label(name: str) -> str:
    unbound = getattr(LeadForm, name, None)
    return unbound.args[0] if unbound is not None and unbound.args else name.replace("_", " ")


def describe(user: User) -> list[dict[str, Any]]:
    """The editable fields (POST/PUT/PATCH), the lead form's extras, then the read-only ones."""
    fields = []
    for name, spec in services.EDITABLE.items():
        fields.append({"name": name, "label": spec.label, "type": TYPES.get(spec.kind, "string"),
                       "required": spec.required, "max_length": spec.max_len
                       if spec.kind in ("string", "email", "phone", "url") else None,
                       "choices": _choices(name, user), "writable": ["POST", "PUT", "PATCH"]
                       if name in services.SCALAR_FIELDS or name == "tags" else ["PATCH"]})
    for name, kind in FORM_ONLY.items():
        fields.append({"name": name, "label": _form_label(name), "type": kind,
                       "required": False, "max_length": None, "choices": None,
                       "writable": ["POST", "PUT"]})
    fields.extend(custom_fields_api.describe())
    fields.append({"name": "contacts", "label": "Contacts", "type": "array of ids",
                   "required": False, "max_length": None, "choices": None,
                   "writable": ["POST", "PATCH"]})
    for name, kind in READ_ONLY.items():
        if name != "contacts":
            fields.append({"name": name, "label": name.replace("_", " ").capitalize(),
                           "type": kind, "required": False, "max_length": None,
                           "choices": None, "writable": []})
    return fields
