"""Import rules: storing an upload, the mapping step, the dry run, the run itself and undo."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, select, update

from ..auth.models import User
from ..auth.permissions import is_admin
from ..custom_fields import types as custom_types
from ..custom_fields.models import CustomField, LeadFieldValue
from ..custom_fields.services import values_for
from ..db_types import as_utc, utcnow
from ..errors import RuleViolation
from ..events import leads_changed_in_bulk
from ..extensions import db
from ..leads.attachments import human_size
from ..leads.models import Activity, ActivityKind, Lead, Tag, lead_tags
from ..leads.scope import origin_clause
from ..sources.models import Campaign, LeadSource
from . import mapping as mapping_rules
from .classify import Classifier, Outcome, as_text, batches, change_label, data_rows
from .export import escape_formula
from .models import DuplicateMode, ImportJob, ImportRowError, ImportStatus, ImportUpdate
from .reading import FileInfo, estimate_rows, inspect_file, read_header, to_csv_line
from .writer import BatchWriter
from .writer import jsonable as writer_jsonable

PREVIEW_ROWS = 10
PROGRESS_SECONDS = 0.5
UNKNOWN_LIMIT = 200
CHECKING = ImportStatus.mapped  # the mapping is saved and the worker is checking every row
EDITABLE = (ImportStatus.uploaded, ImportStatus.mapped, ImportStatus.previewed)
IN_PROGRESS = (ImportStatus.queued, ImportStatus.running)
FINISHED = (ImportStatus.done, ImportStatus.failed, ImportStatus.undone)


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES") or 50 * 1024 * 1024)


def size_label(size: int) -> str:
    return human_size(size)  # "512 KB" for a small limit, where whole megabytes said "0 MB"


# ---- upload ----------------------------------------------------------------------------------

def create_job(user: User, stream: IO[bytes] | None, filename: str) -> ImportJob:
    """Store the upload under a random name, check what it is, and open a job for it."""
    if stream is None or not filename:
        raise RuleViolation("Choose a .csv or .xlsx file to upload.", field="file")
    suffix = ".xlsx" if filename.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    stored = f"{secrets.token_hex(16)}{suffix}"
    path = upload_folder() / stored
    try:
        _save(stream, path, max_bytes())
        info = _inspect(path, filename)
        return _open_job(user, filename, stored, info)
    except BaseException:
        # Whatever went wrong (a refused file, a reader bug, the database), no job points at
        # the file, so nothing would ever delete it.
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise


def _inspect(path: Path, filename: str) -> FileInfo:
    """What the stored upload is; RuleViolation unless it is readable and has a header row."""
    info = inspect_file(path, filename, max_bytes() * 20)
    headers, _ = read_header(path, info.file_format, encoding=info.encoding or "utf-8",
                             delimiter=info.delimiter or ",",
                             sheet=info.sheets[0] if info.sheets else "")
    if not any(headers):
        raise RuleViolation("The file has no header row: the first row must name the columns.",
                            field="file")
    return info


def _open_job(user: User, filename: str, stored: str, info: FileInfo) -> ImportJob:
    # The name is only shown back; PostgreSQL refuses NUL characters in text.
    filename = filename.replace("\x00", "")
    job = ImportJob(created_by_id=user.id, filename=filename[:255], stored_name=stored,
                    file_format=info.file_format, encoding=info.encoding,
                    delimiter=info.delimiter, sheet=info.sheets[0] if info.sheets else "",
                    options={"sheets": list(info.sheets)}, mapping={}, match_keys=["email"],
                    duplicate_mode=DuplicateMode.skip, status=ImportStatus.uploaded)
    db.session.add(job)
    db.session.commit()
    return job


def _save(stream: IO[bytes], path: Path, limit: int) -> None:
    written = 0
    with path.open("wb") as target:
        while chunk := stream.read(1024 * 1024):
            written += len(chunk)
            if written > limit:
                break
            target.write(chunk)
    if written > limit:
        path.unlink(missing_ok=True)
        raise RuleViolation(f"The file is larger than {size_label(limit)}. Split it into smaller "
                            "files, or remove columns you do not need.", field="file")


def job_for(user: User, job_id: int) -> ImportJob | None:
    """The job if this user may see it: its creator, or an admin."""
    job = db.session.get(ImportJob, job_id)
    if job is None or not (job.created_by_id == user.id or is_admin(user)):
        return None
    return job


def recent_jobs(user: User, limit: int = 10) -> list[ImportJob]:
    query = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
    if not is_admin(user):
        query = query.where(ImportJob.created_by_id == user.id)
    return list(db.session.scalars(query))


# ---- mapping ---------------------------------------------------------------------------------

@dataclass
class MappingView:
    headers: list[str]
    samples: list[list[str]]
    mapping: dict[str, str]
    sheets: list[str]
    sheet: str
    problem: str = ""  # why the sheet's rows cannot be read (a damaged sheet, a runaway cell)


def path_of(job: ImportJob) -> Path:
    return upload_folder() / job.stored_name


def mapping_view(job: ImportJob, sheet: str | None = None) -> MappingView:
    """Headers, sample rows and the suggested (or saved) mapping for the chosen sheet."""
    sheets = list((job.options or {}).get("sheets", []))
    chosen = sheet if sheet in sheets else job.sheet
    try:
        headers, samples = read_header(path_of(job), job.file_format,
                                       encoding=job.encoding or "utf-8",
                                       delimiter=job.delimiter or ",", sheet=chosen)
    except RuleViolation as error:
        # Another sheet than the one checked at upload may be damaged: the page says so.
        return MappingView([], [], {}, sheets, chosen, error.message)
    saved = job.mapping if job.mapping and chosen == job.sheet else None
    return MappingView(headers, samples, saved or mapping_rules.guess_mapping(headers), sheets,
                       chosen)


def save_mapping(job: ImportJob, *, sheet: str, mapping: dict[str, str], match_keys: list[str],
                 mode: str, default_source_id: int | None) -> dict[str, str]:
    """Check and store the mapping, remember it per header, and hand the dry run of the whole
    file to the worker (queue the job id). Returns problems as {field: message}; nothing is
    stored when there are any."""
    if job.status not in EDITABLE:
        raise RuleViolation("This import has already run; start a new one to change the mapping.")
    default_source = db.session.get(LeadSource, default_source_id) if default_source_id else None
    problems = mapping_rules.check_mapping(mapping, default_source is not None, match_keys)
    if mode not in DuplicateMode.__members__:
        problems["duplicate_mode"] = "Choose what a duplicate does."
    if problems:
        return problems
    view = mapping_view(job, sheet)
    if view.problem:
        raise RuleViolation(view.problem, field="file")
    job.sheet, job.mapping, job.match_keys = view.sheet, mapping, match_keys
    job.duplicate_mode = DuplicateMode(mode)
    job.options = {**(job.options or {}), "headers": view.headers,
                   "default_source_id": default_source.id if default_source else None}
    mapping_rules.remember(view.headers, mapping)
    # `mapped` reads "mapping saved, every row being checked" until the worker has previewed.
    # A check still running for an earlier mapping sees started_at change and stops.
    job.status, job.preview, job.error = CHECKING, {}, ""
    job.processed_rows, job.total_rows = 0, 0
    job.started_at, job.heartbeat_at = None, utcnow()
    db.session.commit()
    return {}


# ---- dry run ---------------------------------------------------------------------------------

class _Superseded(Exception):
    """The job stopped being this check's: the mapping was saved again, or it went stale."""


