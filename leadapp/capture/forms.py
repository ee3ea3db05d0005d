"""The capture form settings form (admin). Visitors' input is checked by validation.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..errors import RuleViolation
from .fields import FIELD_SPECS, SPECS, FieldSpec, custom_specs
from .models import CaptureForm
from .services import FormSettings, parse_origins
from .spam import parse_domains


class FieldRow(Form):
    """One lead field of the form: shown?, required?, its label and its place."""

    show = BooleanField("Show")
    required = BooleanField("Required")
    text = StringField("Label", validators=[Optional(), Length(max=500)])
    order = IntegerField("Order", validators=[Optional(), NumberRange(min=1, max=99)])


def _optional_id(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class CaptureFormForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the form a name."), Length(max=120)])
    source_id = SelectField("Lead source", coerce=int,
                            validators=[InputRequired("Choose the source its leads get.")])
    campaign_id = SelectField("Campaign", coerce=_optional_id, validators=[Optional()])
    assign = RadioField("Who gets the leads", default="none", choices=[
        SelectChoice("none", "The assignment rules (else unassigned)"),
        SelectChoice("owner", "A fixed owner"),
        SelectChoice("team", "Round-robin over a team's active members")])
    owner_id = SelectField("Owner", coerce=_optional_id)
    team_id = SelectField("Team", coerce=_optional_id)
    thank_you_text = TextAreaField("Thank-you text", validators=[Length(max=2000)])
    redirect_url = StringField("Redirect URL", validators=[Optional(), Length(max=500)])
    allowed_origins = TextAreaField("Allowed origins", validators=[Length(max=4000)])
    spam_threshold = IntegerField("Spam threshold", default=50, validators=[
        InputRequired("Enter a threshold."), NumberRange(1, 500, "Between 1 and 500.")])
    min_fill_seconds = IntegerField("Minimum fill time (seconds)", default=3, validators=[
        InputRequired("Enter a number of seconds."), NumberRange(0, 120, "Between 0 and 120.")])
    blocked_email_domains = TextAreaField("Blocked email domains", validators=[Length(max=4000)])

    def validate_owner_id(self, field: SelectField) -> None:
        if self.assign.data == "owner" and not field.data:
            raise ValidationError("Choose the owner.")

    def validate_team_id(self, field: SelectField) -> None:
        if self.assign.data == "team" and not field.data:
            raise ValidationError("Choose the team whose members take turns.")

    def validate_redirect_url(self, field: StringField) -> None:
        parts = urlsplit(field.data or "")
        if field.data and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise ValidationError("Enter a full address like https://www.example.com/thanks.")

    def validate_allowed_origins(self, field: TextAreaField) -> None:
        try:
            parse_origins(field.data or "")
        except RuleViolation as error:
            raise ValidationError(error.message) from error

    def validate_blocked_email_domains(self, field: TextAreaField) -> None:
        bad = [item for item in parse_domains(field.data or "") if "." not in item]
        if bad:
            raise ValidationError(f"Write domains like spam.example ({', '.join(sorted(bad))}).")

    def rows(self) -> list[tuple[Any, Any]]:
        """(spec, subform) pairs in catalogue order, for the template."""
        return [(spec, getattr(self, f"field_{spec.name}")) for spec in _all_specs()
                if hasattr(self, f"field_{spec.name}")]

    def field_config(self) -> list[dict[str, Any]]:
        chosen = [(sub.order.data or 99, index, spec, sub)
                  for index, (spec, sub) in enumerate(self.rows()) if sub.show.data]
        return [{"name": spec.name, "label": (sub.text.data or spec.label).strip(),
                 "required": bool(sub.required.data)}
                for _order, _index, spec, sub in sorted(chosen, key=lambda item: item[:2])]

    def settings(self) -> FormSettings:
        consent = self.field_consent.text.data or SPECS["consent"].label
        return FormSettings(
            name=self.name.data or "", fields=self.field_config(), consent_text=consent.strip(),
            source_id=self.source_id.data, campaign_id=self.campaign_id.data,
            owner_id=self.owner_id.data if self.assign.data == "owner" else None,
            team_id=self.team_id.data if self.assign.data == "team" else None,
            thank_you_text=(self.thank_you_text.data or "").strip(),
            redirect_url=(self.redirect_url.data or "").strip(),
            allowed_origins=self.allowed_origins.data or "",
            spam_threshold=self.spam_threshold.data, min_fill_seconds=self.min_fill_seconds.data,
            blocked_email_domains="\n".join(sorted(parse_domains(
                self.blocked_email_domains.data or ""))))


for _spec in FIELD_SPECS:
    setattr(CaptureFormForm, f"field_{_spec.name}", FormField(FieldRow, label=_spec.label))


def _all_specs() -> list[FieldSpec]:
    """The built-in fields, then the admin-defined custom lead fields."""
    return [*FIELD_SPECS, *custom_specs().values()]


def _with_custom_rows() -> type[CaptureFormForm]:
    """CaptureFormForm plus one row per custom lead field (they change at runtime)."""
    rows = {f"field_{spec.name}": FormField(FieldRow, label=spec.label)
            for spec in custom_specs().values()}
    return type("CaptureFormFormWithCustomFields", (CaptureFormForm,), rows) if rows \
        else CaptureFormForm


def build_form(choices: dict[str, list[tuple[int, str]]], form: CaptureForm | None = None,
               defaults: dict[str, Any] | None = None, **kwargs: Any) -> CaptureFormForm:
    """The settings form, prefilled from a saved form (or defaults) when nothing was posted."""
    data = _initial(form, defaults or {})
    wtform = _with_custom_rows()(data=data, **kwargs)
    def options(rows: list[tuple[int, str]], empty: str | None) -> list[SelectChoice]:
        blank = [SelectChoice("", empty)] if empty else []
        return blank + [SelectChoice(value, label) for value, label in rows]

    wtform.source_id.choices = options(choices["sources"], None)
    wtform.campaign_id.choices = options(choices["campaigns"], "— none —")
    wtform.owner_id.choices = options(choices["users"], "— choose —")
    wtform.team_id.choices = options(choices["teams"], "— choose —")
    return wtform


def _initial(form: CaptureForm | None, defaults: dict[str, Any]) -> dict[str, Any]:
    source = form or defaults
    get = (lambda key, default=None: getattr(form, key)) if form else (
        lambda key, default=None: defaults.get(key, default))
    config = {row["name"]: (index + 1, row) for index, row in enumerate(get("fields") or [])}
    data: dict[str, Any] = {}
    for spec in _all_specs():
        order, row = config.get(spec.name, (None, None))
        label = (get("consent_text") or spec.label) if spec.name == "consent" else spec.label
        data[f"field_{spec.name}"] = {"show": row is not None, "order": order,
                                      "required": bool(row and row.get("required")),
                                      "text": (row or {}).get("label") or label}
    if source:
        for key in ("name", "source_id", "campaign_id", "owner_id", "team_id", "thank_you_text",
                    "redirect_url", "allowed_origins", "spam_threshold", "min_fill_seconds",
                    "blocked_email_domains"):
            value = get(key)
            if value is not None:
                data[key] = value
    data["assign"] = "owner" if get("owner_id") else "team" if get("team_id") else "none"
    return data
