"""POST/GET/PUT/PATCH/DELETE /api/leads/<id>: validation like the form, conditional updates,
idempotency, and bad input that must never become a 500 or HTML."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from leadapp.extensions import db
from leadapp.leads.models import Lead
from tests.api.lead_bodies import NEW_LEAD
from tests.factories import CompanyFactory, ContactFactory, LeadFactory

NEW = NEW_LEAD


@pytest.fixture
def lead_id(app: Flask) -> int:
    with app.app_context():
        return LeadFactory(title="Boiler", city="Bonn").id


def test_create_with_existing_company_contacts_owner_and_tags(app: Flask, api: Any,
                                                               make_user: Any) -> None:
    owner_id = make_user("sales")
    with app.app_context():
        company = CompanyFactory()
        first, second = ContactFactory(company=company), ContactFactory(company=company)
        ids = (company.id, first.id, second.id)
    response = api("post", "/api/leads", json={
        "title": "Fleet deal", "source": "Chat", "company": {"id": ids[0]},
        "contacts": [ids[1], ids[2]], "owner": owner_id, "tags": "fleet, Q3",
        "budget": 1250.5, "deadline": "2026-06-30", "team": None})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["company"]["id"] == ids[0] and data["owner"]["id"] == owner_id
    assert [(c["id"], c["is_primary"]) for c in data["contacts"]] == [(ids[1], True),
                                                                       (ids[2], False)]
    assert sorted(data["tags"]) == ["Q3", "fleet"] and data["budget"] == "1250.50"
    assert data["deadline"] == "2026-06-30" and response.headers["ETag"]


@pytest.mark.parametrize(("body", "field", "message"), [
    ({**NEW, "title": ""}, "title", "Give the lead a title."),
    ({k: v for k, v in NEW.items() if k != "source"}, "source_id",
     "Choose where the lead came from."),
    ({**NEW, "budget": -5}, "budget", "Enter 0 or more."),
    ({**NEW, "budget": "lots"}, "budget", "Not a valid decimal value."),
    ({**NEW, "deadline": "30/06/2026"}, "deadline", "Not a valid date value."),
    ({**NEW, "new_contact": True, "email": "nope"}, "email",
     "Enter an email address like name@example.com."),
    ({**NEW, "phone": "12"}, "phone", "This does not look like a complete phone number."),
    ({**NEW, "company_website": ""}, "company_website", "Enter the company website."),
    ({"title": "X", "source": "Chat"}, "company_id",
     "Search for the company and pick it from the list."),
    ({**NEW, "source": "Carrier pigeon"}, "source", "No source is called “Carrier pigeon”"),
    ({**NEW, "contacts": [999999]}, "contacts", "No contact has the id 999999."),
    ({**NEW, "contacts": "1,2"}, "contacts", "contacts must be a list of contact ids."),
    ({**NEW, "title": ["a"]}, "title", "title must be a string or a number."),
    ({**NEW, "colour": "red"}, "colour", "colour is not a lead field"),
    ({**NEW, "currency": "XYZ"}, "currency", "Not a valid choice."),
])
def test_create_refuses_bad_fields_with_the_form_messages(api: Any, body: dict, field: str,
                                                          message: str) -> None:
    response = api("post", "/api/leads", json=body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors and errors[field].startswith(message), errors


def test_create_is_idempotent_with_the_same_key(app: Flask, api: Any) -> None:
    headers = {"Idempotency-Key": "abc-123"}
    first = api("post", "/api/leads", json=NEW, headers=headers)
    again = api("post", "/api/leads", json=NEW, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json()["data"]["id"] == again.get_json()["data"]["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    with app.app_context():
        assert db.session.query(Lead).filter_by(title="Kitchen refit").count() == 1


def test_replay_reads_answers_stored_before_headers_were_kept(app: Flask, api: Any) -> None:
    from leadapp.api.models import IdempotencyKey

    headers = {"Idempotency-Key": "old-row"}
    first = api("post", "/api/leads", json=NEW, headers=headers)
    with app.app_context():
        row = db.session.query(IdempotencyKey).one()
        row.body = first.get_data(as_text=True)  # the format of earlier releases
        db.session.commit()
    again = api("post", "/api/leads", json=NEW, headers=headers)
    assert again.status_code == 201 and again.get_json() == first.get_json()


def test_create_multipart_with_attachments(app: Flask, api: Any) -> None:
    import io

    data = {**NEW, "attachments": [(io.BytesIO(b"%PDF-1.4 quote"), "quote.pdf")]}
    response = api("post", "/api/leads", data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["attachments_count"] == 1


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"data": "{broken", "content_type": "application/json"}, 400),
    ({"data": "[1, 2]", "content_type": "application/json"}, 400),
    ({"data": "title=x", "content_type": "text/plain"}, 415),
    ({"data": "x" * 70_000, "content_type": "application/json"}, 413),
])
def test_malformed_bodies_are_json_errors(api: Any, kwargs: dict, status: int) -> None:
    response = api("post", "/api/leads", **kwargs)
    assert response.status_code == status
    assert response.is_json and response.get_json()["status"] is False


@pytest.mark.parametrize("path", ["/api/leads/0", "/api/leads/abc", "/api/leads/99999999999",
                                  "/api/leads/2147483647"])
def test_unknown_ids_are_404_json(api: Any, path: str) -> None:
    response = api("get", path)
    assert response.status_code == 404 and response.is_json


def test_get_has_etag_and_answers_304_when_unchanged(api: Any, lead_id: int) -> None:
    response = api("get", f"/api/leads/{lead_id}")
    etag = response.headers["ETag"]
    assert etag == f'"lead-{lead_id}-v{response.get_json()["data"]["version"]}"'
    assert api("get", f"/api/leads/{lead_id}",
               headers={"If-None-Match": etag}).status_code == 304


def test_patch_changes_only_sent_fields_in_one_version(app: Flask, api: Any,
                                                       lead_id: int) -> None:
    before = api("get", f"/api/leads/{lead_id}").get_json()["data"]
    response = api("patch", f"/api/leads/{lead_id}", json={
        "email": "  new@boiler.example ", "city": "Köln", "tags": ["urgent"], "budget": "77",
        "source": "Call", "id": 12345, "created_at": "ignored"})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert (data["email"], data["city"], data["tags"], data["budget"]) == (
        "new@boiler.example", "Köln", ["urgent"], "77.00")
    assert data["source"]["name"] == "Call" and data["title"] == "Boiler"
    assert data["version"] > before["version"]
    cleared = api("patch", f"/api/leads/{lead_id}", json={"email": None, "phone": ""})
    assert cleared.status_code == 200 and cleared.get_json()["data"]["email"] == ""


@pytest.mark.parametrize(("body", "field"), [
    ({"title": ""}, "title"), ({"email": "x@"}, "email"), ({"phone": "123"}, "phone"),
    ({"budget": "-1"}, "budget"), ({"start_date": "soon"}, "start_date"),
    ({"source": 999999}, "source"), ({"owner_id": 999999}, "owner_id"),
    ({"stage": "Closed"}, "stage"), ({"version": "abc"}, "version"),
    ({"contacts": [10**22]}, "contacts"), ({"contacts": [999999]}, "contacts"),
    ({"contacts": "1,2"}, "contacts")])
def test_patch_refuses_bad_values_and_changes_nothing(app: Flask, api: Any, lead_id: int,
                                                       body: dict, field: str) -> None:
    response = api("patch", f"/api/leads/{lead_id}", json={"city": "Essen", **body})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"], response.get_json()
    with app.app_context():
        assert db.session.get(Lead, lead_id).city == "Bonn"


def test_stale_if_match_or_version_is_409_with_the_current_lead(api: Any, lead_id: int) -> None:
    etag = api("get", f"/api/leads/{lead_id}").headers["ETag"]
    assert api("patch", f"/api/leads/{lead_id}", json={"city": "Ulm"},
               headers={"If-Match": etag}).status_code == 200
    stale = api("patch", f"/api/leads/{lead_id}", json={"city": "Jena"},
                headers={"If-Match": etag})
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["status"] is False and body["data"]["city"] == "Ulm"
    assert stale.headers["ETag"] != etag
    by_body = api("patch", f"/api/leads/{lead_id}", json={"city": "Jena", "version": 1})
    assert by_body.status_code == 409
    current = body["data"]["version"]
    assert api("patch", f"/api/leads/{lead_id}",
               json={"city": "Jena", "version": current}).status_code == 200


def test_put_replaces_the_form_fields_and_honours_if_match(app: Flask, api: Any) -> None:
    created = api("post", "/api/leads", json={**NEW, "city": "Graz", "product": "Cabinets"})
    lead = created.get_json()["data"]
    full = {"title": "Kitchen refit, big", "source": lead["source"], "company": lead["company"],
            "contacts": lead["contacts"][:1], "tags": []}
    stale = api("put", f"/api/leads/{lead['id']}", json=full, headers={"If-Match": '"lead-1-v0"'})
    assert stale.status_code == 409
    response = api("put", f"/api/leads/{lead['id']}", json=full,
                   headers={"If-Match": created.headers["ETag"]})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["title"] == "Kitchen refit, big" and data["city"] == "" and data["product"] == ""
    missing = api("put", f"/api/leads/{lead['id']}", json={"title": "Only a title"})
    assert missing.status_code == 422 and "source_id" in missing.get_json()["errors"]


def test_delete_moves_to_trash_and_restore_brings_it_back(app: Flask, api: Any,
                                                          lead_id: int) -> None:
    assert api("delete", f"/api/leads/{lead_id}").status_code == 200
    assert api("delete", f"/api/leads/{lead_id}").status_code == 404
    assert api("patch", f"/api/leads/{lead_id}", json={"city": "X"}).status_code == 404
    assert api("get", f"/api/leads/{lead_id}?deleted=true").status_code == 200
    assert api("post", f"/api/leads/{lead_id}/restore").status_code == 200
    assert api("post", f"/api/leads/{lead_id}/restore").status_code == 404
    with app.app_context():
        assert db.session.get(Lead, lead_id).deleted_at is None


def test_wrong_method_is_405_json(api: Any, lead_id: int) -> None:
    response = api("post", f"/api/leads/{lead_id}")
    assert response.status_code == 405 and response.is_json


def test_missing_token_is_401(client: Any) -> None:
    response = client.get("/api/leads")
    assert response.status_code == 401 and response.get_json()["status"] is False


@pytest.mark.parametrize("value", [0, "0", "off", "no", False, "false"])
def test_create_reads_false_checkboxes_as_unchecked(app: Flask, api: Any, value: Any) -> None:
    """new_company/new_contact/auto_convert false: no company or contact is made, the lead
    is not converted (the form's BooleanField alone took "0", "off" and "no" as checked)."""
    with app.app_context():
        company = CompanyFactory()
        ids = (company.id, ContactFactory(company=company).id)
    response = api("post", "/api/leads", json={
        **NEW, "company": ids[0], "contacts": [ids[1]], "new_company": value,
        "new_contact": value, "auto_convert": value})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["company"]["id"] == ids[0] and [c["id"] for c in data["contacts"]] == [ids[1]]
    assert data["converted"] is False


@pytest.mark.parametrize("field", ["new_company", "new_contact", "auto_convert"])
@pytest.mark.parametrize("value", ["maybe", 2, [True], {"a": 1}])
def test_create_refuses_unreadable_checkboxes(app: Flask, api: Any, field: str,
                                              value: Any) -> None:
    response = api("post", "/api/leads", json={**NEW, field: value})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        field: f"{field} must be true or false (or 1 or 0)."}
    with app.app_context():
        assert db.session.query(Lead).count() == 0