def work(job_id: int) -> None:
    """What the worker does with a job id: check every row of a mapped job, run a queued one."""
    status = db.session.scalar(select(ImportJob.status).where(ImportJob.id == job_id))
    if status == CHECKING:
        check(job_id)
    else:
        run_import(job_id)


def check(job_id: int) -> None:
    """The dry run, off the request: classify every row with progress, then the preview (or
    back to the mapping with what to fix)."""
    claim = _claim_check(job_id)
    if claim is None:
        return
    job = db.session.get(ImportJob, job_id)
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    try:
        preview = dry_run(job, actor, _CheckProgress(job_id, claim))
    except _Superseded:
        db.session.rollback()
        return
    except Exception as exc:
        db.session.rollback()
        _end_check(job_id, claim, status=ImportStatus.uploaded, error=_check_error(exc, job_id))
        return
    _end_check(job_id, claim, status=ImportStatus.previewed, preview=preview,
               total_rows=preview["total"], processed_rows=0)


def _check_error(exc: Exception, job_id: int) -> str:
    if isinstance(exc, RuleViolation):
        return exc.message
    current_app.logger.exception("Dry run of import %s failed", job_id)
    return (f"Checking the rows stopped with an error ({exc.__class__.__name__}); nothing was "
            "stored. Check every row again, or upload the file again.")


