"""Assignment rules: conditions on a new lead -> a user, or round-robin over a team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Team, User
from ..capture.models import CaptureForm
from ..db_types import created_at_column
from ..extensions import db
from ..sources.models import Campaign, LeadSource


class AssignmentRule(db.Model):
    """Empty conditions match any lead. Exactly one target: a user or a team."""

    __tablename__ = "assignment_rules"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # A rule about a source, campaign or form that is deleted goes with it; keeping it with the
    # condition emptied would silently widen it to "any lead".
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead_sources.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"))
    capture_form_id: Mapped[int | None] = mapped_column(
        ForeignKey("capture_forms.id", ondelete="CASCADE"))
    city: Mapped[str] = mapped_column(String(120), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    # Round-robin pointer: the member who got the last lead; the next one goes to the member
    # with the next higher user id (wrapping), so joining or leaving members never skip a turn.
    last_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()

    source: Mapped[LeadSource | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    capture_form: Mapped[CaptureForm | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    team: Mapped[Team | None] = relationship()

    @property
    def conditions(self) -> list[str]:
        """The rule's conditions as people read them; empty means it matches every lead."""
        parts = []
        if self.source is not None:
            parts.append(f"source is {self.source.name}")
        if self.campaign is not None:
            parts.append(f"campaign is {self.campaign.name}")
        if self.city:
            parts.append(f"city is {self.city}")
        if self.capture_form is not None:
            parts.append(f"captured by the form {self.capture_form.name}")
        return parts

    @property
    def target_label(self) -> str:
        if self.user is not None:
            return self.user.display_name
        return f"Round-robin: {self.team.name}" if self.team else "—"
