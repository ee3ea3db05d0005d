"""Public form and admin pages: headers, validation, spam, double submits, keys, permissions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from leadapp.capture.models import CaptureForm, FormView, Submission, SubmissionStatus
from leadapp.extensions import db
from leadapp.leads.models import Lead

from .conftest import MadeForm, form_token

GOOD = {"first_name": "Ann", "email": "ann@corp.example", "message": "Need a quote"}


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_show_public_form_with_origins_lists_them_in_frame_ancestors(
        client: FlaskClient, make_form: Callable[..., MadeForm]) -> None:
    made = make_form(allowed_origins="https://www.corp.example\nhttp://localhost:8001")
    response = client.get(f"/f/{made.public_key}")
    csp = response.headers["Content-Security-Policy"]
    assert response.status_code == 200
    assert "frame-ancestors 'self' https://www.corp.example http://localhost:8001" in csp
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers  # no session: third-party iframes drop cookies
    assert response.headers["Cache-Control"] == "no-store"


def test_show_public_form_without_origins_may_be_framed_anywhere(
        client: FlaskClient, make_form: Callable[..., MadeForm]) -> None:
    response = client.get(f"/f/{make_form().public_key}")
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors *")
    html = response.get_data(as_text=True)
    assert 'for="cf-email"' in html and 'name="homepage"' in html and "<nav" not in html


def test_show_admin_page_refuses_framing(client: FlaskClient, login: Callable[..., int],
                                         make_form: Callable[..., MadeForm]) -> None:
    login("marketeer")
    made = make_form()
    for url in ("/admin/forms", f"/admin/forms/{made.id}"):
        response = client.get(url)
        assert response.status_code == 200
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"


def test_show_public_form_counts_render_per_host_page(
        app: Flask, client: FlaskClient, make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    client.get(f"/f/{made.public_key}", headers={"Referer": "https://corp.example/a?utm_x=1"})
    client.get(f"/f/{made.public_key}?host=https://corp.example/a%3Fq%3D2")
    client.get(f"/f/{made.public_key}?preview=1")
    with app.app_context():
        rows = db.session.execute(select(FormView.host_page, FormView.count)).all()
    assert rows == [("https://corp.example/a", 2)]


def test_submit_valid_creates_lead_and_shows_thanks(
        app: Flask, make_form: Callable[..., MadeForm], post_form: Callable[..., Any]) -> None:
    made = make_form()
    lt = '{"utm_source": "ads", "gclid": "abc", "evil": "x"}'
    response = post_form(made.public_key, GOOD, host="https://corp.example/contact", lt=lt,
                         ft='{"utm_source": "newsletter"}')
    assert response.status_code == 200
    assert "Thanks, Ann!" in response.get_data(as_text=True)
    with app.app_context():
        lead = db.session.scalar(select(Lead))
        row = db.session.scalar(select(Submission))
        assert (lead.ref, lead.ref_id, lead.description) == (f"form:{made.id}", str(row.id),
                                                               "Need a quote")
        assert lead.first_touch == {"utm_source": "newsletter"}
        assert lead.last_touch == {"utm_source": "ads", "gclid": "abc",
                                   "host_page": "https://corp.example/contact"}
        assert row.payload["fields"]["email"] == "ann@corp.example"
        assert row.status == SubmissionStatus.processed


def test_submit_from_plain_iframe_keeps_referrer_and_its_utm_tags(
        app: Flask, client: FlaskClient, make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    page = client.get(f"/f/{made.public_key}?utm_source=partner&utm_medium=iframe",
                      headers={"Referer": "https://corp.example/contact?x=1"})
    token = form_token(page.get_data(as_text=True))
    fields = dict(re.findall(r'name="(host|ft|lt)" value="([^"]*)"', page.get_data(as_text=True)))
    fields = {key: value.replace("&#34;", '"') for key, value in fields.items()}
    client.post(f"/f/{made.public_key}", data={"token": token, **GOOD, **fields})
    with app.app_context():
        lead = db.session.scalar(select(Lead))
        assert lead.first_touch["utm_source"] == "partner"
        assert lead.first_touch["referrer"] == "https://corp.example/contact?x=1"
        assert lead.last_touch["host_page"] == "https://corp.example/contact"


def test_submit_invalid_rerenders_with_values_and_errors(
        app: Flask, make_form: Callable[..., MadeForm], post_form: Callable[..., Any]) -> None:
    made = make_form()
    response = post_form(made.public_key, {"first_name": "Ann", "email": "ann@", "message": "Hi"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="cf-email-error"' in html and "Enter a valid email address" in html
    assert 'value="Ann"' in html and ">Hi</textarea>" in html and 'value="ann@"' in html
    assert _count(app, Submission) == 0


def test_submit_missing_required_names_the_field(
        make_form: Callable[..., MadeForm], post_form: Callable[..., Any]) -> None:
    response = post_form(make_form().public_key, {"email": "ann@corp.example"})
    assert response.status_code == 422
    assert "Please enter your first name." in response.get_data(as_text=True)


def test_submit_twice_with_same_token_is_a_no_op(
        app: Flask, client: FlaskClient, make_form: Callable[..., MadeForm],
        post_form: Callable[..., Any]) -> None:
    made = make_form()
    token = form_token(client.get(f"/f/{made.public_key}").get_data(as_text=True))
    first = post_form(made.public_key, GOOD, token=token)
    second = post_form(made.public_key, GOOD, token=token)
    assert first.status_code == second.status_code == 200
    assert "Thanks, Ann!" in second.get_data(as_text=True)
    assert (_count(app, Submission), _count(app, Lead)) == (1, 1)


def test_submit_honeypot_gets_same_thanks_and_no_lead(
        app: Flask, make_form: Callable[..., MadeForm], post_form: Callable[..., Any]) -> None:
    made = make_form()
    response = post_form(made.public_key, GOOD, homepage="http://spam.example")
    assert response.status_code == 200 and "Thanks, Ann!" in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(select(Submission))
        assert row.status == SubmissionStatus.quarantined
        assert "honeypot field was filled" in row.spam_reasons
    assert _count(app, Lead) == 0


def test_submit_spam_with_invalid_fields_still_gets_thanks(
        app: Flask, make_form: Callable[..., MadeForm], post_form: Callable[..., Any]) -> None:
    made = make_form()
    response = post_form(made.public_key, {"email": "nope"}, token="forged")
    assert response.status_code == 200
    assert _count(app, Submission) == 1 and _count(app, Lead) == 0


def test_submit_too_fast_is_quarantined(app: Flask, make_form: Callable[..., MadeForm],
                                        post_form: Callable[..., Any]) -> None:
    made = make_form(min_fill_seconds=30)
    post_form(made.public_key, GOOD)
    with app.app_context():
        row = db.session.scalar(select(Submission))
        assert row.status == SubmissionStatus.quarantined
        assert any("faster than the 30 s minimum" in reason for reason in row.spam_reasons)


def test_submit_over_soft_limit_is_kept_in_quarantine(
        app: Flask, make_form: Callable[..., MadeForm], post_form: Callable[..., Any]) -> None:
    app.config["CAPTURE_SOFT_LIMIT"] = "2 per minute"
    made = make_form()
    for n in range(3):
        post_form(made.public_key, {**GOOD, "email": f"p{n}@corp.example"})
    with app.app_context():
        statuses = list(db.session.scalars(select(Submission.status).order_by(Submission.id)))
    assert statuses == [SubmissionStatus.processed, SubmissionStatus.processed,
                        SubmissionStatus.quarantined]


def test_submit_over_hard_limit_gets_429_page_that_can_be_framed(
        app: Flask, client: FlaskClient, make_form: Callable[..., MadeForm]) -> None:
    app.config["CAPTURE_RATE_LIMIT"] = "2 per minute"
    made = make_form()
    codes = [client.post(f"/f/{made.public_key}", data={}).status_code for _ in range(3)]
    response = client.post(f"/f/{made.public_key}", data={})
    assert codes[:2] == [200, 200] and codes[2] == 429
    assert "Too many submissions" in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors *")


def test_submit_with_redirect_in_iframe_hands_url_to_host(
        make_form: Callable[..., MadeForm], post_form: Callable[..., Any]) -> None:
    made = make_form(redirect_url="https://corp.example/thanks")
    framed = post_form(made.public_key, GOOD, headers={"Sec-Fetch-Dest": "iframe"})
    html = framed.get_data(as_text=True)
    assert framed.status_code == 200
    assert 'data-redirect-url="https://corp.example/thanks"' in html and 'target="_top"' in html
    assert "form-action 'self' https://corp.example" in framed.headers["Content-Security-Policy"]


def test_submit_with_redirect_top_level_redirects(
        make_form: Callable[..., MadeForm], post_form: Callable[..., Any]) -> None:
    made = make_form(redirect_url="https://corp.example/thanks")
    response = post_form(made.public_key, GOOD, headers={"Sec-Fetch-Dest": "document"})
    assert response.status_code == 303
    assert response.headers["Location"] == "https://corp.example/thanks"


def test_show_inactive_form_says_closed(app: Flask, client: FlaskClient,
                                        make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    with app.app_context():
        db.session.get(CaptureForm, made.id).active = False
        db.session.commit()
    assert client.get(f"/f/{made.public_key}").status_code == 410
    assert client.post(f"/f/{made.public_key}", data=GOOD).status_code == 410
    assert client.get("/f/no-such-form").status_code == 404


def _settings_data(**overrides: str) -> dict[str, str]:
    data = {"name": "Demo request", "source_id": "", "assign": "none", "thank_you_text": "Thanks",
            "spam_threshold": "50", "min_fill_seconds": "3", "allowed_origins": "",
            "field_email-show": "y", "field_email-required": "y", "field_email-text": "Work email",
            "field_email-order": "2", "field_first_name-show": "y",
            "field_first_name-text": "Name", "field_first_name-order": "1"}
    data.update(overrides)
    return data


def _source_id(app: Flask) -> str:
    from leadapp.capture import services

    with app.app_context():
        return str(services.default_settings()["source_id"])


def test_create_form_shows_api_key_once(app: Flask, client: FlaskClient,
                                        login: Callable[..., int]) -> None:
    login("marketeer")
    response = client.post("/admin/forms", data=_settings_data(source_id=_source_id(app)))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    key = re.search(r'id="new-api-key"[^>]*value="([^"]+)"', page).group(1)
    assert 'data-leadapp-form="' in page and "&lt;iframe src=" in page
    assert "See the leads" in page and "ref=form:" in page
    assert "Any website may embed this form" in page
    assert "new-api-key" not in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        form = db.session.scalar(select(CaptureForm))
        assert [row["name"] for row in form.fields] == ["first_name", "email"]
        assert form.fields[1] == {"name": "email", "label": "Work email", "required": True}
        assert key not in form.api_key_hash and len(form.api_key_hash) == 64


def test_create_form_with_bad_origin_rerenders_422(app: Flask, client: FlaskClient,
                                                   login: Callable[..., int]) -> None:
    login("manager")
    data = _settings_data(source_id=_source_id(app), allowed_origins="corp.example/page")
    response = client.post("/admin/forms", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is not an origin" in html and 'value="Demo request"' in html
    assert _count(app, CaptureForm) == 0


def test_create_form_without_contact_field_is_refused(app: Flask, client: FlaskClient,
                                                      login: Callable[..., int]) -> None:
    login("admin")
    data = _settings_data(source_id=_source_id(app))
    del data["field_email-show"]
    response = client.post("/admin/forms", data=data)
    assert response.status_code == 422
    assert "Show the email or the phone field" in response.get_data(as_text=True)


def test_create_form_team_mode_without_team_names_the_field(
        app: Flask, client: FlaskClient, login: Callable[..., int]) -> None:
    login("admin")
    response = client.post("/admin/forms", data=_settings_data(source_id=_source_id(app),
                                                                assign="team"))
    assert response.status_code == 422
    assert "Choose the team whose members take turns." in response.get_data(as_text=True)


def test_forms_pages_refuse_sales_users(client: FlaskClient, login: Callable[..., int],
                                        make_form: Callable[..., MadeForm]) -> None:
    login("sales")
    made = make_form()
    assert client.get("/admin/forms").status_code == 403
    assert client.get(f"/admin/forms/{made.id}").status_code == 403


def test_release_quarantined_with_htmx_creates_lead_and_updates_tabs(
        app: Flask, client: FlaskClient, login: Callable[..., int],
        make_form: Callable[..., MadeForm], post_form: Callable[..., Any]) -> None:
    made = make_form()
    post_form(made.public_key, GOOD, homepage="x")
    login("marketeer")
    with app.app_context():
        row_id = db.session.scalar(select(Submission.id))
    response = client.post(f"/admin/forms/{made.id}/submissions/{row_id}/release",
                           data={"show": "quarantined"}, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="submission-{row_id}"' in html and 'hx-swap-oob="true"' in html
    assert "created from submission" in response.headers["HX-Trigger"]
    with app.app_context():
        assert db.session.get(Submission, row_id).status == SubmissionStatus.processed
    again = client.post(f"/admin/forms/{made.id}/submissions/{row_id}/release",
                        headers={"HX-Request": "true"})
    assert again.status_code == 409 and _count(app, Lead) == 1


def test_detail_htmx_tab_returns_only_the_list(client: FlaskClient, login: Callable[..., int],
                                               make_form: Callable[..., MadeForm],
                                               post_form: Callable[..., Any]) -> None:
    made = make_form()
    post_form(made.public_key, GOOD, homepage="x")
    post_form(made.public_key, GOOD)
    login("admin")
    response = client.get(f"/admin/forms/{made.id}?show=quarantined",
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.count('<tr id="submission-') == 1 and "honeypot field was filled" in html


def test_regenerate_key_replaces_the_old_one(app: Flask, client: FlaskClient,
                                             login: Callable[..., int],
                                             make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    login("admin")
    response = client.post(f"/admin/forms/{made.id}/api-key")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    new_key = re.search(r'id="new-api-key"[^>]*value="([^"]+)"', page).group(1)
    body = {"email": "a@corp.example", "first_name": "A"}
    old = client.post(f"/api/leads/create-from-site/?apikey={made.api_key}", json=body)
    new = client.post(f"/api/leads/create-from-site/?apikey={new_key}", json=body)
    assert (old.status_code, new.status_code) == (401, 201)


def test_deactivate_form_closes_public_page(client: FlaskClient, login: Callable[..., int],
                                            make_form: Callable[..., MadeForm]) -> None:
    made = make_form()
    login("admin")
    assert client.post(f"/admin/forms/{made.id}/active", data={"active": "0"}).status_code == 303
    assert client.get(f"/f/{made.public_key}").status_code == 410


def test_edit_form_keeps_settings_and_saves(app: Flask, client: FlaskClient,
                                            login: Callable[..., int],
                                            make_form: Callable[..., MadeForm]) -> None:
    made = make_form(allowed_origins="https://corp.example")
    login("admin")
    page = client.get(f"/admin/forms/{made.id}/edit").get_data(as_text=True)
    assert "https://corp.example</textarea>" in page and 'value="Contact us"' in page
    data = _settings_data(source_id=_source_id(app), name="Renamed", redirect_url="ftp://x")
    bad = client.post(f"/admin/forms/{made.id}", data=data)
    assert bad.status_code == 422 and "Enter a full address" in bad.get_data(as_text=True)
    data["redirect_url"] = "https://corp.example/thanks"
    assert client.post(f"/admin/forms/{made.id}", data=data).status_code == 303
    with app.app_context():
        form = db.session.get(CaptureForm, made.id)
        assert (form.name, form.redirect_url) == ("Renamed", "https://corp.example/thanks")


def test_submit_rate_limit_is_shared_through_redis_between_app_servers(
        app: Flask, tmp_path: Any) -> None:
    """Two app servers with RATELIMIT_STORAGE_URI=redis://... share one per-address budget."""
    import uuid

    import pytest
    import redis

    from leadapp.capture import services
    from leadapp.reference import ensure_reference_data
    from tests.conftest import SQLITE, TEST_DB, make_app

    from .conftest import settings

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}" if SQLITE else TEST_DB
    prefix = f"h7-{uuid.uuid4().hex[:8]}"
    servers = [make_app(RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix,
                        SQLALCHEMY_DATABASE_URI=database, CAPTURE_RATE_LIMIT="3 per minute")
               for _ in range(2)]
    with servers[0].app_context():
        if SQLITE:
            db.create_all()
        ensure_reference_data()
        public_key = services.create_form(settings())[0].public_key
    try:
        codes = [servers[n % 2].test_client().post(f"/f/{public_key}", data={}).status_code
                 for n in range(4)]
    finally:
        for server in servers:
            with server.app_context():
                db.session.remove()
                db.engine.dispose()
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()
    assert codes == [200, 200, 200, 429]