def _this_check(job_id: int, claim: datetime) -> list[Any]:
    return [ImportJob.id == job_id, ImportJob.status == CHECKING, ImportJob.started_at == claim]


def _claim_check(job_id: int) -> datetime | None:
    """Take the check in one conditional UPDATE (so a job id delivered twice is checked once);
    started_at marks it as this worker's. Sets the row estimate for the progress bar."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        return None
    estimate = estimate_rows(path_of(job), job.file_format, encoding=job.encoding or "utf-8",
                             sheet=job.sheet)
    now = utcnow()
    claimed = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == CHECKING,
                                ImportJob.started_at.is_(None))
        .values(started_at=now, heartbeat_at=now, total_rows=estimate, processed_rows=0)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return now if claimed else None


class _CheckProgress:
    """Writes the rows checked to the job at most every PROGRESS_SECONDS: the page polls once
    a second, and a commit after every batch would cost more than checking the batch."""

    def __init__(self, job_id: int, claim: datetime) -> None:
        self.job_id, self.claim, self.last = job_id, claim, time.monotonic()

    def __call__(self, done: int) -> None:
        if time.monotonic() - self.last >= PROGRESS_SECONDS:
            _check_progress(self.job_id, self.claim, done)
            self.last = time.monotonic()


def _check_progress(job_id: int, claim: datetime, done: int) -> None:
    moved = db.session.execute(
        update(ImportJob).where(*_this_check(job_id, claim))
        .values(processed_rows=done, heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not moved:
        raise _Superseded


def _end_check(job_id: int, claim: datetime, **values: Any) -> None:
    db.session.execute(update(ImportJob).where(*_this_check(job_id, claim))
                       .values(started_at=None, heartbeat_at=utcnow(), **values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def dry_run(job: ImportJob, user: User | None,
            progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Classify every row of the file without writing anything; a summary for the preview.
    `progress` hears the number of rows checked after each batch."""
    classifier = Classifier(job, user, (job.options or {}).get("headers", []), _region())
    counts: Counter[str] = Counter()
    samples: dict[str, list[dict[str, Any]]] = {"create": [], "update": [], "skip": [],
                                                "error": []}
    unknown: dict[str, Counter[str]] = {"sources": Counter(), "tags": Counter(),
                                        "campaigns": Counter()}
    known_tags = {name.lower() for name in db.session.scalars(select(Tag.name))}
    for batch in batches(data_rows(job, upload_folder())):
        for outcome in classifier.classify(batch):
            counts[outcome.kind] += 1
            if len(samples[outcome.kind]) < PREVIEW_ROWS:
                samples[outcome.kind].append(_sample(outcome, classifier))
            if outcome.kind in ("create", "update"):
                _count_unknown(outcome, classifier, known_tags, unknown)
        if progress is not None:
            progress(counts.total())
    return {"total": sum(counts.values()), "counts": dict(counts), "samples": samples,
            **{f"unknown_{kind}": counter.most_common(UNKNOWN_LIMIT)
               for kind, counter in unknown.items()}}


def _region() -> str:
    return current_app.config.get("DEFAULT_PHONE_REGION", "US")


def _count_unknown(outcome: Outcome, classifier: Classifier, known_tags: set[str],
                   unknown: dict[str, Counter[str]]) -> None:
    """Values the run would create unless the user maps them to existing ones."""
    result = outcome.result
    if result.source_name and result.source_name.lower() not in classifier.source_names:
        unknown["sources"][result.source_name] += 1
    if (result.campaign_name and classifier.campaign_from_column
            and result.campaign_name.lower() not in classifier.campaign_names):
        unknown["campaigns"][result.campaign_name] += 1
    for tag in result.tag_names:
        if tag.lower() not in known_tags:
            unknown["tags"][tag] += 1


