"""GET /api/leads carries each lead's `custom_fields`, loaded for the whole page at once, and
the OpenAPI LeadSummary schema documents them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jsonschema_rs
from flask import Flask
from sqlalchemy import event

from leadapp.custom_fields.models import FieldKind
from leadapp.extensions import db
from tests.custom_fields.helpers import make_field, set_value
from tests.factories import LeadFactory


def _fields(app: Flask) -> dict[str, int]:
    return {"seats": make_field(app, "Seats", FieldKind.number),
            "deal": make_field(app, "Deal", FieldKind.decimal),
            "colours": make_field(app, "Colours", FieldKind.multi_choice,
                                  options=["Red", "Blue"]),
            "signed": make_field(app, "Signed", FieldKind.yes_no),
            "due": make_field(app, "Due", FieldKind.date)}


def _leads(app: Flask, count: int) -> list[int]:
    with app.app_context():
        return [LeadFactory(title=f"Lead {n}").id for n in range(count)]


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_list_has_each_leads_typed_custom_values(app: Flask, api: Any) -> None:
    ids = _fields(app)
    full, empty = _leads(app, 2)
    set_value(app, full, ids["seats"], "12")
    set_value(app, full, ids["deal"], "1250.5")
    set_value(app, full, ids["colours"], ["Blue", "Red"])
    set_value(app, full, ids["signed"], "no")
    set_value(app, full, ids["due"], "2026-12-24")
    response = api("get", "/api/leads")
    assert response.status_code == 200, response.get_json()
    by_id = {item["id"]: item for item in response.get_json()["data"]}
    assert by_id[full]["custom_fields"] == {"seats": 12, "deal": "1250.50",
                                            "colours": ["Red", "Blue"], "signed": False,
                                            "due": "2026-12-24"}
    assert by_id[empty]["custom_fields"] == dict.fromkeys(
        ("seats", "deal", "colours", "signed", "due"))


def test_list_without_custom_fields_has_an_empty_object(app: Flask, api: Any) -> None:
    _leads(app, 1)
    data = api("get", "/api/leads").get_json()["data"]
    assert [item["custom_fields"] for item in data] == [{}]


def _listed_with_values(app: Flask, api: Any, seats: int, more: int) -> tuple[int, int]:
    """Add `more` leads with a seat count, list them all: (queries on the value table,
    all queries)."""
    for lead_id in _leads(app, more):
        set_value(app, lead_id, seats, str(lead_id))
    with _statements(app) as seen:
        data = api("get", "/api/leads?limit=50").get_json()["data"]
    assert all(item["custom_fields"]["seats"] for item in data)
    return len([sql for sql in seen if "lead_field_values" in sql]), len(seen)


def test_custom_values_cost_the_same_queries_for_2_or_12_leads(app: Flask, api: Any) -> None:
    seats = _fields(app)["seats"]
    api("get", "/api/leads")  # the token's user and first-request work, outside the count
    values_2, all_2 = _listed_with_values(app, api, seats, 2)
    values_12, all_12 = _listed_with_values(app, api, seats, 10)
    assert values_2 == values_12 == 1  # one values query per page, not one per lead
    assert all_2 == all_12


def test_list_items_match_the_documented_summary_with_custom_fields(app: Flask, client: Any,
                                                                    api: Any) -> None:
    ids = _fields(app)
    (lead_id,) = _leads(app, 1)
    set_value(app, lead_id, ids["colours"], "Red")
    doc = json.loads(client.get("/api/openapi.json").get_data(as_text=True))
    summary = doc["components"]["schemas"]["LeadSummary"]
    assert summary["properties"]["custom_fields"] == {"$ref": "#/components/schemas/CustomFields"}
    assert "custom_fields" in summary["required"]
    validator = jsonschema_rs.validator_for({"$ref": "#/components/schemas/LeadSummary",
                                             "components": doc["components"]})
    (item,) = api("get", "/api/leads").get_json()["data"]
    validator.validate(item)
    # The schema really checks the values: a wrong type in the object is refused.
    assert not validator.is_valid({**item, "custom_fields": {"colours": "Green"}})
