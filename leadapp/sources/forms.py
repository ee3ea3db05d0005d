"""Input shapes for sources, campaigns and the bulk bar; cross-row rules live in the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..form_helpers import optional_int
from .services import NAME_MAX


def _name(label: str = "Name") -> StringField:
    return StringField(label, validators=[DataRequired("Enter a name."),
                                          Length(max=NAME_MAX, message=f"Keep the name under "
                                                                       f"{NAME_MAX + 1} "
                                                                       "characters.")])


def _description() -> TextAreaField:
    return TextAreaField("Description", validators=[Optional(), Length(max=2000)])


class SourceForm(FlaskForm):
    name = _name()
    description = StringField("Description", validators=[Optional(), Length(max=2000)])
    active = BooleanField("Active", default=True)


class SourceNameForm(FlaskForm):
    name = _name()


class SourceDescriptionForm(FlaskForm):
    description = _description()


# Which source fields may be edited in place, each with a form that validates only that field.
SOURCE_EDITABLE: dict[str, type[FlaskForm]] = {
    "name": SourceNameForm,
    "description": SourceDescriptionForm,
}


class MergeForm(FlaskForm):
    target_id = SelectField("Merge into", coerce=optional_int,
                            validators=[DataRequired("Pick the source to merge into.")])


def _source_select(label: str = "Source") -> SelectField:
    return SelectField(label, coerce=optional_int, validators=[Optional()])


def _budget() -> DecimalField:
    return DecimalField("Budget", places=2, validators=[
        Optional(), NumberRange(min=0, message="The budget cannot be negative.")])


class CampaignForm(FlaskForm):
    name = _name()
    source_id = _source_select()
    start_date = DateField("Start date", validators=[Optional()])
    end_date = DateField("End date", validators=[Optional()])
    budget = _budget()
    active = BooleanField("Active", default=True)


class CampaignNameForm(FlaskForm):
    name = _name()


class CampaignSourceForm(FlaskForm):
    source_id = _source_select()


class CampaignStartForm(FlaskForm):
    start_date = DateField("Start date", validators=[Optional()])


class CampaignEndForm(FlaskForm):
    end_date = DateField("End date", validators=[Optional()])


class CampaignBudgetForm(FlaskForm):
    budget = _budget()


class CampaignDescriptionForm(FlaskForm):
    description = _description()


CAMPAIGN_EDITABLE: dict[str, type[FlaskForm]] = {
    "name": CampaignNameForm,
    "source_id": CampaignSourceForm,
    "start_date": CampaignStartForm,
    "end_date": CampaignEndForm,
    "budget": CampaignBudgetForm,
    "description": CampaignDescriptionForm,
}
