"""Attachment files: stored under UPLOAD_DIR by a random name; the original name is metadata."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from ..auth.models import User
from ..auth.permissions import can
from ..errors import NotAllowed, RuleViolation
from ..extensions import db
from .activity import record
from .models import ActivityKind, Attachment, Lead
from .services import require_editable

CHUNK = 64 * 1024


def max_bytes() -> int:
    """LEAD_ATTACHMENT_MAX_BYTES when set, never more than MAX_CONTENT_LENGTH."""
    limit = current_app.config.get("LEAD_ATTACHMENT_MAX_BYTES") or 10 * 1024 * 1024
    overall = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(limit, overall) if overall else limit


def human_size(size: int) -> str:
    """1,536 → "1.5 KB"; whole numbers without ".0" ("10 MB")."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            number = f"{value:.0f}" if unit == "bytes" else f"{value:.1f}".removesuffix(".0")
            return f"{number} {unit}"
        value /= 1024
    return f"{size} bytes"


def too_big_message() -> str:
    return f"The file is too big: the limit is {human_size(max_bytes())}."


def upload_dir() -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"]) / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def path_of(attachment: Attachment) -> Path:
    return upload_dir() / attachment.stored_name


def save_upload(lead: Lead, upload: FileStorage | None, actor: User) -> Attachment:
    """Store the file (refusing ones over the limit), add the row and an activity; commit."""
    require_editable(actor, lead)
    if upload is None or not upload.filename:
        raise RuleViolation("Choose a file to upload.", field="file")
    stored_name = secrets.token_hex(16)
    target = upload_dir() / stored_name
    size = _write_limited(upload, target)
    name = (secure_filename(upload.filename) or "file")[:255]
    attachment = Attachment(lead_id=lead.id, uploaded_by=actor, filename=name,
                            stored_name=stored_name, size=size,
                            content_type=(upload.mimetype or "application/octet-stream")[:120])
    try:
        db.session.add(attachment)
        db.session.flush()
        record(lead, ActivityKind.attached, actor, new=name, data={"attachment_id": attachment.id})
        db.session.commit()
    except Exception:
        db.session.rollback()
        target.unlink(missing_ok=True)
        raise
    return attachment


def _write_limited(upload: FileStorage, target: Path) -> int:
    limit, size = max_bytes(), 0
    with target.open("wb") as out:
        while chunk := upload.stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                target.unlink(missing_ok=True)
                raise RuleViolation(too_big_message(), field="file")
            out.write(chunk)
    if size == 0:
        target.unlink(missing_ok=True)
        raise RuleViolation("The file is empty.", field="file")
    return size


def delete_attachment(lead: Lead, attachment: Attachment, actor: User) -> None:
    """Uploaders, managers and admins may delete an attachment; the file goes with the row."""
    require_editable(actor, lead)
    if attachment.uploaded_by_id != actor.id and not can(actor, "leads.delete"):
        raise NotAllowed("Only the uploader, a manager or an admin can delete this file.")
    path = path_of(attachment)
    record(lead, ActivityKind.field_changed, actor, field="attachments", old=attachment.filename)
    db.session.delete(attachment)
    db.session.commit()
    path.unlink(missing_ok=True)
