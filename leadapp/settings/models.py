"""Settings an admin changes at run time, kept in the database (not the environment)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import updated_at_column
from ..extensions import db


class AppSetting(db.Model):
    """One key/value pair; services.py knows the keys and how each value is read."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = updated_at_column()