@pytest.mark.parametrize("value", [1, "1", "yes", "on", True])
def test_create_auto_converts_with_a_true_checkbox(api: Any, value: Any) -> None:
    response = api("post", "/api/leads", json={**NEW, "auto_convert": value})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["converted"] is True


@pytest.mark.parametrize("budget", ["1e400", 1e400, 10**30, "1000000000000", "NaN", "sNaN",
                                    "Infinity", "-Infinity"])
def test_budget_out_of_range_is_a_budget_error(app: Flask, api: Any, lead_id: int,
                                               budget: Any) -> None:
    with app.app_context():
        before = db.session.get(Lead, lead_id).budget
    created = api("post", "/api/leads", json={**NEW, "budget": budget})
    assert created.status_code == 422
    assert list(created.get_json()["errors"]) == ["budget"], created.get_json()
    patched = api("patch", f"/api/leads/{lead_id}", json={"budget": budget})
    assert patched.status_code == 422 and list(patched.get_json()["errors"]) == ["budget"]
    with app.app_context():
        assert db.session.query(Lead).count() == 1
        assert db.session.get(Lead, lead_id).budget == before


def test_budget_at_the_column_maximum_is_stored(api: Any, lead_id: int) -> None:
    response = api("patch", f"/api/leads/{lead_id}", json={"budget": "999999999999.99"})
    assert response.status_code == 200 and response.get_json()["data"]["budget"] == \
        "999999999999.99"