def _sample(outcome: Outcome, classifier: Classifier) -> dict[str, Any]:
    values = outcome.result.values
    sample: dict[str, Any] = {
        "row": outcome.row, "title": values.get("title", ""),
        "contact": " ".join(filter(None, (values.get("first_name"), values.get("last_name")))),
        "email": values.get("email", ""), "phone": values.get("phone", ""),
        "source": outcome.result.source_name, "reason": outcome.reason,
        "errors": [list(error) for error in outcome.result.errors],
    }
    if outcome.lead:
        sample["lead_id"] = outcome.lead["id"]
    changes = [[change_label(column), _shown(classifier, column, old),
                _shown(classifier, column, new)]
               for column, (old, new) in outcome.changes.items()]
    if outcome.added_tags:
        changes.append(["Tags", "", "+ " + ", ".join(outcome.added_tags)])
    sample["changes"] = changes
    return sample


def _shown(classifier: Classifier, column: str, value: Any) -> str:
    """Ids as names in the preview (new values of sources and campaigns are already names)."""
    if isinstance(value, int) and column == "source_id":
        return dict(classifier.source_names.values()).get(value, "")
    if isinstance(value, int) and column == "campaign_id":
        return dict(classifier.campaign_names.values()).get(value, "")
    if isinstance(value, int) and column == "owner_id" and classifier.owners is not None:
        return classifier.owners.labels.get(value, "")
    if value is None and column == "owner_id":
        return "(nobody)"
    if column.startswith("cf_"):
        return classifier.custom_text(column, value)
    return as_text(value)


# ---- run -------------------------------------------------------------------------------------

def value_choices() -> dict[str, list[tuple[int, str]]]:
    """Existing sources, campaigns and tags the unknown values can be mapped to."""
    sources = db.session.execute(select(LeadSource.id, LeadSource.name)
                                 .order_by(func.lower(LeadSource.name))).tuples().all()
    campaigns = db.session.execute(select(Campaign.id, Campaign.name)
                                   .order_by(func.lower(Campaign.name)).limit(500)).tuples().all()
    tags = db.session.execute(select(Tag.id, Tag.name).order_by(func.lower(Tag.name))
                              .limit(500)).tuples().all()
    return {"sources": list(sources), "campaigns": list(campaigns), "tags": list(tags)}


def start(job: ImportJob, value_maps: dict[str, dict[str, str]]) -> ImportJob:
    """Confirm a previewed import: keep how unknown values map ({"sources": {raw: "new" | id},
    "campaigns": ..., "tags": ...}), queue it; the worker runs it."""
    if job.status != ImportStatus.previewed:
        raise RuleViolation("This import is not waiting for confirmation.")
    choices = value_choices()
    for kind, chosen in value_maps.items():
        valid = {str(item_id) for item_id, _ in choices[kind]}
        for value in chosen.values():
            if value != "new" and value not in valid:
                raise RuleViolation("Choose an existing value or “create new” for each one.")
    job.options = {**(job.options or {}), **value_maps}
    job.status, job.heartbeat_at = ImportStatus.queued, utcnow()
    db.session.commit()
    return job


def _claim(job_id: int) -> ImportJob | None:
    """Move a queued job to running in one conditional UPDATE, so two workers (or a resumed
    job still sitting in a dead queue) never run the same job twice."""
    now = utcnow()
    claimed = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == ImportStatus.queued)
        .values(status=ImportStatus.running, heartbeat_at=now,
                started_at=func.coalesce(ImportJob.started_at, now))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return db.session.get(ImportJob, job_id) if claimed else None


def run_import(job_id: int) -> None:
    """Process a queued job in batches, committing each batch with the job's progress. A
    resumed job carries on after the rows its earlier run committed."""
    job = _claim(job_id)
    if job is None:
        return
    try:
        _process(job)
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("Import %s failed", job_id)
        job = db.session.get(ImportJob, job_id)
        job.status, job.finished_at = ImportStatus.failed, utcnow()
        why = exc.message if isinstance(exc, RuleViolation) else f"{exc.__class__.__name__}."
        job.error = f"The import stopped after {job.processed_rows} rows: {why}"
        db.session.commit()


