"""Input shape of companies, contacts, opportunities, their click-to-edit fields and conversion."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..form_helpers import optional_int
from ..leads.forms import (
    EMAIL_CHECK,
    URL_CHECK,
    check_money,
    check_phone,
    check_tin,
    strip,
)

F = [strip]


def check_website(form: Any, field: Field) -> None:
    """Accept 'example.com' and store it as https://example.com."""
    if field.data:
        if "://" not in field.data:
            field.data = f"https://{field.data}"
        URL_CHECK(form, field)


class CompanyForm(FlaskForm):
    name = StringField("Name", [DataRequired("Enter the company name."), Length(max=200)],
                       filters=F)
    website = StringField("Website", [Optional(), Length(max=255), check_website], filters=F)
    tin = StringField("TIN", [Optional(), Length(max=20), check_tin], filters=F)
    industry = StringField("Industry", [Length(max=120)], filters=F)
    city = StringField("City", [Length(max=120)], filters=F)


class ContactForm(FlaskForm):
    first_name = StringField("First name", [Length(max=100)], filters=F)
    middle_name = StringField("Middle name", [Length(max=100)], filters=F)
    last_name = StringField("Last name", [DataRequired("Enter the last name."), Length(max=100)],
                            filters=F)
    email = StringField("Email", [Optional(), Length(max=254), EMAIL_CHECK], filters=F)
    phone = StringField("Phone", [Length(max=40), check_phone], filters=F)
    mobile = StringField("Mobile", [Length(max=40), check_phone], filters=F)
    position = StringField("Position", [Length(max=120)], filters=F)
    company_id = SelectField("Company", coerce=optional_int, validators=[Optional()],
                             validate_choice=False)


class OpportunityForm(FlaskForm):
    name = StringField("Name", [DataRequired("Give the opportunity a name."), Length(max=255)],
                       filters=F)
    amount = DecimalField("Amount", [Optional(), check_money], places=2)
    company_id = SelectField("Company", coerce=optional_int, validators=[Optional()],
                             validate_choice=False)
    owner_id = SelectField("Owner", coerce=optional_int, validators=[Optional()],
                           validate_choice=False)
    expected_close = DateField("Expected close", [Optional()])


def single_field_form(form_class: type[FlaskForm], name: str) -> type[FlaskForm]:
    """A form holding one field of `form_class`, for one click-to-edit field."""
    return type(f"{form_class.__name__}_{name}", (FlaskForm,), {name: getattr(form_class, name)})


COMPANY_EDITABLE = ("name", "website", "tin", "industry", "city")
CONTACT_EDITABLE = ("first_name", "middle_name", "last_name", "email", "phone", "mobile",
                    "position", "company_id")
OPPORTUNITY_EDITABLE = ("name", "amount", "company_id", "owner_id", "expected_close")


class MergeForm(FlaskForm):
    target_id = SelectField("Merge into", coerce=optional_int,
                            validators=[DataRequired("Choose the record to keep.")],
                            validate_choice=False)


NEW = "new"


class ConvertForm(FlaskForm):
    """The Convert partial: link or create the company and contact, and the opportunity."""

    company_choice = RadioField("Company", validate_choice=False)
    company_name = StringField("Company name", [Length(max=200)], filters=F)
    company_website = StringField("Website", [Optional(), Length(max=255), check_website],
                                  filters=F)
    company_tin = StringField("TIN", [Optional(), Length(max=20), check_tin], filters=F)
    company_city = StringField("City", [Length(max=120)], filters=F)
    # Not on the page's form (so empty there); the API's convert may send them.
    company_industry = StringField("Industry", [Length(max=120)], filters=F)
    contact_choice = RadioField("Contact", validate_choice=False)
    contact_first_name = StringField("First name", [Length(max=100)], filters=F)
    contact_last_name = StringField("Last name", [Length(max=100)], filters=F)
    contact_email = StringField("Email", [Optional(), Length(max=254), EMAIL_CHECK], filters=F)
    contact_phone = StringField("Phone", [Length(max=40), check_phone], filters=F)
    contact_position = StringField("Position", [Length(max=120)], filters=F)
    contact_middle_name = StringField("Middle name", [Length(max=100)], filters=F)
    contact_mobile = StringField("Mobile", [Length(max=40), check_phone], filters=F)
    opportunity_name = StringField("Opportunity name", [
        DataRequired("Give the opportunity a name."), Length(max=255)], filters=F)
    amount = DecimalField("Amount", [Optional(), check_money], places=2)
    owner_id = SelectField("Owner", coerce=optional_int, validators=[Optional()])
    expected_close = DateField("Expected close", [Optional()])
    version = HiddenField(filters=[optional_int])

    NEW_COMPANY = ("company_name", "company_website", "company_tin", "company_city",
                   "company_industry")
    NEW_CONTACT = ("contact_first_name", "contact_last_name", "contact_email", "contact_phone",
                   "contact_position", "contact_middle_name", "contact_mobile")

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        hidden = (() if self.company_choice.data == NEW else self.NEW_COMPANY) + (
            () if self.contact_choice.data == NEW else self.NEW_CONTACT)
        for name in hidden:  # fields of a record being linked, not created: kept, not checked
            self[name].errors = []
        self._require()
        return not any(field.errors for field in self)

    def _require(self) -> None:
        if self.company_choice.data == NEW and not self.company_name.data:
            self.company_name.errors = [*self.company_name.errors, "Enter the company name."]
        if not self.company_choice.data:
            self.company_choice.errors = ["Pick a company or create a new one."]
        if self.contact_choice.data == NEW and not (
                self.contact_first_name.data or self.contact_last_name.data):
            self.contact_last_name.errors = [*self.contact_last_name.errors,
                                             "Enter the contact's first or last name."]
        if not self.contact_choice.data:
            self.contact_choice.errors = ["Pick a contact or create a new one."]

    def chosen_id(self, name: str) -> int | None:
        value = self[name].data
        if value in (None, "", NEW):
            return None
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError("Unknown choice.") from exc
