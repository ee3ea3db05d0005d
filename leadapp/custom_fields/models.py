"""Custom lead fields: the definitions admins manage, and one typed value row per lead and field.

Values live in a narrow side table with one column per storage type rather than in a JSON column
on leads: SQLite and PostgreSQL then use the same plain b-tree indexes, without JSON operators
per dialect. A filter reads lead ids from a covering (field_id, value, lead_id) index (or probes
the primary key per lead when most leads match); a sort is a LEFT JOIN on one field.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import created_at_column, enum_column
from ..extensions import db


class FieldKind(StrEnum):
    text = "Text"
    long_text = "Long text"
    number = "Whole number"
    decimal = "Decimal (money)"
    date = "Date"
    yes_no = "Yes / no"
    choice = "One choice from a list"
    multi_choice = "Several choices"
    url = "Web address (URL)"
    email = "Email"
    phone = "Phone"

    @property
    def has_options(self) -> bool:
        return self in (FieldKind.choice, FieldKind.multi_choice)


class CustomField(db.Model):
    """One admin-defined lead field. `key` is fixed at creation, so renaming the label keeps
    every stored value, import mapping, API payload and saved list URL working."""

    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    kind: Mapped[FieldKind] = enum_column(FieldKind, "custom_field_kind")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    help_text: Mapped[str] = mapped_column(String(300), default="")
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    show_in_list: Mapped[bool] = mapped_column(Boolean, default=False)
    show_as_filter: Mapped[bool] = mapped_column(Boolean, default=False)
    show_on_card: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()

    @property
    def param(self) -> str:
        """Its name in forms, list URLs and the lead page's field endpoints."""
        return f"cf_{self.key}"


class LeadFieldValue(db.Model):
    """A lead's value for one field, in the column of the field's storage type. An empty value
    has no row. Several choices are kept as one normalised text, "|a|b|" in option order, so a
    lead still has one row per field (the primary key) and "has option a" is a LIKE."""

    __tablename__ = "lead_field_values"
    __table_args__ = (
        # lead_id last: a filter reads the matching lead ids from the index alone.
        Index("ix_lead_field_values_number", "field_id", "number_value", "lead_id"),
        Index("ix_lead_field_values_date", "field_id", "date_value", "lead_id"),
        Index("ix_lead_field_values_bool", "field_id", "bool_value", "lead_id"),
        # SQLite: the rows live in the primary-key b-tree, so the per-lead probe of a filter
        # (lead_id, field_id -> value) is one lookup instead of index + table.
        {"sqlite_with_rowid": False},
    )

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"),
                                         primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"),
                                          primary_key=True)
    # Short texts only (indexed); long text goes to long_value, which is never filtered on
    # with an index (a b-tree entry has a size limit on PostgreSQL).
    text_value: Mapped[str | None] = mapped_column(String(500))
    long_value: Mapped[str | None] = mapped_column(Text)
    number_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    date_value: Mapped[date | None] = mapped_column(Date)
    bool_value: Mapped[bool | None] = mapped_column(Boolean)


# Case-insensitive text filters and sorts; defined here to reference the mapped columns.
Index("ix_lead_field_values_text", LeadFieldValue.field_id, func.lower(LeadFieldValue.text_value),
      LeadFieldValue.lead_id)


class DeletedFieldExport(db.Model):
    """The values of a deleted field, as the CSV offered before deleting it, kept so a deletion
    never loses data for good."""

    __tablename__ = "deleted_field_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(120))
    value_count: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()


def storage_column(kind: FieldKind) -> str:
    """The LeadFieldValue column a kind is stored in."""
    return {FieldKind.long_text: "long_value", FieldKind.number: "number_value",
            FieldKind.decimal: "number_value", FieldKind.date: "date_value",
            FieldKind.yes_no: "bool_value"}.get(kind, "text_value")


def column_of(kind: FieldKind) -> Any:
    return getattr(LeadFieldValue, storage_column(kind))
