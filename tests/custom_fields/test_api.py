"""The JSON API's `custom_fields` object: read, create, replace, patch, field list, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from leadapp.auth.services import issue_token
from leadapp.custom_fields.models import FieldKind
from leadapp.extensions import db
from leadapp.models import LeadSource, User
from tests.custom_fields.helpers import make_field, value_of
from tests.factories import LeadSourceFactory

NEW_LEAD = {"title": "Kitchen refit", "source": "Website form", "new_company_name": "Refit AG",
            "company_website": "https://refit.example", "first_name": "Ida", "last_name": "Lind"}


@pytest.fixture
def call(app, client, make_user):
    user_id = make_user("admin")
    with app.app_context():
        token = issue_token(db.session.get(User, user_id), "test script")[1]
        if db.session.scalar(select(LeadSource).where(LeadSource.name == "Website form")) is None:
            LeadSourceFactory(name="Website form")

    def do(method: str, url: str, **kwargs):
        return getattr(client, method)(url, headers={"authtoken": token}, **kwargs)

    return do


def _fields(app) -> dict[str, int]:
    return {"seats": make_field(app, "Seats", FieldKind.number),
            "deal": make_field(app, "Deal", FieldKind.decimal),
            "colours": make_field(app, "Colours", FieldKind.multi_choice,
                                  options=["Red", "Blue"]),
            "signed": make_field(app, "Signed", FieldKind.yes_no)}


def test_create_with_custom_fields_and_read_them_back_typed(app, call):
    ids = _fields(app)
    response = call("post", "/api/leads", json={**NEW_LEAD, "custom_fields": {
        "seats": 12, "deal": "1250.5", "colours": ["blue", "Red"], "signed": True}})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()["data"]
    assert body["custom_fields"] == {"seats": 12, "deal": "1250.50",
                                     "colours": ["Red", "Blue"], "signed": True}
    assert value_of(app, body["id"], ids["deal"]) == Decimal("1250.50")
    again = call("get", f"/api/leads/{body['id']}").get_json()["data"]
    assert again["custom_fields"]["colours"] == ["Red", "Blue"]


def test_bad_or_unknown_custom_values_are_422_naming_the_key(app, call):
    _fields(app)
    bad = call("post", "/api/leads", json={**NEW_LEAD, "custom_fields": {"seats": 1.5}})
    assert bad.status_code == 422
    assert "custom_fields.seats" in str(bad.get_json())
    unknown = call("post", "/api/leads", json={**NEW_LEAD, "custom_fields": {"nope": 1}})
    assert unknown.status_code == 422 and "nope" in str(unknown.get_json())
    shape = call("post", "/api/leads", json={**NEW_LEAD, "custom_fields": [1]})
    assert shape.status_code == 422 and "must be an object" in str(shape.get_json())


def test_required_custom_field_is_enforced_on_create(app, call):
    make_field(app, "Region", FieldKind.text, required=True)
    response = call("post", "/api/leads", json=NEW_LEAD)
    assert response.status_code == 422
    assert "Region is required." in str(response.get_json())


def test_patch_changes_only_the_given_keys_and_put_without_them_keeps_values(app, call):
    ids = _fields(app)
    lead = call("post", "/api/leads", json={**NEW_LEAD, "custom_fields": {
        "seats": 3, "signed": False}}).get_json()["data"]
    patched = call("patch", f"/api/leads/{lead['id']}", json={
        "custom_fields": {"seats": "7"}, "title": "Kitchen refit XL"})
    assert patched.status_code == 200, patched.get_json()
    data = patched.get_json()["data"]
    assert data["title"] == "Kitchen refit XL"
    assert data["custom_fields"]["seats"] == 7 and data["custom_fields"]["signed"] is False
    stale = call("patch", f"/api/leads/{lead['id']}", json={
        "custom_fields": {"seats": 9}, "version": lead["version"]})
    assert stale.status_code == 409
    assert value_of(app, lead["id"], ids["seats"]) == Decimal(7)
    bad = call("patch", f"/api/leads/{lead['id']}", json={
        "custom_fields": {"seats": "x"}, "title": "Not saved"})
    assert bad.status_code == 422
    assert call("get", f"/api/leads/{lead['id']}").get_json()["data"]["title"] == \
        "Kitchen refit XL"


def test_fields_endpoint_and_openapi_list_the_custom_fields(app, call):
    make_field(app, "Tier", FieldKind.choice, options=["Gold", "Silver"], help_text="Plan")
    listed = call("get", "/api/leads/fields").get_json()
    entries = listed["data"] if isinstance(listed, dict) and "data" in listed else listed
    tier = next(entry for entry in entries if entry["name"] == "custom_fields.tier")
    assert tier["type"] == "enum" and [c["id"] for c in tier["choices"]] == ["Gold", "Silver"]


def test_openapi_describes_the_custom_fields_object(app, client):
    make_field(app, "Seats", FieldKind.number, help_text="Licences")
    make_field(app, "Tier", FieldKind.choice, options=["Gold"])
    doc = client.get("/api/openapi.json").get_json()
    schema = doc["components"]["schemas"]["CustomFields"]
    assert schema["properties"]["seats"]["type"] == ["integer", "null"]
    assert schema["properties"]["seats"]["description"] == "Seats — Licences"
    assert schema["properties"]["tier"]["enum"] == ["Gold", None]
    for name in ("Lead", "LeadInput", "LeadPatch"):
        assert doc["components"]["schemas"][name]["properties"]["custom_fields"] == {
            "$ref": "#/components/schemas/CustomFields"}



@pytest.mark.parametrize(("values", "message"), [
    ({"note": {"nested": "value"}}, "Note: send a single text value, not a list or an object"),
    ({"note": ["a", "b"]}, "Note: send a single text value, not a list or an object"),
    ({"deal": "12,5"}, "Deal: “12,5” is ambiguous"),
    ({"when": "2026-01-31garbage"}, "When: enter a date like 2026-01-31"),
])
def test_object_list_decimal_comma_or_dated_garbage_is_422_not_stored(app, call, values,
                                                                      message):
    make_field(app, "Note", FieldKind.text)
    make_field(app, "When", FieldKind.date)
    _fields(app)
    response = call("post", "/api/leads", json={**NEW_LEAD, "custom_fields": values})
    assert response.status_code == 422
    assert message in response.get_json()["message"]
    assert "custom_fields." + next(iter(values)) in response.get_json()["errors"]
