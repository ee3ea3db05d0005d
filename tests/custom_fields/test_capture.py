"""Custom fields on capture forms: chosen per form, rendered by kind, checked, stored."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from leadapp.capture import services as capture_services
from leadapp.capture.fields import DEFAULT_FIELDS
from leadapp.capture.services import FormSettings
from leadapp.custom_fields.models import FieldKind
from leadapp.extensions import db
from leadapp.leads.models import Lead
from tests.custom_fields.helpers import make_field, value_of


def _form(app, fields: list[dict]) -> tuple[str, str]:
    with app.app_context():
        form, key = capture_services.create_form(FormSettings(
            name="Contact us", fields=[*DEFAULT_FIELDS, *fields], consent_text="",
            source_id=capture_services.default_settings()["source_id"], campaign_id=None,
            owner_id=None, team_id=None, thank_you_text="Thanks!", redirect_url="",
            allowed_origins="", spam_threshold=50, min_fill_seconds=0,
            blocked_email_domains=""))
        return form.public_key, key


def _post(client, public_key: str, fields: dict) -> tuple[int, str]:
    page = client.get(f"/f/{public_key}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = client.post(f"/f/{public_key}", data={"token": token, "first_name": "Ann",
                                                      "email": "ann@example.com", **fields})
    return response.status_code, response.get_data(as_text=True)


def test_form_shows_chosen_custom_fields_by_kind(app, client):
    make_field(app, "Seats", FieldKind.number)
    make_field(app, "Colours", FieldKind.multi_choice, options=["Red", "Blue"])
    make_field(app, "Hidden one", FieldKind.text)
    public_key, _key = _form(app, [
        {"name": "cf_seats", "label": "How many seats?", "required": True},
        {"name": "cf_colours", "label": "Colours", "required": False}])
    html = client.get(f"/f/{public_key}").get_data(as_text=True)
    assert 'type="number" id="cf-cf_seats" name="cf_seats"' in html
    assert "How many seats?" in html
    assert 'name="cf_colours" value="Blue"' in html
    assert "cf_hidden_one" not in html


def test_submission_stores_values_and_bad_values_re_render(app, client):
    seats = make_field(app, "Seats", FieldKind.number)
    colours = make_field(app, "Colours", FieldKind.multi_choice, options=["Red", "Blue"])
    public_key, _key = _form(app, [
        {"name": "cf_seats", "label": "Seats", "required": True},
        {"name": "cf_colours", "label": "Colours", "required": False}])
    status, html = _post(client, public_key, {"cf_seats": "2.5", "cf_colours": ["Blue"]})
    assert status == 422
    assert "Seats: enter a whole number, without decimals." in html
    assert 'value="2.5"' in html and 'value="Blue" checked' in html
    status, _html = _post(client, public_key, {"cf_seats": "", "cf_colours": ["Blue"]})
    assert status == 422
    status, _html = _post(client, public_key, {"cf_seats": "4", "cf_colours": ["Blue", "Red"]})
    assert status in (200, 303)
    with app.app_context():
        lead_id = db.session.scalar(select(Lead.id))
    assert value_of(app, lead_id, seats) == Decimal(4)
    assert value_of(app, lead_id, colours) == ["Red", "Blue"]


def test_create_from_site_accepts_custom_values(app, client):
    tier = make_field(app, "Tier", FieldKind.choice, options=["Gold"])
    _public, api_key = _form(app, [{"name": "cf_tier", "label": "Tier", "required": False}])
    bad = client.post(f"/api/leads/create-from-site/?apikey={api_key}",
                      json={"first_name": "Bo", "email": "bo@example.com", "cf_tier": "Tin"})
    assert bad.status_code == 400 and "not one of the choices" in bad.get_data(as_text=True)
    good = client.post(f"/api/leads/create-from-site/?apikey={api_key}",
                       json={"first_name": "Bo", "email": "bo@example.com", "cf_tier": "gold"})
    assert good.status_code == 201, good.get_json()
    assert value_of(app, good.get_json()["id"], tier) == "Gold"


def test_settings_page_offers_custom_fields_as_rows(app, client, login):
    login("admin")
    make_field(app, "Seats", FieldKind.number)
    html = client.get("/admin/forms/new").get_data(as_text=True)
    assert 'aria-label="Show Seats"' in html