def _process(job: ImportJob) -> None:
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    classifier = Classifier(job, actor, (job.options or {}).get("headers", []), _region())
    writer = BatchWriter(job, actor)
    rows = data_rows(job, upload_folder())
    # Rows an earlier run committed are classified again, unwritten, so "duplicate of row N in
    # this file" still knows them; every batch commits with its counts, so none is written twice.
    for batch in batches(islice(rows, job.processed_rows)):
        classifier.classify(batch)
    for batch in batches(rows):
        writer.write(classifier.classify(batch))
        job.heartbeat_at = utcnow()
        db.session.commit()
    job.total_rows = job.processed_rows
    job.status, job.finished_at = ImportStatus.done, utcnow()
    db.session.commit()


def stale_after() -> timedelta:
    return timedelta(seconds=current_app.config.get("IMPORT_STALE_SECONDS", 120))


def mark_if_interrupted(job: ImportJob) -> bool:
    """A job being checked, queued or running that has not made progress for a while lost its
    worker (the process restarted or crashed): say so, and let the user resume it."""
    if job.status not in (CHECKING, *IN_PROGRESS) or not _stale(job):
        return False
    if job.status == CHECKING:
        # A dry run wrote nothing: its mapping is kept, and checking again starts it over.
        job.status, job.started_at = ImportStatus.uploaded, None
        job.error = (f"Checking the rows stopped after {job.processed_rows:,} rows: the process "
                     "running it ended (a restart or a crash). Nothing was stored; check every "
                     "row again to resume.")
    else:
        job.status, job.finished_at = ImportStatus.failed, utcnow()
        job.error = (f"The import stopped after {job.processed_rows:,} of {job.total_rows:,} "
                     "rows: the process running it ended (a restart or a crash). Nothing is "
                     "half-written; resume to import the remaining rows.")
    db.session.commit()
    return True


def _stale(job: ImportJob) -> bool:
    last_sign = job.heartbeat_at or job.started_at or job.created_at
    return last_sign is not None and as_utc(last_sign) <= utcnow() - stale_after()


def resumable(job: ImportJob) -> bool:
    return (job.status == ImportStatus.failed and job.processed_rows < job.total_rows
            and (upload_folder() / job.stored_name).exists())


def resume(job: ImportJob) -> ImportJob:
    """Queue a stopped import again; it continues after the last committed batch."""
    if not resumable(job):
        raise RuleViolation("Only an import that stopped before its last row can be resumed.")
    job.status, job.error, job.finished_at = ImportStatus.queued, "", None
    job.heartbeat_at = utcnow()
    db.session.commit()
    return job


# ---- result ----------------------------------------------------------------------------------

def error_csv(job: ImportJob) -> Iterator[str]:
    """The failed rows as they were uploaded, plus an `error` column: fix and re-upload."""
    headers = list((job.options or {}).get("headers", []))
    # Cells that a spreadsheet would run as formulas are quoted (the importer strips the quote).
    yield "\ufeff" + to_csv_line([escape_formula(header) for header in [*headers, "error"]])
    last = 0
    while True:
        rows = db.session.execute(
            select(ImportRowError.id, ImportRowError.cells, ImportRowError.message)
            .where(ImportRowError.job_id == job.id, ImportRowError.id > last)
            .order_by(ImportRowError.id).limit(1000)).all()
        if not rows:
            return
        for row_id, cells, message in rows:
            values = list((cells or {}).get("values", []))
            values += [""] * (len(headers) - len(values))
            yield to_csv_line([escape_formula(str(value)) for value in [*values, message]])
            last = row_id


@dataclass
class UndoSummary:
    trashed: int
    restored: int
    kept: int  # updated leads whose imported values were changed again since


def undo_counts(job: ImportJob) -> tuple[int, int]:
    """(created leads still live, updated leads) that an undo would touch."""
    created = db.session.scalar(select(func.count()).select_from(Lead).where(
        origin_clause(f"import:{job.id}"), Lead.deleted_at.is_(None))) or 0
    updated = db.session.scalar(select(func.count()).select_from(ImportUpdate)
                                .where(ImportUpdate.job_id == job.id)) or 0
    return created, updated


