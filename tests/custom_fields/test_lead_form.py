"""Custom fields on the lead form and the lead page (click-to-edit)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from leadapp.custom_fields.models import FieldKind
from leadapp.extensions import db
from leadapp.leads.models import Activity, Lead
from tests.custom_fields.helpers import lead_form, make_field, set_value, value_of
from tests.factories import LeadFactory, LeadSourceFactory


def _source(app) -> int:
    with app.app_context():
        return LeadSourceFactory().id


def test_new_lead_form_shows_custom_inputs_in_order(app, client, login):
    login("admin")
    make_field(app, "Seats", FieldKind.number, help_text="Licences they need", required=True)
    make_field(app, "Colours", FieldKind.multi_choice, options=["Red", "Blue"])
    html = client.get("/admin/leads/new").get_data(as_text=True)
    assert html.index('name="cf_seats"') < html.index('name="cf_colours"')
    assert 'type="number"' in html and "Licences they need" in html
    assert 'name="cf_colours" type="checkbox" value="Red"' in html


def test_create_saves_typed_values(app, client, login):
    login("admin")
    seats = make_field(app, "Seats", FieldKind.number)
    start = make_field(app, "Go live", FieldKind.date)
    colours = make_field(app, "Colours", FieldKind.multi_choice, options=["Red", "Blue"])
    response = client.post("/admin/leads/new", data=lead_form(
        _source(app), cf_seats="12", cf_go_live="2026-03-01", cf_colours=["Blue", "Red"]))
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        lead_id = db.session.scalar(select(Lead.id))
    assert value_of(app, lead_id, seats) == Decimal(12)
    assert value_of(app, lead_id, start) == date(2026, 3, 1)
    assert value_of(app, lead_id, colours) == ["Red", "Blue"]


def test_bad_value_re_renders_the_form_with_the_message_and_the_values(app, client, login):
    login("admin")
    make_field(app, "Seats", FieldKind.number)
    make_field(app, "Contract", FieldKind.yes_no, required=True)
    response = client.post("/admin/leads/new", data=lead_form(
        _source(app), cf_seats="12.5", cf_contract=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Seats: enter a whole number, without decimals." in html
    assert "Contract is required." in html
    assert 'value="12.5"' in html and 'value="Rush order"' in html
    with app.app_context():
        assert db.session.scalar(select(Lead.id)) is None


def test_edit_form_starts_with_the_stored_values_and_records_changes(app, client, login):
    login("admin")
    tier = make_field(app, "Tier", FieldKind.choice, options=["Gold", "Silver"])
    with app.app_context():
        lead_id = LeadFactory().id
    set_value(app, lead_id, tier, "Gold")
    html = client.get(f"/admin/leads/{lead_id}/edit").get_data(as_text=True)
    assert '<option selected value="Gold">' in html
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        from leadapp.leads import services

        data = services.form_data(lead)
    form = {key: ("" if value is None else str(value)) for key, value in data.items()}
    form.update(cf_tier="Silver", new_company="y", new_company_name="Quick Co",
                company_website="quick.example", new_contact="y", first_name="Kim",
                last_name="Park")
    response = client.post(f"/admin/leads/{lead_id}/edit", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert value_of(app, lead_id, tier) == "Silver"
    with app.app_context():
        row = db.session.scalar(select(Activity).where(Activity.field == "Tier"))
        assert (row.old_value, row.new_value) == ("Gold", "Silver")


def test_lead_page_click_to_edit_saves_and_refuses_bad_input(app, hx, login):
    login("admin", client_=hx)
    amount = make_field(app, "Deal size", FieldKind.decimal)
    with app.app_context():
        lead = LeadFactory()
        lead_id, version = lead.id, lead.version
    page = hx.get(f"/admin/leads/{lead_id}", headers={"HX-Boosted": "true"})
    assert f'id="lead-{lead_id}-cf_deal_size"' in page.get_data(as_text=True)
    url = f"/admin/leads/{lead_id}/custom-fields/deal_size"
    assert 'name="value"' in hx.get(f"{url}/edit").get_data(as_text=True)
    bad = hx.put(url, data={"value": "12.345", "version": version})
    assert bad.status_code == 422
    assert "at most two decimals" in bad.get_data(as_text=True)
    good = hx.put(url, data={"value": "1250.5", "version": version})
    assert good.status_code == 200 and "1,250.50" in good.get_data(as_text=True)
    assert good.headers["HX-Trigger"] == "lead-changed"
    assert value_of(app, lead_id, amount) == Decimal("1250.50")
    stale = hx.put(url, data={"value": "3", "version": version})
    assert stale.status_code == 409
    assert value_of(app, lead_id, amount) == Decimal("1250.50")
    cleared = hx.put(url, data={"value": "", "version": version + 1})
    assert cleared.status_code == 200 and value_of(app, lead_id, amount) is None


def test_click_to_edit_plain_post_redirects_back(app, client, login):
    login("admin")
    make_field(app, "Notes", FieldKind.long_text)
    with app.app_context():
        lead = LeadFactory()
        lead_id, version = lead.id, lead.version
    response = client.post(f"/admin/leads/{lead_id}/custom-fields/notes",
                           data={"value": "Call after 5", "version": version})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/leads/{lead_id}#lead-{lead_id}-cf_notes")


def test_unknown_field_is_404_and_viewers_cannot_open_the_form(app, hx, client, login):
    login("admin", client_=hx)
    make_field(app, "Notes", FieldKind.long_text)
    with app.app_context():
        lead_id = LeadFactory().id
    assert hx.get(f"/admin/leads/{lead_id}/custom-fields/nope/edit").status_code == 404
    login("marketeer")
    assert client.get(f"/admin/leads/{lead_id}/custom-fields/notes/edit").status_code == 403
