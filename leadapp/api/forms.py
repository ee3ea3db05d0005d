"""The API token form on /admin/api/api_management."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..form_helpers import optional_int


class TokenForm(FlaskForm):
    user_id = SelectField("User", coerce=optional_int,
                          validators=[DataRequired("Pick the user the token acts as.")])
    name = StringField("Token name", validators=[
        DataRequired("Give the token a name, e.g. the script that will use it."),
        Length(max=120, message="Keep the name under 121 characters.")])
    expires_on = DateField("Expires on", validators=[Optional()])
