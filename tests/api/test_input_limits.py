"""Input no view should ever see: JSON nested thousands of levels deep (RecursionError in the
parser) and NUL characters (PostgreSQL refuses them in text). Both get a clear 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from leadapp.extensions import db
from leadapp.leads.models import Lead
from tests.api.lead_bodies import NEW_LEAD
from tests.factories import LeadFactory

DEEP_LIST = "[" * 40_000 + "]" * 40_000
DEEP_OBJECT = '{"a":' * 8_000 + "1" + "}" * 8_000
SHALLOW_BUT_TOO_DEEP = '{"title": ' + "[" * 30 + "]" * 30 + "}"


@pytest.fixture
def lead_id(app: Flask) -> int:
    with app.app_context():
        return LeadFactory(title="Boiler", city="Bonn").id


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT, SHALLOW_BUT_TOO_DEEP])
@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/leads"), ("put", "/api/leads/{id}"), ("patch", "/api/leads/{id}"),
    ("post", "/api/leads/{id}/convert"), ("post", "/api/leads/{id}/comments"),
    ("post", "/api/lead_sources")])
def test_deeply_nested_json_is_400_in_the_envelope(api: Any, lead_id: int, method: str,
                                                    path: str, body: str) -> None:
    response = api(method, path.format(id=lead_id), data=body,
                   content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {
        "status": False, "message": "The JSON body is nested too deeply (at most 20 levels)."}


@pytest.mark.parametrize(("body", "field"), [
    ({**NEW_LEAD, "title": "Kitchen\x00refit"}, "title"),
    ({**NEW_LEAD, "city": "\x00"}, "city"),
    ({**NEW_LEAD, "tags": ["ok", "bad\x00"]}, "tags.1"),
    ({**NEW_LEAD, "custom_fields": {"size": "x\x00"}}, "custom_fields.size"),
])
def test_nul_in_a_json_body_is_422_naming_the_field(app: Flask, api: Any, body: dict,
                                                     field: str) -> None:
    response = api("post", "/api/leads", json=body)
    assert response.status_code == 422
    data = response.get_json()
    assert data["status"] is False and list(data["errors"]) == [field]
    assert "NUL" in data["errors"][field]
    with app.app_context():
        assert db.session.query(Lead).count() == 0


def test_nul_in_patch_and_comment_bodies_is_422(app: Flask, api: Any, lead_id: int) -> None:
    patched = api("patch", f"/api/leads/{lead_id}", json={"city": "Bo\x00nn"})
    assert patched.status_code == 422 and "city" in patched.get_json()["errors"]
    comment = api("post", f"/api/leads/{lead_id}/comments", json={"body": "hi\x00"})
    assert comment.status_code == 422 and "body" in comment.get_json()["errors"]
    source = api("post", "/api/lead_sources", json={"name": "Fax\x00"})
    assert source.status_code == 422 and "name" in source.get_json()["errors"]
    with app.app_context():
        assert db.session.get(Lead, lead_id).city == "Bonn"


def test_nul_in_a_form_body_is_422_naming_the_field(api: Any) -> None:
    response = api("post", "/api/leads", data={**NEW_LEAD, "city": "a\x00b"})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["city"]


@pytest.mark.parametrize("param", ["search", "city", "source", "tags", "stage", "name",
                                   "title", "email", "campaign", "team", "pipeline"])
def test_nul_in_a_query_parameter_is_422_naming_it(api: Any, param: str) -> None:
    response = api("get", "/api/leads", query_string={param: "ab\x00c"})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [f"query.{param}"]


def test_nul_in_a_lead_source_search_path_is_422(api: Any) -> None:
    response = api("get", "/api/lead_sources/search/we%00b")
    assert response.status_code == 422 and response.is_json
    assert "keysearch" in response.get_json()["errors"]
