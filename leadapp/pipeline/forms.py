"""Input shapes for pipelines, stages, loss reasons and board moves."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..form_helpers import optional_int


def _name(label: str, max_length: int) -> StringField:
    return StringField(label, validators=[
        DataRequired("Enter a name."),
        Length(max=max_length, message=f"Keep it under {max_length} characters."),
    ])


class PipelineForm(FlaskForm):
    name = _name("Pipeline name", 120)
    make_default = BooleanField("Make this the default pipeline")


class PipelineRenameForm(FlaskForm):
    name = _name("Pipeline name", 120)


class StageForm(FlaskForm):
    name = _name("Stage name", 80)
    probability = IntegerField("Win %", default=0, validators=[
        InputRequired("Enter a probability from 0 to 100."),
        NumberRange(0, 100, "Use a probability from 0 to 100."),
    ])
    stale_after_days = IntegerField("Stale after (days)", validators=[
        Optional(), NumberRange(1, 365, "Use 1 to 365 days, or leave it empty."),
    ])


class StageOrderForm(FlaskForm):
    stage_ids = HiddenField()

    def ids(self) -> list[int] | None:
        try:
            return [int(part) for part in (self.stage_ids.data or "").split(",") if part]
        except ValueError:
            return None


class StageDeleteForm(FlaskForm):
    move_to = SelectField("Move its leads to", coerce=optional_int, validate_choice=False,
                          validators=[Optional()])


class LossReasonForm(FlaskForm):
    name = _name("Loss reason", 120)


class MoveForm(FlaskForm):
    """One stage move or reorder from the board (drag and drop or the Move to… menu)."""

    lead_id = IntegerField(validators=[InputRequired()])
    stage = IntegerField(validators=[InputRequired()])
    position = IntegerField(validators=[Optional(), NumberRange(min=0)])
    version = IntegerField(validators=[Optional()])
    from_stage = IntegerField(validators=[Optional()])
    above_id = IntegerField(validators=[Optional()])  # the card now right below the drop
    below_id = IntegerField(validators=[Optional()])  # the card now right above the drop
    loss_reason = SelectField("Loss reason", coerce=optional_int, validate_choice=False,
                              validators=[Optional()])
    closing_comment = TextAreaField("Closing comment", validators=[
        Length(max=2000, message="Keep the comment under 2,000 characters."),
    ])
