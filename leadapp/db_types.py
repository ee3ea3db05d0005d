"""Column helpers shared by the feature models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Enum
from sqlalchemy.orm import mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_column() -> Any:
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


def updated_at_column() -> Any:
    return mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False)


def enum_column(enum: type[StrEnum], name: str, **kwargs: Any) -> Any:
    """A VARCHAR holding the member name, with a CHECK constraint listing the allowed values."""
    length = max(len(member.name) for member in enum)
    return mapped_column(
        Enum(enum, native_enum=False, create_constraint=True, name=name, length=length,
             validate_strings=True),
        **kwargs,
    )
