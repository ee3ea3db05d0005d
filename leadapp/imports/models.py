"""Import jobs: an uploaded file, its column mapping, progress, per-row errors, undo data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import created_at_column, enum_column, updated_at_column
from ..extensions import db


class ImportStatus(StrEnum):
    uploaded = "uploaded"
    mapped = "mapped"
    previewed = "previewed"
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    undone = "undone"


class DuplicateMode(StrEnum):
    skip = "skip"
    update = "update"
    create = "create"


class ImportJob(db.Model):
    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str] = mapped_column(String(30), default="")
    delimiter: Mapped[str] = mapped_column(String(4), default="")
    sheet: Mapped[str] = mapped_column(String(120), default="")
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    match_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    duplicate_mode: Mapped[DuplicateMode] = enum_column(DuplicateMode, "duplicate_mode",
                                                        default=DuplicateMode.skip)
    status: Mapped[ImportStatus] = enum_column(ImportStatus, "import_status",
                                               default=ImportStatus.uploaded)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    # What the mapping step chose besides the columns: default source, and how unknown sources
    # and tags map ({"sources": {"raw value": "new" | "<id>"}, "tags": {...}}).
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The dry run's summary: counts, the first rows of each class, unknown values.
    preview: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Written with every committed batch (and when queued): a queued or running job whose
    # heartbeat is old lost its worker (a restart or crash) and can be resumed.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    created_by = relationship("User")


class ImportRowError(db.Model):
    """A row that could not be imported, kept with its original cells for the error CSV."""

    __tablename__ = "import_row_errors"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"),
                                        index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    cells: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text)


class ImportUpdate(db.Model):
    """The values a lead had before an import updated it, so the import can be undone."""

    __tablename__ = "import_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"),
                                        index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ImportHeaderMapping(db.Model):
    """The lead field a column header was last mapped to, suggested again on the next import."""

    __tablename__ = "import_header_mappings"
    __table_args__ = (UniqueConstraint("header_key", name="uq_import_header_mappings_header_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    header_key: Mapped[str] = mapped_column(String(120))
    field: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = updated_at_column()
