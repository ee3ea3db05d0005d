"""Shared helpers for the custom field tests: make fields and leads, read values back."""

from __future__ import annotations

from typing import Any

from flask import Flask

from leadapp.custom_fields import services
from leadapp.custom_fields.models import FieldKind
from leadapp.custom_fields.services import FieldSettings
from leadapp.extensions import db


def make_field(app: Flask, label: str, kind: FieldKind = FieldKind.text, **extra: Any) -> int:
    with app.app_context():
        return services.create_field(FieldSettings(label=label, kind=kind, **extra)).id


def set_value(app: Flask, lead_id: int, field_id: int, raw: Any) -> None:
    from leadapp.custom_fields.models import CustomField
    from leadapp.leads.models import Lead

    with app.app_context():
        item = db.session.get(CustomField, field_id)
        lead = db.session.get(Lead, lead_id)
        values = services.parse_values({item.param: raw}, {item.param: item}, partial=True)
        services.apply_values(lead, values, None, log=False)
        db.session.commit()


def value_of(app: Flask, lead_id: int, field_id: int) -> Any:
    from leadapp.leads.models import Lead

    with app.app_context():
        return services.values_of(db.session.get(Lead, lead_id)).get(field_id)


def lead_form(source_id: int, **extra: Any) -> dict[str, Any]:
    return {"title": "Rush order", "source_id": str(source_id), "new_company": "y",
            "new_company_name": "Quick Co", "company_website": "quick.example",
            "new_contact": "y", "first_name": "Kim", "last_name": "Park", **extra}