def undo(job: ImportJob, actor: User) -> UndoSummary:
    """Trash the leads the import created and put back the values it overwrote."""
    if job.status not in (ImportStatus.done, ImportStatus.failed):
        raise RuleViolation("Only a finished or stopped import can be undone.")
    now = utcnow()
    created_ids = list(db.session.scalars(select(Lead.id).where(
        origin_clause(f"import:{job.id}"), Lead.deleted_at.is_(None))))
    for start_at in range(0, len(created_ids), 5000):
        chunk = created_ids[start_at:start_at + 5000]
        db.session.execute(update(Lead.__table__).where(Lead.__table__.c.id.in_(chunk))
                           .values(deleted_at=now, version=Lead.__table__.c.version + 1))
        db.session.execute(insert(Activity.__table__), [
            {"lead_id": lead_id, "actor_id": actor.id, "kind": ActivityKind.deleted,
             "created_at": now, "field": "", "old_value": "", "new_value": "",
             "data": {"undo_import": job.id}} for lead_id in chunk])
    leads_changed_in_bulk.send(None, lead_ids=created_ids, event="lead.deleted", actor=actor,
                               changes={}, via="import")
    restored, kept = _restore_updates(job, actor, now)
    summary = UndoSummary(len(created_ids), restored, kept)
    # Kept with the job, so its result page says what the undo did whenever it is opened.
    job.options = {**(job.options or {}), "undo": asdict(summary)}
    job.status = ImportStatus.undone
    db.session.commit()
    return summary


RESTORE_CHUNK = 1000


def _restore_updates(job: ImportJob, actor: User, now: Any) -> tuple[int, int]:
    """Put back what an update import overwrote, a thousand leads at a time: one read of the
    leads and of their custom values, then each kind of write as one executemany."""
    restored = kept = 0
    rows = db.session.execute(select(ImportUpdate.lead_id, ImportUpdate.before)
                              .where(ImportUpdate.job_id == job.id)
                              .order_by(ImportUpdate.lead_id)).all()
    fields = {item.param: item for item in db.session.scalars(select(CustomField))}
    for start_at in range(0, len(rows), RESTORE_CHUNK):
        chunk = [(lead_id, before or {}) for lead_id, before in
                 rows[start_at:start_at + RESTORE_CHUNK]]
        writes = _Restore(job.id, actor.id, now)
        leads = {lead.id: lead for lead in db.session.scalars(
            select(Lead).where(Lead.id.in_([lead_id for lead_id, _ in chunk])))}
        custom_now = values_for(list(leads), list(fields.values())) if fields else {}
        for lead_id, before in chunk:
            if lead_id not in leads:
                continue
            changed = writes.plan(leads[lead_id], before, fields, custom_now.get(lead_id, {}))
            restored += 1 if changed else 0
            kept += 0 if changed else 1
        writes.flush()
        for lead in leads.values():
            db.session.expire(lead)  # the writes went around the ORM
        writes.announce(actor)
    return restored, kept


