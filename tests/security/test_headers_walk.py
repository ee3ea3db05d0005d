"""Security headers on every response: every GET route as admin and signed out, as a page and as
an htmx partial, over http and https, plus error responses; no inline code in what is served.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from leadapp.auth.models import Role
from leadapp.security import CONTENT_SECURITY_POLICY
from tests.security.conftest import sign_in
from tests.security.dataset import Dataset
from tests.security.routes import all_routes, build_url

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FRAMEABLE = {"capture_public.show", "capture_public.submit"}


class InlineCode(HTMLParser):
    """Collects inline scripts, style attributes/elements and on* handlers in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower() for name, _ in attrs}
        if tag == "script" and "src" not in names:
            # JSON data blocks are not executed; anything else must be a file.
            kind = dict(attrs).get("type") or ""
            if kind != "application/json":
                self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        if "style" in names:
            self.found.append(f"style= on <{tag}>")
        for name, value in attrs:
            if name.lower().startswith(("on", "hx-on")):
                self.found.append(f"{name}= on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL in {name}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def header_problems(response, endpoint: str, https: bool) -> list[str]:
    headers, problems = response.headers, []
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if headers.get("Referrer-Policy") != "strict-origin-when-cross-origin":
        problems.append("no Referrer-Policy")
    csp = headers.get("Content-Security-Policy", "")
    if "script-src 'self'" not in csp or "unsafe" in csp or "object-src 'none'" not in csp:
        problems.append(f"weak CSP {csp!r}")
    if endpoint in FRAMEABLE:
        if "X-Frame-Options" in headers or "frame-ancestors 'none'" in csp:
            problems.append("capture form cannot be framed")
    elif headers.get("X-Frame-Options") != "DENY" or "frame-ancestors 'none'" not in csp:
        problems.append("page may be framed")
    if https != ("max-age=31536000" in headers.get("Strict-Transport-Security", "")):
        problems.append("HSTS wrong for the scheme")
    if response.mimetype == "text/html" and response.status_code != 304:
        problems.extend(inline_code(response.get_data(as_text=True)))
    return problems


def _walk(app: Flask, client: FlaskClient, dataset: Dataset, *, htmx: bool, https: bool,
          token: str | None) -> tuple[int, list[str]]:
    base = "https://localhost" if https else "http://localhost"
    headers = {"HX-Request": "true"} if htmx else {}
    problems, count = [], 0
    for route in all_routes(app):
        if route.method != "GET":
            continue
        extra = {"authtoken": token} if token and route.kind == "api" else {}
        response = client.get(build_url(app, route, dataset.ids), base_url=base,
                              headers={**headers, **extra})
        count += 1
        found = header_problems(response, route.endpoint, https)
        response.close()
        if found:
            problems.append(f"{route.label} ({response.status_code}): {found}")
    return count, problems


@pytest.mark.parametrize("role", [Role.admin, None], ids=["admin", "anonymous"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_get_route_sends_security_headers(app: Flask, dataset: Dataset,
                                                client_as: Callable, role: Role | None,
                                                htmx: bool) -> None:
    client = client_as(role)
    count, problems = _walk(app, client, dataset, htmx=htmx, https=False,
                            token=dataset.tokens[Role.admin] if role else None)
    assert count >= 100
    assert problems == [], "\n".join(problems)


def test_every_get_route_over_https_sends_hsts(app: Flask, dataset: Dataset) -> None:
    client = app.test_client()
    response = client.post("/login", base_url="https://localhost",
                           data={"email": "admin@demo.leadapp.example",
                                 "password": "demo-password"})
    assert response.status_code == 303
    count, problems = _walk(app, client, dataset, htmx=False, https=True,
                            token=dataset.tokens[Role.admin])
    assert count >= 100
    assert problems == [], "\n".join(problems)


def test_capture_form_allows_only_its_origins_to_frame_it(client: FlaskClient,
                                                          dataset: Dataset) -> None:
    response = client.get(f"/f/{dataset.ids['public_key']}")
    csp = response.headers["Content-Security-Policy"]
    assert response.status_code == 200
    assert "frame-ancestors 'self' https://shop.example.com" in csp
    assert "X-Frame-Options" not in response.headers
    assert inline_code(response.get_data(as_text=True)) == []


def test_capture_submit_answer_may_be_framed_by_its_origins(client: FlaskClient,
                                                            dataset: Dataset) -> None:
    response = client.post(f"/f/{dataset.ids['public_key']}", data={"email": "not-an-email"})
    assert response.status_code in (200, 303, 400, 422)
    assert "frame-ancestors 'self' https://shop.example.com" in \
        response.headers["Content-Security-Policy"]
    assert header_problems(response, "capture_public.submit", https=False) == []


@pytest.mark.parametrize(("method", "path", "status", "signed_in"), [
    ("GET", "/no-such-page", 404, False), ("GET", "/admin/leads/999999", 404, True),
    ("PATCH", "/login", 405, False), ("GET", "/api/leads/999999", 401, False),
    ("DELETE", "/api/leads/1", 401, False), ("GET", "/admin/users", 403, "sales"),
])
def test_error_responses_send_security_headers(app: Flask, dataset: Dataset, method: str,
                                               path: str, status: int, signed_in: bool | str
                                               ) -> None:
    client = app.test_client()
    if signed_in:
        sign_in(client, Role(signed_in) if isinstance(signed_in, str) else Role.admin)
    response = client.open(path, method=method)
    assert response.status_code == status
    assert header_problems(response, "", https=False) == []


def test_server_error_page_sends_security_headers(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/__explode", "explode", explode)
    response = app.test_client().get("/__explode")
    assert response.status_code == 500
    assert header_problems(response, "", https=False) == []


def test_templates_have_no_inline_code() -> None:
    """The source, not only what the walk rendered: branches the walk did not reach count too."""
    offenders = []
    pattern = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|hx-on"
                         r"|javascript:", re.IGNORECASE)
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and 'type="application/json"' not in line:
                offenders.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert offenders == []
    assert len(list(TEMPLATES.rglob("*.html"))) > 50


def test_csp_constant_is_strict() -> None:
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "object-src 'none'" in CONTENT_SECURITY_POLICY


def _cookie(response, name: str) -> str:
    found = [value for value in response.headers.getlist("Set-Cookie")
             if value.startswith(f"{name}=")]
    assert found, f"{name} cookie not set"
    return found[-1]


@pytest.mark.parametrize("secure", [False, True], ids=["http", "secure-configured"])
def test_login_cookies_are_httponly_samesite_and_secure_when_configured(
        app: Flask, dataset: Dataset, secure: bool) -> None:
    app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure)
    client = app.test_client()
    response = client.post("/login", base_url="https://localhost" if secure else None,
                           data={"email": "admin@demo.leadapp.example",
                                 "password": "demo-password", "remember": "y"})
    assert response.status_code == 303
    for name in ("session", "remember_token"):
        cookie = _cookie(response, name)
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure
