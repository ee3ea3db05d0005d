"""Input shape of the lead form and of the small per-field forms used by click-to-edit."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import phonenumbers
from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Field,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    Length,
    Optional,
    ValidationError,
)

from ..config import default_currency
from ..form_helpers import optional_int

CURRENCIES = ["USD", "EUR", "GBP", "CHF", "PLN", "RON", "UAH", "CAD", "AUD", "JPY"]
TIN_PATTERN = re.compile(r"^(\d{9}|\d{10}|\d{12})$")


def normalise_phone(raw: str) -> str:
    """E.164 for a parseable, possible number; raises ValueError otherwise."""
    region = current_app.config.get("DEFAULT_PHONE_REGION", "US")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Enter a phone number, e.g. +1 202 555 0143.") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError("This does not look like a complete phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def check_phone(_form: Any, field: Field) -> None:
    if field.data:
        try:
            field.data = normalise_phone(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def check_tin(_form: Any, field: Field) -> None:
    if field.data:
        digits = re.sub(r"[\s-]", "", field.data)
        if not TIN_PATTERN.match(digits):
            raise ValidationError("A TIN has 9, 10 or 12 digits.")
        field.data = digits


MAX_MONEY = Decimal("999999999999.99")  # Numeric(14, 2): the budget and amount columns


def check_money(_form: Any, field: Field) -> None:
    """0 up to what the column holds. DecimalField also parses "NaN", "Infinity" and "1e400":
    NumberRange cannot compare a NaN (it raises), SQLite stored Infinity and PostgreSQL refused
    the row with a numeric overflow, so every one of them is a field error here."""
    value = field.data
    if value is None:
        return
    if not value.is_finite():
        raise ValidationError("Enter a number such as 1250.50.")
    if value < 0:
        raise ValidationError("Enter 0 or more.")
    if value > MAX_MONEY:
        raise ValidationError("Enter at most 999,999,999,999.99.")


URL_CHECK = URL(require_tld=True, message="Enter a full web address, e.g. https://example.com.")
EMAIL_CHECK = Email(message="Enter an email address like name@example.com.",
                    check_deliverability=False)
F = [strip]


class LeadForm(FlaskForm):
    """The whole lead form; which company/contact fields are required follows the checkboxes."""

    title = StringField("Title", [DataRequired("Give the lead a title."), Length(max=255)],
                        filters=F)
    source_id = SelectField("Lead source", coerce=optional_int,
                            validators=[DataRequired("Choose where the lead came from.")])
    company_name = StringField("Lead company name", [Optional(), Length(max=200)], filters=F)
    new_company = BooleanField("New company")
    new_company_name = StringField("Company name", [Length(max=200)], filters=F)
    company_website = StringField("Company website", [Length(max=255)], filters=F)
    company_tin = StringField("Company TIN", [Length(max=20), check_tin], filters=F)
    company_id = HiddenField("Existing company", filters=[optional_int])
    company_search = StringField("Existing company", filters=F)
    campaign_id = SelectField("Campaign", coerce=optional_int, validators=[Optional()])
    selling_direction = StringField("Selling direction", [Length(max=120)], filters=F)
    product = StringField("Service or product", [Length(max=200)], filters=F)
    new_contact = BooleanField("New contact")
    first_name = StringField("First name", [Length(max=100)], filters=F)
    last_name = StringField("Last name", [Length(max=100)], filters=F)
    middle_name = StringField("Middle name", [Length(max=100)], filters=F)
    phone = StringField("Phone", [Length(max=40), check_phone], filters=F)
    email = StringField("Email", [Optional(), Length(max=254), EMAIL_CHECK], filters=F)
    contact_id = HiddenField("Existing contact", filters=[optional_int])
    contact_search = StringField("Existing contact", filters=F)
    description = TextAreaField("Description", filters=F)
    owner_id = SelectField("Owner", coerce=optional_int, validators=[Optional()])
    team_id = SelectField("Team", coerce=optional_int, validators=[Optional()])
    city = StringField("City", [Length(max=120)], filters=F)
    channel = StringField("Content distribution channel", [Length(max=120)], filters=F)
    budget = DecimalField("Budget", [Optional(), check_money], places=2)
    currency = SelectField("Currency", choices=CURRENCIES, default=default_currency)
    start_date = DateField("Start date", [Optional()])
    deadline = DateField("Deadline", [Optional()])
    tags = StringField("Tags", [Length(max=500)], filters=F)
    pipeline_id = SelectField("Pipeline", coerce=optional_int, validators=[Optional()])
    stage_id = SelectField("Stage", coerce=optional_int, validators=[Optional()])
    version = HiddenField(filters=[optional_int])
    auto_convert = BooleanField("Convert at once (a qualified lead)")

    def set_choices(self, choices: dict[str, list[tuple[Any, str]]]) -> None:
        """Fill the select fields from the service's choice lists."""
        for name, options in choices.items():
            getattr(self, name).choices = options

    COMPANY_FIELDS = ("new_company_name", "company_website", "company_tin")
    CONTACT_FIELDS = ("first_name", "last_name", "middle_name", "phone", "email")

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        hidden = (() if self.new_company.data else self.COMPANY_FIELDS) + (
            () if self.new_contact.data else self.CONTACT_FIELDS)
        for name in hidden:  # the unchecked group is kept as typed but neither checked nor saved
            self[name].errors = []
        self._validate_groups()
        return not any(field.errors for field in self) and not self.form_errors

    def _validate_groups(self) -> None:
        """The server decides the required fields from the submitted checkbox values."""
        missing: list[tuple[Field, str]] = []
        if self.new_company.data:
            missing += [(self.new_company_name, "Enter the company name."),
                        (self.company_website, "Enter the company website.")]
            self._check_url(self.company_website)
        elif not self.company_search.data:
            missing.append((self.company_id, "Search for the company and pick it from the list."))
        if self.new_contact.data:
            missing += [(self.first_name, "Enter the first name."),
                        (self.last_name, "Enter the last name.")]
        elif not self.contact_search.data:
            missing.append((self.contact_id, "Search for the contact and pick it from the list."))
        for field, message in missing:
            if not field.data:
                target = self.company_search if field is self.company_id else (
                    self.contact_search if field is self.contact_id else field)
                target.errors = [*target.errors, message]

    def _check_url(self, field: Field) -> None:
        if field.data and not field.errors:
            if "://" not in field.data:
                field.data = f"https://{field.data}"
            try:
                URL_CHECK(self, field)
            except ValidationError as exc:
                field.errors = [*field.errors, str(exc)]