class _Restore:
    """The writes that put back one chunk of leads, gathered so each kind runs once."""

    def __init__(self, job_id: int, actor_id: int, now: Any) -> None:
        self.job_id, self.actor_id, self.now = job_id, actor_id, now
        self.updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        self.activities: list[dict[str, Any]] = []
        self.tag_removals: list[dict[str, Any]] = []
        self.custom_removals: list[dict[str, Any]] = []
        self.custom_rows: list[dict[str, Any]] = []
        self.changes_by_lead: dict[int, dict[str, tuple[Any, Any]]] = {}
        self.custom_changes: dict[int, dict[str, tuple[Any, Any]]] = {}

    def plan(self, lead: Lead, before: dict[str, Any], fields: dict[str, CustomField],
             custom_now: dict[int, Any]) -> bool:
        """Plan putting back each field the import changed, unless someone changed it again
        since. True when anything comes back."""
        values: dict[str, Any] = {}
        for column, (old, new) in before.get("fields", {}).items():
            if _text(getattr(lead, column)) == _text(_typed(column, new)):
                values[column] = _typed(column, old)
        custom = self._plan_custom(lead.id, before.get("custom") or {}, fields, custom_now)
        if values or custom:
            params = {f"new_{column}": value for column, value in values.items()}
            self.updates.setdefault(tuple(sorted(values)), []).append({"lead_id": lead.id,
                                                                       **params})
        self.activities += [self._activity(lead.id, column, _text(getattr(lead, column)),
                                           _text(value)) for column, value in values.items()]
        changes = {column: (getattr(lead, column), value) for column, value in values.items()}
        if changes or custom:
            self.changes_by_lead[lead.id] = {**changes, **self.custom_changes.pop(lead.id, {})}
        tags = before.get("tags_added") or []
        self.tag_removals += [{"lead_id": lead.id, "tag_id": tag_id} for tag_id in tags]
        return bool(values or tags or custom)

    def _plan_custom(self, lead_id: int, before: dict[str, Any], fields: dict[str, CustomField],
                     current: dict[int, Any]) -> bool:
        """The custom values the import changed ({cf_<key>: [old, new]} as JSON) where the lead
        still holds the imported value: the old value again, or no row when it had none. A
        field deleted since is skipped (its values went with it)."""
        restored = False
        for column, (old, new) in before.items():
            item = fields.get(column)
            if item is None or writer_jsonable(current.get(item.id)) != new:
                continue
            try:
                value = custom_types.parse(_optional(item), old)
            except ValueError:  # a choice removed since: the old value cannot come back
                continue
            self.custom_changes.setdefault(lead_id, {})[f"custom_fields.{item.key}"] = (
                custom_types.as_json(item, current.get(item.id)),
                custom_types.as_json(item, value))
            self.custom_removals.append({"lead_id": lead_id, "field_id": item.id})
            if value is not None:
                self.custom_rows.append({"lead_id": lead_id, "field_id": item.id,
                                         **custom_types.columns(item, value)})
            self.activities.append(self._activity(
                lead_id, item.label[:60], custom_types.display(item, current.get(item.id)),
                custom_types.display(item, value)))
            restored = True
        return restored

    def _activity(self, lead_id: int, field: str, old: str, new: str) -> dict[str, Any]:
        return {"lead_id": lead_id, "actor_id": self.actor_id,
                "kind": ActivityKind.field_changed, "field": field, "old_value": old,
                "new_value": new, "created_at": self.now, "data": {"undo_import": self.job_id}}

    def flush(self) -> None:
        leads, values = Lead.__table__, LeadFieldValue.__table__
        for columns, params in self.updates.items():
            db.session.execute(
                update(leads).where(leads.c.id == bindparam("lead_id"))
                .values({**{column: bindparam(f"new_{column}") for column in columns},
                         "version": leads.c.version + 1, "updated_at": self.now}), params)
        if self.tag_removals:
            db.session.execute(delete(lead_tags).where(
                lead_tags.c.lead_id == bindparam("lead_id"),
                lead_tags.c.tag_id == bindparam("tag_id")), self.tag_removals)
        if self.custom_removals:
            db.session.execute(delete(values).where(
                values.c.lead_id == bindparam("lead_id"),
                values.c.field_id == bindparam("field_id")), self.custom_removals)
        if self.custom_rows:
            db.session.execute(insert(values), self.custom_rows)
        if self.activities:
            db.session.execute(insert(Activity.__table__), self.activities)

    def announce(self, actor: User) -> None:
        """lead.updated for the leads whose values came back, as the import announced its own
        changes (old → new, here the imported value → the restored one)."""
        if self.changes_by_lead:
            leads_changed_in_bulk.send(None, lead_ids=list(self.changes_by_lead),
                                       event="lead.updated", actor=actor, changes={},
                                       via="import", changes_by_lead=self.changes_by_lead)


def _optional(item: CustomField) -> CustomField:
    """A detached copy that accepts an empty value: a required field may have been empty
    before the import (required later), and undo must be able to put that back."""
    return CustomField(key=item.key, label=item.label, kind=item.kind, options=item.options,
                       required=False)


def _typed(column: str, value: Any) -> Any:
    if value is None or value == "":
        return None if column in ("budget", "start_date", "deadline") else value
    if column == "budget":
        return Decimal(str(value))
    if column in ("start_date", "deadline"):
        return date.fromisoformat(str(value))
    if column in ("source_id", "campaign_id", "owner_id"):
        return int(value)
    return value


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    return "" if value is None else str(value)