def test_uncaught_domain_error_names_its_field(app: Flask) -> None:
    from leadapp.errors import RuleViolation, handle_domain_error

    with app.test_request_context("/api/leads/1"):
        response = handle_domain_error(RuleViolation("Enter 0 or more.", field="amount"))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"amount": "Enter 0 or more."}


def test_out_of_range_number_names_the_field(api: Any, lead_id: int) -> None:
    response = api("put", f"/api/leads/{lead_id}", json={
        "title": "T", "source": "Chat", "company_id": 10**22, "contact_id": 10**22})
    assert response.status_code == 422, response.get_json()
    assert {"company_id", "contact_id"} & set(response.get_json()["errors"])


@pytest.mark.parametrize(("files", "message"), [
    ([(b"%PDF-1.4 quote", "quote.pdf"), (b"", "empty.pdf")], "The file empty.pdf is empty."),
    ([(b"x" * 64, "big.pdf")], "big.pdf: The file is too big: the limit is 32 bytes."),
])
def test_create_with_a_refused_attachment_saves_nothing(app: Flask, api: Any, files: list,
                                                        message: str) -> None:
    import io
    from pathlib import Path

    app.config["LEAD_ATTACHMENT_MAX_BYTES"] = 32
    data = {**NEW, "attachments": [(io.BytesIO(body), name) for body, name in files]}
    response = api("post", "/api/leads", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors.values()) == [message], errors
    with app.app_context():
        assert db.session.query(Lead).count() == 0
    folder = Path(app.config["UPLOAD_DIR"]) / "attachments"
    assert not folder.exists() or not any(folder.iterdir())


def test_bad_version_with_an_idempotency_key_still_names_the_field(api: Any,
                                                                   lead_id: int) -> None:
    headers = {"Idempotency-Key": "bad-version"}
    for _ in range(2):  # the first answer and its replay
        response = api("post", f"/api/leads/{lead_id}/convert", json={"version": "abc"},
                       headers=headers)
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["version"]