class NoCsrfForm(FlaskForm):
    class Meta:
        csrf = False


def field_form(kind: str, label: str, *, required: bool = False, max_len: int = 255,
               choices: list[tuple[Any, str]] | None = None) -> type[FlaskForm]:
    """One small form with a single `value` field, for one click-to-edit field."""
    checks: list[Any] = [DataRequired(f"{label} cannot be empty.")] if required else [Optional()]
    if kind == "select":
        options = [SelectChoice.from_input(choice) for choice in choices or []]
        field: Field = SelectField(label, coerce=optional_int, choices=options,
                                   validators=checks, validate_choice=False)
    elif kind == "text":
        field = TextAreaField(label, checks, filters=F)
    elif kind == "date":
        field = DateField(label, checks)
    elif kind == "money":
        field = DecimalField(label, [*checks, check_money], places=2)
    elif kind == "currency":
        field = SelectField(label, choices=CURRENCIES)
    else:
        extra = {"email": [EMAIL_CHECK], "phone": [check_phone], "url": []}.get(kind, [])
        field = StringField(label, [*checks, Length(max=max_len), *extra], filters=F)
    attrs = {"value": field, "version": IntegerField(validators=[Optional()])}
    return type(f"{kind.title()}FieldForm", (FlaskForm,), attrs)
