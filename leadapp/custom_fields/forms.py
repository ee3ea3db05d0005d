"""The field definition form (admins), and the WTForms fields a custom field adds to the lead
form, the click-to-edit form and capture forms (one input per kind, checked by `types.parse`)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from . import types
from .models import CustomField, FieldKind
from .services import FieldSettings, clean_options

YES_NO_CHOICES = [SelectChoice("", "—"), SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


class FieldDefinitionForm(FlaskForm):
    label = StringField("Label", [DataRequired("Give the field a label, e.g. “Industry”."),
                                  Length(max=120)])
    kind = SelectField("Type", choices=[SelectChoice(kind.name, kind.value) for kind in FieldKind],
                       default=FieldKind.text.name)
    required = BooleanField("Required on the lead form")
    help_text = StringField("Help text", [Optional(), Length(max=300)])
    options = TextAreaField("Choices (one per line)")
    show_in_list = BooleanField("Show as a column in the lead list")
    show_as_filter = BooleanField("Offer as a filter in the lead list")
    show_on_card = BooleanField("Show on board cards")

    def validate_options(self, field: Field) -> None:
        kind = FieldKind[self.kind.data] if self.kind.data in FieldKind.__members__ else None
        if kind is None or not kind.has_options:
            return
        options = clean_options(field.data or "")
        if not options:
            raise ValidationError("List the choices, one per line.")
        if any(types.SEPARATOR in option for option in options):
            raise ValidationError(f"A choice cannot contain “{types.SEPARATOR}”.")
        if any(len(option) > 100 for option in options):
            raise ValidationError("Keep each choice under 100 characters.")

    def settings(self) -> FieldSettings:
        return FieldSettings(
            label=self.label.data or "", kind=FieldKind[self.kind.data],
            required=bool(self.required.data), help_text=self.help_text.data or "",
            options=clean_options(self.options.data or ""),
            show_in_list=bool(self.show_in_list.data),
            show_as_filter=bool(self.show_as_filter.data),
            show_on_card=bool(self.show_on_card.data))

    @classmethod
    def for_field(cls, item: CustomField) -> FieldDefinitionForm:
        form = cls(formdata=None, obj=item)
        form.kind.data = item.kind.name
        form.options.data = "\n".join(item.options or [])
        return form


class _Parses:
    """Runs the field kind's own parser, so forms refuse what the services would."""

    def __init__(self, item: CustomField) -> None:
        self.item = item
        self.field_flags = {"required": item.required} if item.required else {}

    def __call__(self, _form: Any, field: Field) -> None:
        try:
            types.parse(self.item, field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _options(item: CustomField) -> list[SelectChoice]:
    return [SelectChoice(option, option) for option in item.options or []]


def value_field(item: CustomField, label: str | None = None) -> Field:
    """An unbound WTForms field for one custom field's value."""
    checks = [_Parses(item)]
    label = label or item.label
    description = item.help_text
    if item.kind == FieldKind.long_text:
        return TextAreaField(label, checks, description=description)
    if item.kind == FieldKind.yes_no:
        return SelectField(label, checks, choices=YES_NO_CHOICES, description=description)
    if item.kind == FieldKind.choice:
        return SelectField(label, checks, choices=[SelectChoice("", "—")] + _options(item),
                           validate_choice=False, description=description)
    if item.kind == FieldKind.multi_choice:
        return MultiCheckboxField(label, checks, choices=_options(item),
                                  validate_choice=False, description=description)
    return StringField(label, checks, description=description)


def with_custom_fields(base: type[FlaskForm], fields: list[CustomField]) -> type[FlaskForm]:
    """`base` plus one `cf_<key>` field per custom field, in the admins' order."""
    attrs: dict[str, Any] = {item.param: value_field(item) for item in fields}
    attrs["custom_field_defs"] = fields  # the template's order and per-kind inputs
    return type(f"{base.__name__}WithCustomFields", (base,), attrs)


def custom_raw(form: FlaskForm, fields: list[CustomField]) -> dict[str, Any]:
    """The submitted custom values, by `cf_` name, for the services to parse."""
    return {item.param: form[item.param].data for item in fields if item.param in form}


def initial_data(fields: list[CustomField], values: dict[int, Any]) -> dict[str, Any]:
    """The lead form's starting values for an existing lead."""
    return {item.param: types.as_input(item, values.get(item.id)) for item in fields}


def value_form(item: CustomField) -> type[FlaskForm]:
    """The click-to-edit form: one `value` field plus the lead version."""
    attrs = {"value": value_field(item), "version": IntegerField(validators=[Optional()])}
    return type(f"CustomValueForm_{item.key}", (FlaskForm,), attrs)


def input_type(item: CustomField) -> str:
    """The HTML input type for text-like kinds."""
    return {FieldKind.number: "number", FieldKind.decimal: "number", FieldKind.date: "date",
            FieldKind.url: "url", FieldKind.email: "email", FieldKind.phone: "tel"}.get(
        item.kind, "text")
