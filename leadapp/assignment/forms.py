"""The assignment rule form: conditions (empty = any) and one target, a user or a team."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..form_helpers import optional_int
from .models import AssignmentRule
from .services import RuleSettings


class RuleForm(FlaskForm):
    name = StringField("Rule name", validators=[
        DataRequired("Give the rule a name, e.g. “Web leads from Berlin”."), Length(max=120)])
    source_id = SelectField("Lead source", coerce=optional_int, validators=[Optional()])
    campaign_id = SelectField("Campaign", coerce=optional_int, validators=[Optional()])
    capture_form_id = SelectField("Capture form", coerce=optional_int, validators=[Optional()])
    city = StringField("City", validators=[Optional(), Length(max=120)],
                       filters=[lambda value: " ".join(value.split()) if value else ""])
    target = RadioField("Assign to", default="user", choices=[
        SelectChoice("user", "One user"),
        SelectChoice("team", "Round-robin over a team's active members")])
    # No Optional() here: it would stop the chain before validate_user_id/validate_team_id.
    user_id = SelectField("User", coerce=optional_int)
    team_id = SelectField("Team", coerce=optional_int)
    enabled = BooleanField("Enabled", default=True)

    def set_choices(self, choices: dict[str, list[tuple[Any, str]]]) -> None:
        for name, options in choices.items():
            getattr(self, name).choices = [SelectChoice(value, label) for value, label in options]

    def validate_user_id(self, field: SelectField) -> None:
        if self.target.data == "user" and not field.data:
            raise ValidationError("Choose the user who gets the leads.")

    def validate_team_id(self, field: SelectField) -> None:
        if self.target.data == "team" and not field.data:
            raise ValidationError("Choose the team whose members take turns.")

    def settings(self) -> RuleSettings:
        by_team = self.target.data == "team"
        return RuleSettings(
            name=self.name.data or "", source_id=self.source_id.data,
            campaign_id=self.campaign_id.data, capture_form_id=self.capture_form_id.data,
            city=self.city.data or "", user_id=None if by_team else self.user_id.data,
            team_id=self.team_id.data if by_team else None, enabled=bool(self.enabled.data))

    @classmethod
    def for_rule(cls, rule: AssignmentRule) -> RuleForm:
        form = cls(formdata=None, obj=rule)
        form.target.data = "team" if rule.team_id else "user"
        return form
