"""Security headers: on every response, framing denied for the app's pages, HSTS only on https."""

from __future__ import annotations

import pytest


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def _assert_basics(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("path", ["/login", "/admin", "/static/css/app.css", "/no-such-page",
                                  "/api/xyz"])
def test_get_any_url_anonymous_has_basic_headers(client, path):
    response = client.get(path)
    response.close()  # static files are streamed from an open file
    _assert_basics(response)


@pytest.mark.parametrize("path", ["/admin", "/admin/no-such-page"])
def test_get_admin_page_signed_in_denies_framing(client, login, path):
    login("admin")
    response = client.get(path)
    _assert_basics(response)
    assert _csp(response)["frame-ancestors"] == "frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_get_login_denies_framing(client):
    response = client.get("/login")
    assert _csp(response)["frame-ancestors"] == "frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_post_login_failure_keeps_headers(client):
    response = client.post("/login", data={"email": "nobody@example.com", "password": "wrong"})
    assert response.status_code == 422
    _assert_basics(response)
    assert response.headers["X-Frame-Options"] == "DENY"


def test_csp_allows_no_inline_code_or_foreign_origins(client):
    csp = _csp(client.get("/login"))
    assert csp["default-src"] == "default-src 'self'"
    assert csp["script-src"] == "script-src 'self'"
    assert csp["style-src"] == "style-src 'self'"
    assert csp["object-src"] == "object-src 'none'"
    assert "unsafe" not in "".join(csp.values())


def test_htmx_response_carries_headers_too(hx, login):
    login("admin", client_=hx)
    response = hx.get("/admin")
    _assert_basics(response)
    assert response.headers["X-Frame-Options"] == "DENY"


def test_get_over_http_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_get_over_https_sends_hsts(app):
    client = app.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
    _assert_basics(response)


def test_permissions_policy_turns_off_device_apis(client):
    policy = client.get("/login").headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy
