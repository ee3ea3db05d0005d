"""The lead_sources API: every endpoint's success and every error the issue lists."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from leadapp.auth.models import ApiToken
from leadapp.extensions import db
from leadapp.models import LeadSource
from tests.factories import LeadFactory, LeadSourceFactory


def _source(app, **fields) -> int:
    with app.app_context():
        return LeadSourceFactory(**fields).id


def _with_leads(app, name: str, count: int) -> int:
    with app.app_context():
        source = LeadSourceFactory(name=name)
        for _ in range(count):
            LeadFactory(source=source)
        return source.id


def _count_named(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LeadSource)
                                 .where(func.lower(LeadSource.name) == name.lower()))


# --- POST /api/lead_sources ------------------------------------------------------------------

def test_create_with_json_returns_201_and_id(app, api):
    response = api("post", "/api/lead_sources", json={"name": "  Webinar  ", "description": "Q3"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] is True and isinstance(body["id"], int) and body["message"]
    with app.app_context():
        source = db.session.get(LeadSource, body["id"])
        assert (source.name, source.description, source.active) == ("Webinar", "Q3", True)


def test_create_with_multipart_form_returns_201(app, api):
    response = api("post", "/api/lead_sources", data={"name": "Podcast", "active": "0"},
                   content_type="multipart/form-data")
    assert response.status_code == 201
    with app.app_context():
        assert db.session.get(LeadSource, response.get_json()["id"]).active is False


def test_create_with_urlencoded_form_returns_201(api):
    response = api("post", "/api/lead_sources", data={"name": "Billboard"})
    assert response.status_code == 201


def test_create_without_name_returns_422_with_field_errors(api):
    response = api("post", "/api/lead_sources", json={"description": "no name"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["status"] is False and body["error"] == "validation_failed"
    assert "name" in body["errors"] and body["message"]


@pytest.mark.parametrize("payload, field", [
    ({"name": 123}, "name"), ({"name": ["a"]}, "name"), ({"name": "   "}, "name"),
    ({"name": "Ok", "active": "maybe"}, "active"),
    ({"name": "Ok", "description": 5}, "description"),
    ({"name": "x" * 121}, "name"),
])
def test_create_with_wrong_types_returns_422(api, payload, field):
    response = api("post", "/api/lead_sources", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("name", ["website form", "  WEBSITE FORM ", "Website Form"])
def test_create_duplicate_ignoring_case_and_spaces_returns_409(app, api, name):
    response = api("post", "/api/lead_sources", json={"name": name})
    assert response.status_code == 409
    body = response.get_json()
    assert body["status"] is False and "already exists" in body["message"]
    assert _count_named(app, "website form") == 1


def test_create_with_broken_json_returns_400_json(api):
    response = api("post", "/api/lead_sources", data=b'{"name": "Web',
                   content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"status": False, "message": "The body is not valid JSON."}


def test_create_with_json_array_returns_400(api):
    response = api("post", "/api/lead_sources", json=["Webinar"])
    assert response.status_code == 400 and response.get_json()["status"] is False


def test_create_with_invalid_utf8_json_returns_400(api):
    response = api("post", "/api/lead_sources", data=b'{"name": "\xff\xfe"}',
                   content_type="application/json")
    assert response.status_code == 400


def test_create_with_unsupported_body_type_returns_415(api):
    response = api("post", "/api/lead_sources", data="<name>x</name>", content_type="text/xml")
    assert response.status_code == 415
    assert response.is_json and response.get_json()["status"] is False


def test_create_with_huge_body_returns_413(api):
    response = api("post", "/api/lead_sources", json={"name": "x", "description": "y" * 200_000})
    assert response.status_code == 413
    assert response.is_json and "too large" in response.get_json()["message"]


# --- GET /api/lead_sources ---------------------------------------------------------------------

def test_list_returns_plain_array_ordered_by_name(app, api):
    _source(app, name="aardvark ads")
    response = api("get", "/api/lead_sources")
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body, list)
    names = [item["name"] for item in body]
    assert names == sorted(names, key=str.lower) and names[0] == "aardvark ads"
    assert set(body[0]) >= {"id", "name", "description", "active", "created_at", "updated_at",
                            "leads_count"}


def test_list_counts_live_leads_per_source(app, api):
    source_id = _with_leads(app, "Counted", 3)
    with app.app_context():
        from leadapp.db_types import utcnow
        lead = LeadFactory(source=db.session.get(LeadSource, source_id))
        lead.deleted_at = utcnow()
        db.session.commit()
    body = api("get", "/api/lead_sources").get_json()
    assert next(item for item in body if item["id"] == source_id)["leads_count"] == 3


def test_list_with_pagination_returns_data_and_meta(app, api):
    for index in range(5):
        _source(app, name=f"zz paged {index}")
    response = api("get", "/api/lead_sources?page=2&per_page=4&search=zz paged")
    body = response.get_json()
    assert response.status_code == 200
    assert [item["name"] for item in body["data"]] == ["zz paged 4"]
    assert body["meta"] == {"page": 2, "per_page": 4, "total": 5, "total_pages": 2,
                            "has_more": False}


def test_list_with_per_page_only_uses_first_page(api):
    body = api("get", "/api/lead_sources?per_page=3").get_json()
    assert len(body["data"]) == 3 and body["meta"]["page"] == 1 and body["meta"]["has_more"]


@pytest.mark.parametrize("query, field", [
    ("per_page=0", "per_page"), ("per_page=101", "per_page"), ("per_page=abc", "per_page"),
    ("page=0", "page"), ("page=-1", "page"), ("sort=bogus", "sort"), ("active=perhaps", "active"),
])
def test_list_with_bad_parameters_returns_422(api, query, field):
    response = api("get", f"/api/lead_sources?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_list_sorted_by_name_descending(api):
    names = [item["name"] for item in api("get", "/api/lead_sources?sort=-name").get_json()]
    assert names == sorted(names, key=str.lower, reverse=True)


def test_list_sorted_by_created_at_descending_puts_newest_first(app, api):
    newest = _source(app, name="Newest one")
    assert api("get", "/api/lead_sources?sort=-created_at").get_json()[0]["id"] == newest


def test_list_filtered_by_search_and_active(app, api):
    _source(app, name="Trade fair Berlin", active=False)
    _source(app, name="Trade fair Paris")
    body = api("get", "/api/lead_sources?search=trade fair&active=0").get_json()
    assert [item["name"] for item in body] == ["Trade fair Berlin"]


def test_search_endpoint_matches_name_substring(app, api):
    _source(app, name="LinkedIn Ads")
    response = api("get", "/api/lead_sources/search/linkedin")
    assert response.status_code == 200
    assert [item["name"] for item in response.get_json()] == ["LinkedIn Ads"]


def test_search_endpoint_without_match_returns_empty_array(api):
    response = api("get", "/api/lead_sources/search/nothing-like-this")
    assert response.status_code == 200 and response.get_json() == []


# --- GET /api/lead_sources/<id> ---------------------------------------------------------------

def test_get_one_returns_the_source(app, api):
    source_id = _with_leads(app, "Fetched", 2)
    response = api("get", f"/api/lead_sources/{source_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == source_id and body["name"] == "Fetched" and body["leads_count"] == 2


@pytest.mark.parametrize("raw_id", ["999999", "abc", "0", "-1", "99999999999999999999", "1.5"])
def test_get_unknown_or_non_numeric_id_returns_404_json(api, raw_id):
    response = api("get", f"/api/lead_sources/{raw_id}")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["status"] is False


# --- PUT /api/lead_sources/<id> ---------------------------------------------------------------

def test_update_with_json_changes_only_given_fields(app, api):
    source_id = _source(app, name="Old name", description="keep me")
    response = api("put", f"/api/lead_sources/{source_id}", json={"name": " New name "})
    assert response.status_code == 200
    assert response.get_json()["status"] is True and response.get_json()["message"]
    with app.app_context():
        source = db.session.get(LeadSource, source_id)
        assert (source.name, source.description) == ("New name", "keep me")


def test_update_with_form_body_sets_active(app, api):
    source_id = _source(app, name="Form put")
    response = api("put", f"/api/lead_sources/{source_id}", data={"active": "false"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(LeadSource, source_id).active is False


def test_update_same_name_other_case_of_itself_is_allowed(app, api):
    source_id = _source(app, name="Self rename")
    response = api("put", f"/api/lead_sources/{source_id}", json={"name": "SELF RENAME"})
    assert response.status_code == 200


def test_update_to_existing_name_returns_409(app, api):
    source_id = _source(app, name="Unique one")
    response = api("put", f"/api/lead_sources/{source_id}", json={"name": " referral "})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(LeadSource, source_id).name == "Unique one"


def test_update_with_empty_name_returns_422(app, api):
    source_id = _source(app)
    response = api("put", f"/api/lead_sources/{source_id}", json={"name": ""})
    assert response.status_code == 422 and "name" in response.get_json()["errors"]


def test_update_unknown_id_returns_404(api):
    assert api("put", "/api/lead_sources/987654", json={"name": "x"}).status_code == 404


# --- DELETE /api/delete/lead_sources/<id> -----------------------------------------------------

def test_delete_unused_source_returns_200(app, api):
    source_id = _source(app)
    response = api("delete", f"/api/delete/lead_sources/{source_id}")
    assert response.status_code == 200 and response.get_json()["status"] is True
    with app.app_context():
        assert db.session.get(LeadSource, source_id) is None


def test_delete_source_in_use_returns_409_with_lead_count(app, api):
    source_id = _with_leads(app, "Busy", 2)
    response = api("delete", f"/api/delete/lead_sources/{source_id}")
    assert response.status_code == 409
    assert "used by 2 leads" in response.get_json()["message"]
    with app.app_context():
        assert db.session.get(LeadSource, source_id) is not None


def test_delete_unknown_id_returns_404(api):
    assert api("delete", "/api/delete/lead_sources/abc").status_code == 404


# --- Methods, auth and permissions ------------------------------------------------------------

@pytest.mark.parametrize("method, url", [
    ("delete", "/api/lead_sources/1"), ("patch", "/api/lead_sources"), ("put", "/api/lead_sources"),
    ("post", "/api/delete/lead_sources/1"),
])
def test_wrong_method_returns_405_json(api, method, url):
    response = api(method, url)
    assert response.status_code == 405
    assert response.is_json and response.get_json()["status"] is False
    assert response.headers.get("Allow")


def test_unknown_api_path_returns_404_json(api):
    response = api("get", "/api/nothing-here")
    assert response.status_code == 404 and response.is_json


def test_request_without_token_returns_401(client):
    response = client.get("/api/lead_sources")
    assert response.status_code == 401
    assert response.get_json() == {"status": False,
                                   "message": "Send your API token in the authtoken header."}


def test_request_with_wrong_token_returns_401(api):
    response = api("get", "/api/lead_sources", token="la_not-a-real-token")
    assert response.status_code == 401 and response.get_json()["status"] is False


def test_request_with_revoked_token_returns_401(app, api, make_token):
    token = make_token("admin")
    with app.app_context():
        from leadapp.auth.services import hash_token
        from leadapp.auth.tokens import revoke_token
        revoke_token(db.session.scalar(select(ApiToken).where(
            ApiToken.token_hash == hash_token(token))))
    assert api("get", "/api/lead_sources", token=token).status_code == 401


def test_request_with_expired_token_returns_401(api, make_token):
    token = make_token("admin", expires_on=date.today() - timedelta(days=1))
    assert api("get", "/api/lead_sources", token=token).status_code == 401


def test_request_with_token_in_query_string_is_accepted(client, make_token):
    token = make_token("sales")
    assert client.get(f"/api/lead_sources?authtoken={token}").status_code == 200


def test_request_records_token_last_use(app, api, make_token):
    token = make_token("admin")
    api("get", "/api/lead_sources", token=token)
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None


@pytest.mark.parametrize("role", ["admin", "manager", "marketeer", "sales"])
def test_list_and_get_allowed_for_every_role(app, api, role):
    source_id = _source(app)
    assert api("get", "/api/lead_sources", role=role).status_code == 200
    assert api("get", f"/api/lead_sources/{source_id}", role=role).status_code == 200


def test_sales_token_gets_403_on_writes(app, api):
    source_id = _source(app, name="Protected")
    assert api("post", "/api/lead_sources", role="sales", json={"name": "X"}).status_code == 403
    assert api("put", f"/api/lead_sources/{source_id}", role="sales",
               json={"name": "Y"}).status_code == 403
    response = api("delete", f"/api/delete/lead_sources/{source_id}", role="sales")
    assert response.status_code == 403 and response.get_json()["status"] is False
    with app.app_context():
        assert db.session.get(LeadSource, source_id).name == "Protected"


@pytest.mark.parametrize("role", ["marketeer", "manager"])
def test_marketeer_and_manager_tokens_can_manage(app, api, role):
    created = api("post", "/api/lead_sources", role=role, json={"name": f"By {role}"})
    assert created.status_code == 201
    source_id = created.get_json()["id"]
    assert api("put", f"/api/lead_sources/{source_id}", role=role,
               json={"description": "d"}).status_code == 200
    assert api("delete", f"/api/delete/lead_sources/{source_id}", role=role).status_code == 200


def test_token_of_deactivated_user_returns_401(app, api, make_token):
    token = make_token("admin")
    with app.app_context():
        from leadapp.auth.services import hash_token
        user = db.session.scalar(select(ApiToken).where(
            ApiToken.token_hash == hash_token(token))).user
        user.active = False
        db.session.commit()
    assert api("get", "/api/lead_sources", token=token).status_code == 401


def test_api_never_reads_the_session_cookie(client, login):
    login("admin")
    assert client.get("/api/lead_sources").status_code == 401


# --- Idempotency ------------------------------------------------------------------------------

def test_post_with_same_idempotency_key_replays_first_response(app, api, make_token):
    token = make_token("marketeer")
    headers = {"Idempotency-Key": "abc-123"}
    first = api("post", "/api/lead_sources", token=token, headers=headers, json={"name": "Once"})
    second = api("post", "/api/lead_sources", token=token, headers=headers, json={"name": "Once"})
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count_named(app, "Once") == 1


def test_post_with_same_key_and_other_token_runs_again(app, api, make_token):
    headers = {"Idempotency-Key": "shared-key"}
    first = api("post", "/api/lead_sources", token=make_token(), headers=headers,
                json={"name": "Token A"})
    second = api("post", "/api/lead_sources", token=make_token(), headers=headers,
                 json={"name": "Token B"})
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] != second.get_json()["id"]


def test_post_with_reused_key_and_other_body_returns_422(api, make_token):
    token = make_token()
    headers = {"Idempotency-Key": "reused"}
    api("post", "/api/lead_sources", token=token, headers=headers, json={"name": "First"})
    response = api("post", "/api/lead_sources", token=token, headers=headers,
                   json={"name": "Second"})
    assert response.status_code == 422
    assert response.get_json()["error"] == "idempotency_key_reused"


def test_post_idempotency_replays_an_error_response_too(app, api, make_token):
    token = make_token()
    headers = {"Idempotency-Key": "dup"}
    first = api("post", "/api/lead_sources", token=token, headers=headers, json={"name": "Chat"})
    again = api("post", "/api/lead_sources", token=token, headers=headers, json={"name": "Chat"})
    assert first.status_code == again.status_code == 409
    assert again.headers["Idempotent-Replayed"] == "true"


def test_post_idempotency_key_older_than_24_hours_is_forgotten(app, api, make_token):
    from leadapp.api.models import IdempotencyKey
    from leadapp.db_types import utcnow

    token = make_token()
    headers = {"Idempotency-Key": "old"}
    first = api("post", "/api/lead_sources", token=token, headers=headers, json={"name": "Aged"})
    with app.app_context():
        row = db.session.scalar(select(IdempotencyKey))
        row.created_at = utcnow() - timedelta(hours=25)
        db.session.commit()
    api("delete", f"/api/delete/lead_sources/{first.get_json()['id']}", token=token)
    again = api("post", "/api/lead_sources", token=token, headers=headers, json={"name": "Aged"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers


def test_post_with_multipart_retry_and_new_boundary_still_replays(app, api, make_token):
    token = make_token()
    headers = {"Idempotency-Key": "multi"}
    for _ in range(2):
        response = api("post", "/api/lead_sources", token=token, headers=headers,
                       data={"name": "Multi"}, content_type="multipart/form-data")
        assert response.status_code == 201
    assert _count_named(app, "Multi") == 1


# --- Rate limit -------------------------------------------------------------------------------

def test_requests_carry_rate_limit_headers(api):
    response = api("get", "/api/lead_sources")
    assert int(response.headers["X-RateLimit-Limit"]) > 0
    assert int(response.headers["X-RateLimit-Remaining"]) >= 0
    assert int(response.headers["X-RateLimit-Reset"]) > 0


def test_token_over_its_limit_gets_429_json_with_headers(app, api, make_token):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    token, other = make_token(), make_token()
    statuses = [api("get", "/api/lead_sources", token=token).status_code for _ in range(3)]
    response = api("get", "/api/lead_sources", token=token)
    assert statuses == [200, 200, 200] and response.status_code == 429
    body = response.get_json()
    assert body["status"] is False and body["message"]
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["Retry-After"] and response.headers["X-RateLimit-Reset"]
    assert api("get", "/api/lead_sources", token=other).status_code == 200  # per token


def test_response_bodies_are_utf8_json(app, api):
    created = api("post", "/api/lead_sources", json={"name": "Müller Messe"})
    body = api("get", f"/api/lead_sources/{created.get_json()['id']}")
    assert body.mimetype == "application/json"
    assert json.loads(body.get_data(as_text=True))["name"] == "Müller Messe"


# --- Hostile input never causes a 500 -----------------------------------------------------------

def test_create_with_nul_character_is_422_naming_the_fields(app, api):
    # Refused by the app-wide input guard (leadapp/input_guard.py) like every other API body:
    # silently dropping a character would store something the client never sent.
    response = api("post", "/api/lead_sources", json={"name": "Nul\x00 source",
                                                       "description": "a\x00b"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"name", "description"}
    with app.app_context():
        assert db.session.query(LeadSource).filter(LeadSource.name.like("Nul%")).count() == 0


def test_list_and_search_with_nul_character_are_422_not_500(api):
    listed = api("get", "/api/lead_sources?search=a%00b")
    assert listed.status_code == 422 and "query.search" in listed.get_json()["errors"]
    assert api("get", "/api/lead_sources/search/a%00b").status_code == 422


def test_idempotency_key_with_control_characters_returns_422(api):
    response = api("post", "/api/lead_sources", headers={"Idempotency-Key": "a\tb"},
                   json={"name": "Ctl"})
    assert response.status_code == 422 and response.get_json()["status"] is False


def test_idempotency_key_too_long_returns_422(api):
    response = api("post", "/api/lead_sources", headers={"Idempotency-Key": "k" * 256},
                   json={"name": "Long key"})
    assert response.status_code == 422
