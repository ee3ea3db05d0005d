"""The endpoint form: URL, description, events (checkboxes), active."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .outbox import CHOICES

EVENT_LABELS = {
    "lead.*": "Every lead event (lead.*)",
    "lead.created": "lead.created", "lead.updated": "lead.updated",
    "lead.stage_changed": "lead.stage_changed", "lead.converted": "lead.converted",
    "lead.deleted": "lead.deleted (moved to the trash)", "lead.restored": "lead.restored",
    "lead_source.created": "lead_source.created", "lead_source.updated": "lead_source.updated",
    "lead_source.deleted": "lead_source.deleted",
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FlaskForm):
    url = StringField("Endpoint URL", validators=[
        DataRequired("Enter the URL that should receive the events."),
        Length(max=2000, message="Keep the URL under 2,000 characters.")])
    description = StringField("Description", validators=[
        Length(max=200, message="Keep the description under 200 characters.")])
    events = CheckboxesField("Events", choices=[SelectChoice(name, EVENT_LABELS[name])
                                                    for name in CHOICES],
                             validate_choice=True)
    active = BooleanField("Active (send events to this endpoint)", default=True)

    def validate_events(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError("Choose at least one event to send.")


class PrivateAddressesForm(FlaskForm):
    allow_private = BooleanField("Allow endpoints on private, loopback and reserved addresses")
