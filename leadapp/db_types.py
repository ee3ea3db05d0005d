"""Column helpers shared by the feature models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, overload

from sqlalchemy import DateTime, Enum
from sqlalchemy.orm import mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...


@overload
def as_utc(moment: None) -> None: ...


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime: SQLite hands them back naive, in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


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


def built_on(dialect_name: str) -> Callable[..., bool]:
    """Alembic include_object hook: skip schema items declared for another database only
    (e.g. `Index(...).ddl_if(dialect="postgresql")`), so autogenerate does not ask for them,
    and SQLite's search table with its FTS5 storage, which no model describes."""
    from .leads.search_index import TABLES  # imports the models, which import this module

    def include(obj: Any, name: Any, type_: str, reflected: bool, _compare_to: Any) -> bool:
        if type_ == "table" and reflected and name in TABLES:
            return False
        condition = getattr(obj, "_ddl_if", None)
        dialects = getattr(condition, "dialect", None)
        if dialects is None:
            return True
        return dialect_name in ((dialects,) if isinstance(dialects, str) else dialects)

    return include
