"""Input shapes for recording and importing marketing spend."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..form_helpers import optional_int
from ..sources.spend import MAX_AMOUNT, NOTE_MAX, parse_date


class SpendForm(FlaskForm):
    spent_on = StringField("Date or month", validators=[DataRequired("Enter a date.")],
                           render_kw={"placeholder": "YYYY-MM-DD or YYYY-MM",
                                      "autocomplete": "off"})
    amount = DecimalField("Amount", places=2, validators=[
        InputRequired("Enter an amount."),
        NumberRange(min=0, max=MAX_AMOUNT,
                    message="Enter an amount from 0 to 999,999,999,999.99.")],
        render_kw={"inputmode": "decimal"})
    campaign_id = SelectField("Campaign", coerce=optional_int, validators=[Optional()])
    note = StringField("Note", validators=[Optional(), Length(max=NOTE_MAX)])

    def validate_spent_on(self, field: StringField) -> None:
        if parse_date(field.data or "") is None:
            raise ValidationError("Enter a date as YYYY-MM-DD, or a month as YYYY-MM.")

    def validate_amount(self, field: DecimalField) -> None:
        if field.data is not None and field.data != field.data.quantize(Decimal("0.01")):
            raise ValidationError("Use at most two decimals.")


class SpendImportForm(FlaskForm):
    file = FileField("CSV file (date, source, campaign, amount)",
                     validators=[FileRequired("Choose a CSV file.")])
