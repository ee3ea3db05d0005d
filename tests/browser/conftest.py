"""Playwright fixtures: the app on a free 127.0.0.1 port with a temporary SQLite file, and
Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from leadapp import create_app
from leadapp.extensions import db
from leadapp.reference import ensure_reference_data

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "screenshots"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    app: Flask
    url: str

    def run(self, fn: Callable[[], Any]) -> Any:
        """Run fn inside an app context (setup/assertions), never during a request."""
        with self.app.app_context():
            return fn()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    app = create_app({
        "TESTING": True, "SECRET_KEY": "browser-tests-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite3'}",
        "UPLOAD_DIR": str(folder / "uploads"),
        # Limits stay on (the limiter is one object shared by every app in the run, and disabling
        # it for one app breaks the next app's reset) but are too high for a test to reach.
        **dict.fromkeys(("LOGIN_RATE_LIMIT", "API_RATE_LIMIT", "CAPTURE_RATE_LIMIT",
                         "CAPTURE_SOFT_LIMIT", "CAPTURE_API_RATE_LIMIT"), "100000 per minute"),
    })
    with app.app_context():
        db.create_all()
        ensure_reference_data()
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{port}")
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is not installed; CI must run the browser tests.")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Runs in every frame before the page's own scripts: each Content-Security-Policy violation
# (an inline script or style, eval, a blocked URL) goes to Python and to window.__cspViolations.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const report = {directive: event.effectiveDirective || event.violatedDirective,
                  blocked: event.blockedURI, disposition: event.disposition,
                  where: `${event.sourceFile || document.location.href}:${event.lineNumber}`,
                  sample: event.sample || ""};
  (window.__cspViolations = window.__cspViolations || []).push(report);
  if (typeof window.__reportCspViolation === "function") window.__reportCspViolation(report);
}, true);
"""


def watch_csp(context: Any) -> list[dict[str, Any]]:
    """Record every CSP violation in the context's pages; returns the (growing) list."""
    violations: list[dict[str, Any]] = []
    context.expose_binding("__reportCspViolation",
                           lambda _source, report: violations.append(report))
    context.add_init_script(CSP_LISTENER)
    return violations


def csp_problems(context: Any, violations: list[dict[str, Any]]) -> list[str]:
    """The violations seen so far, as lines (after letting pending reports arrive)."""
    for open_page in context.pages:
        try:
            open_page.evaluate("0")  # a round trip: reports sent before it are delivered
        except Exception:  # noqa: BLE001, S112 - a page that is closing reports nothing more
            continue
    return [f"{item['directive']} blocked {item['blocked'] or 'inline'} at {item['where']} "
            f"({item['disposition']}) {item['sample'][:80]}".rstrip() for item in violations]


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A browser context whose pages fail the test at teardown on any CSP violation, so a
    template or script that the app's policy refuses is caught where it runs."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    violations = watch_csp(context)
    yield context
    problems = csp_problems(context, violations)
    context.close()
    if problems:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(problems))


@pytest.fixture
def page(context: Any) -> Any:
    """A page of `context`: its CSP violations fail the test (see `context`)."""
    return context.new_page()


@pytest.fixture
def make_live_user(live_server: LiveServer) -> Callable[..., str]:
    """Create a user in the live app; returns its email (password: correct-horse-battery)."""
    from tests.factories import UserFactory

    def make(role: str = "admin", **fields: Any) -> str:
        return live_server.run(lambda: UserFactory(role=role, **fields).email)

    return make


@pytest.fixture
def sign_in(live_server: LiveServer, make_live_user: Callable[..., str]) -> Callable[..., str]:
    """Sign a new user in on `page` through the login form; returns the email."""

    def do(page: Any, role: str = "admin", **fields: Any) -> str:
        email = make_live_user(role, **fields)
        page.goto(f"{live_server.url}/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/admin**")
        return email

    return do


def wait_until(page: Any, expression: str, timeout_ms: float = 10_000) -> None:
    """Poll a JavaScript expression (or arrow function) until it is truthy.

    Playwright's wait_for_function compiles a string predicate with eval inside the page, which
    the app's CSP (no 'unsafe-eval') refuses whenever the first check is not already true; that
    made tests flaky. page.evaluate runs through the DevTools protocol, outside the page's CSP."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            # Truthiness in the page: objects and functions do not come back over the wire.
            if page.evaluate(f"() => {{ const v = ({expression}); "
                             "return !!(typeof v === 'function' ? v() : v); }"):
                return
            problem = "still false"
        except Exception as error:  # noqa: BLE001 - an element not there yet; tried again
            problem = str(error).splitlines()[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms:.0f} ms waiting for "
                                 f"{expression} ({problem})")
        page.wait_for_timeout(50)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG under screenshots/ (git-ignored) for a human look."""
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
