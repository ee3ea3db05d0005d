"""POST /api/leads/create-from-site/: keys, field errors, rate limit, CORS, Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from leadapp.capture.models import CaptureForm, Submission, SubmissionStatus
from leadapp.extensions import db
from leadapp.leads.models import Lead
from tests.factories import LeadSourceFactory

from .conftest import MadeForm

URL = "/api/leads/create-from-site/"
SEED_BODY = {"first_name": "John", "last_name": "Prospect", "email": "john@prospect.com",
             "phone": "+1234567890", "account_name": "Prospect Company",
             "source": "Website Form", "title": "Interested in Product Demo"}


def _leads(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Lead))


def test_create_from_site_seed_body_creates_lead_201(app: Flask, client: FlaskClient,
                                                     make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    response = client.post(f"{URL}?apikey={made.api_key}", json=SEED_BODY)
    body = response.get_json()
    assert response.status_code == 201
    assert body["status"] is True and body["id"] == body["lead"]["id"]
    assert body["lead"]["account_name"] == "Prospect Company"
    assert body["lead"]["title"] == "Interested in Product Demo"
    assert body["lead"]["source"] == "Website form"  # the seed's name matches case-insensitively
    assert body["lead"]["ref"] == f"form:{made.id}"
    with app.app_context():
        row = db.session.get(Submission, body["submission_id"])
        assert row.via == "api" and row.payload["fields"] == SEED_BODY


def test_create_from_site_unknown_source_name_keeps_form_source(
        app: Flask, client: FlaskClient, make_form: Callable[..., MadeForm]) -> None:
    with app.app_context():
        source_id = LeadSourceFactory(name="Partner portal").id
    made = make_form(source_id=source_id)
    response = client.post(f"{URL}?apikey={made.api_key}", json={**SEED_BODY, "source": "??"})
    assert response.get_json()["lead"]["source"] == "Partner portal"


def test_create_from_site_bad_or_missing_key_401(app: Flask, client: FlaskClient,
                                                 make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    missing = client.post(URL, json=SEED_BODY)
    wrong = client.post(f"{URL}?apikey=lfk_wrong", json=SEED_BODY)
    with app.app_context():
        db.session.get(CaptureForm, made.id).active = False
        db.session.commit()
    inactive = client.post(f"{URL}?apikey={made.api_key}", json=SEED_BODY)
    assert [r.status_code for r in (missing, wrong, inactive)] == [401, 401, 401]
    assert "deactivated" in inactive.get_json()["message"]
    assert missing.get_json()["status"] is False and _leads(app) == 0


def test_create_from_site_invalid_fields_400_with_errors(app: Flask, client: FlaskClient,
                                                          make_form: Callable[..., MadeForm]
                                                          ) -> None:
    made = make_form()
    body = {"first_name": "", "email": "not-an-email", "phone": "call me", "website": "x y"}
    response = client.post(f"{URL}?apikey={made.api_key}", json=body)
    errors = response.get_json()["errors"]
    assert response.status_code == 400
    assert set(errors) == {"first_name", "email", "phone", "website"}
    assert errors["email"].startswith("Enter a valid email address")
    assert _leads(app) == 0


def test_create_from_site_non_object_body_400(client: FlaskClient,
                                              make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    response = client.post(f"{URL}?apikey={made.api_key}", data="[1, 2]",
                           content_type="application/json")
    assert response.status_code == 400 and response.get_json()["status"] is False


def test_create_from_site_over_rate_limit_429(app: Flask, client: FlaskClient,
                                              make_form: Callable[..., MadeForm]) -> None:
    app.config["CAPTURE_API_RATE_LIMIT"] = "2 per minute"
    made = make_form()
    codes = [client.post(f"{URL}?apikey={made.api_key}",
                         json={**SEED_BODY, "email": f"p{n}@prospect.com"}).status_code
             for n in range(3)]
    assert codes == [201, 201, 429]


def test_create_from_site_429_is_readable_by_the_allowed_site(
        app: Flask, client: FlaskClient, make_form: Callable[..., MadeForm]) -> None:
    """The site's script must see the 429 and its Retry-After to tell the visitor to wait."""
    app.config["CAPTURE_API_RATE_LIMIT"] = "1 per minute"
    made = make_form(allowed_origins="https://www.corp.example")
    url, origin = f"{URL}?apikey={made.api_key}", {"Origin": "https://www.corp.example"}
    assert client.post(url, json=SEED_BODY, headers=origin).status_code == 201
    limited = client.post(url, json={**SEED_BODY, "email": "b@prospect.com"}, headers=origin)
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert limited.headers["Access-Control-Allow-Origin"] == "https://www.corp.example"
    assert "Retry-After" in limited.headers["Access-Control-Expose-Headers"]
    other = client.post(url, json=SEED_BODY, headers={"Origin": "https://evil.example"})
    assert other.status_code == 429 and "Access-Control-Allow-Origin" not in other.headers


