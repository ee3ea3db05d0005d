"""Sign-in, user administration, teams and my-account forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length

from .models import Role
from .services import MIN_PASSWORD_LENGTH

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]
_PASSWORD_HINT = f"At least {MIN_PASSWORD_LENGTH} characters."


def _strip(value: str | None) -> str | None:
    # Phones and password managers add stray spaces; they are never part of an address.
    return value.strip() if isinstance(value, str) else value


def _email_field(label: str = "Email") -> EmailField:
    return EmailField(label, filters=[_strip], validators=[DataRequired("Enter an email address."),
                                         Email("Enter a valid email address."),
                                         Length(max=254)])


def _new_password(label: str) -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired("Enter a password."),
        Length(min=MIN_PASSWORD_LENGTH, message=_PASSWORD_HINT.replace("At", "Use at")),
        Length(max=200, message="Keep the password under 200 characters."),
    ])


def _confirm(field: str) -> PasswordField:
    return PasswordField("Repeat the password", validators=[
        DataRequired("Repeat the password."), EqualTo(field, "The two passwords differ."),
    ])


class LoginForm(FlaskForm):
    email = EmailField("Email", filters=[_strip], validators=[DataRequired("Enter your email."),
                                            Email("Enter a valid email address."),
                                            Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in")
    next = HiddenField()


class UserForm(FlaskForm):
    """An admin edits someone's name, email and role."""

    name = StringField("Name", validators=[DataRequired("Enter the person's name."),
                                           Length(max=120)])
    email = _email_field()
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.sales.value)


class NewUserForm(UserForm):
    password = _new_password("Initial password")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class ActiveForm(FlaskForm):
    active = HiddenField()

    def validate_active(self, field: HiddenField) -> None:
        if field.data not in {"0", "1"}:
            raise ValidationError("Say whether the account should be active (1) or not (0).")


class ResetPasswordForm(FlaskForm):
    password = _new_password("New password")
    confirm = _confirm("password")


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=120)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password",
                                     validators=[DataRequired("Enter your current password.")])
    new_password = _new_password("New password")
    confirm = _confirm("new_password")


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired("Give the team a name."),
                                                Length(max=120)])


def _to_id(value: object) -> int:
    text = str(value or "")
    return int(text) if text.isdecimal() else 0


class MemberForm(FlaskForm):
    user_id = SelectField("Add a member", coerce=_to_id, validate_choice=False)

    def validate_user_id(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError("Choose a person to add.")
