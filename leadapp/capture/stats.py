"""The funnel without a tracker: renders counted on our own server, submissions by outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from ..db_types import utcnow
from ..extensions import db
from .models import CaptureForm, FormView, Submission, SubmissionStatus

PAGE_SIZE = 25
FILTERS = {
    "all": None,
    "quarantined": [SubmissionStatus.quarantined],
    "failed": [SubmissionStatus.failed],
    "leads": [SubmissionStatus.processed],
    "repeats": [SubmissionStatus.duplicate],
}


def count_view(form: CaptureForm, host_page: str) -> None:
    """One more render of the form today on this host page (a counter row, no visitor data)."""
    day = utcnow().date()
    where = (FormView.form_id == form.id, FormView.day == day, FormView.host_page == host_page)
    bump = update(FormView).where(*where).values(count=FormView.count + 1)
    if db.session.execute(bump).rowcount:
        db.session.commit()
        return
    db.session.add(FormView(form_id=form.id, day=day, host_page=host_page, count=1))
    try:
        db.session.commit()
    except IntegrityError:  # another render created today's row first
        db.session.rollback()
        db.session.execute(bump)
        db.session.commit()


@dataclass
class FunnelRow:
    host_page: str
    renders: int = 0
    submissions: int = 0
    quarantined: int = 0
    failed: int = 0
    leads: int = 0
    repeats: int = 0

    @property
    def rate(self) -> str:
        """Submissions per render, when renders were counted."""
        if not self.renders:
            return "—"
        return f"{100 * self.submissions / self.renders:.1f} %"


def _counts(*where: Any) -> Any:
    status = Submission.status
    return select(
        Submission.host_page, func.count(),
        func.sum(case((status == SubmissionStatus.quarantined, 1), else_=0)),
        func.sum(case((status == SubmissionStatus.failed, 1), else_=0)),
        func.sum(case((status == SubmissionStatus.processed, 1), else_=0)),
        func.sum(case((status == SubmissionStatus.duplicate, 1), else_=0)),
    ).where(*where).group_by(Submission.host_page)


def funnel(form: CaptureForm) -> tuple[FunnelRow, list[FunnelRow]]:
    """The total and one row per host page, busiest first."""
    rows: dict[str, FunnelRow] = {}
    views = select(FormView.host_page, func.sum(FormView.count)).where(
        FormView.form_id == form.id).group_by(FormView.host_page)
    for host, renders in db.session.execute(views):
        rows.setdefault(host or "", FunnelRow(host or "")).renders = int(renders or 0)
    for host, total, quarantined, failed, leads, repeats in db.session.execute(
            _counts(Submission.form_id == form.id)):
        row = rows.setdefault(host or "", FunnelRow(host or ""))
        row.submissions, row.quarantined = total, int(quarantined or 0)
        row.failed = int(failed or 0)
        row.leads, row.repeats = int(leads or 0), int(repeats or 0)
    total = FunnelRow("All pages")
    for row in rows.values():
        for key in ("renders", "submissions", "quarantined", "failed", "leads", "repeats"):
            setattr(total, key, getattr(total, key) + getattr(row, key))
    ordered = sorted(rows.values(), key=lambda row: (-row.renders - row.submissions, row.host_page))
    return total, ordered


def totals_by_form() -> dict[int, FunnelRow]:
    """One total funnel row per form, for the forms list."""
    result: dict[int, FunnelRow] = {}
    for form_id, renders in db.session.execute(
            select(FormView.form_id, func.sum(FormView.count)).group_by(FormView.form_id)):
        result.setdefault(form_id, FunnelRow("")).renders = int(renders or 0)
    status = Submission.status
    query = select(Submission.form_id, func.count(),
                   func.sum(case((status == SubmissionStatus.quarantined, 1), else_=0)),
                   func.sum(case((status == SubmissionStatus.processed, 1), else_=0))
                   ).group_by(Submission.form_id)
    for form_id, total, quarantined, leads in db.session.execute(query):
        row = result.setdefault(form_id, FunnelRow(""))
        row.submissions, row.quarantined, row.leads = total, int(quarantined or 0), int(leads or 0)
    return result


def submissions_page(form: CaptureForm, which: str, page: int) -> Any:
    """A page of the form's submissions, newest first, for one tab of the list."""
    query = select(Submission).where(Submission.form_id == form.id)
    statuses = FILTERS.get(which)
    if statuses:
        query = query.where(Submission.status.in_(statuses))
    query = query.order_by(Submission.received_at.desc(), Submission.id.desc())
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def tab_counts(form: CaptureForm) -> dict[str, int]:
    counts = dict(db.session.execute(select(Submission.status, func.count()).where(
        Submission.form_id == form.id).group_by(Submission.status)).all())
    return {"all": sum(counts.values()),
            **{key: sum(counts.get(status, 0) for status in statuses)
               for key, statuses in FILTERS.items() if statuses}}