def test_create_from_site_deactivated_form_says_so_to_its_site_but_refuses_preflight(
        app: Flask, client: FlaskClient, make_form: Callable[..., MadeForm]) -> None:
    made = make_form(allowed_origins="https://www.corp.example")
    with app.app_context():
        db.session.get(CaptureForm, made.id).active = False
        db.session.commit()
    url, origin = f"{URL}?apikey={made.api_key}", {"Origin": "https://www.corp.example"}
    answer = client.post(url, json=SEED_BODY, headers=origin)
    assert answer.status_code == 401 and "deactivated" in answer.get_json()["message"]
    assert answer.headers["Access-Control-Allow-Origin"] == "https://www.corp.example"
    preflight = client.options(url, headers={**origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_create_from_site_cors_only_for_allowed_origins(client: FlaskClient,
                                                       make_form: Callable[..., MadeForm]) -> None:
    made = make_form(allowed_origins="https://www.corp.example")
    url = f"{URL}?apikey={made.api_key}"
    allowed = client.post(url, json=SEED_BODY, headers={"Origin": "https://www.corp.example"})
    other = client.post(url, json={**SEED_BODY, "email": "b@prospect.com"},
                        headers={"Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.corp.example"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in allowed.headers["Vary"]
    preflight = client.options(url, headers={"Origin": "https://www.corp.example",
                                             "Access-Control-Request-Method": "POST"})
    refused = client.options(url, headers={"Origin": "https://evil.example",
                                           "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_create_from_site_idempotency_key_replays_first_answer(
        app: Flask, client: FlaskClient, make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    url = f"{URL}?apikey={made.api_key}"
    first = client.post(url, json=SEED_BODY, headers={"Idempotency-Key": "order-1"})
    again = client.post(url, json=SEED_BODY, headers={"Idempotency-Key": "order-1"})
    reused = client.post(url, json={**SEED_BODY, "email": "x@prospect.com"},
                         headers={"Idempotency-Key": "order-1"})
    assert (first.status_code, again.status_code, reused.status_code) == (201, 201, 422)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _leads(app) == 1


def test_create_from_site_same_email_twice_adds_to_first_lead(
        app: Flask, client: FlaskClient, make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    url = f"{URL}?apikey={made.api_key}"
    first = client.post(url, json=SEED_BODY)
    second = client.post(url, json={**SEED_BODY, "title": "Second thoughts"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["id"] == first.get_json()["id"]
    assert _leads(app) == 1


def test_create_from_site_spam_is_held_202(app: Flask, client: FlaskClient,
                                           make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    body = {**SEED_BODY, "first_name": "Buy now https://pills.example",
            "email": "x@mailinator.com"}
    response = client.post(f"{URL}?apikey={made.api_key}", json=body)
    assert response.status_code == 202
    with app.app_context():
        assert db.session.scalar(select(Submission.status)) == SubmissionStatus.quarantined
    assert _leads(app) == 0
