"""Capture forms in a real browser: a third-party host page (localhost) embeds the form served
from 127.0.0.1, so the two are different sites and cookies would not flow."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from leadapp.capture import services
from leadapp.capture.models import Submission, SubmissionStatus
from leadapp.extensions import db
from leadapp.leads.models import Lead
from tests.browser.conftest import LiveServer, screenshot, wait_until
from tests.capture.conftest import settings

HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Corp — contact</title></head><body><h1>Talk to Corp</h1>
<script src="{app}/static/embed.js" data-leadapp-form="{key}" async></script>
</body></html>"""


class HostSite:
    """A second web server on localhost that serves one page embedding a form."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                body = site.pages.get(self.path.split("?")[0], "not found").encode()
                self.send_response(200 if self.path.split("?")[0] in site.pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def page(self, path: str, app_url: str, key: str) -> str:
        self.pages[path] = HOST_PAGE.format(app=app_url, key=key)
        return f"{self.origin}{path}"


@pytest.fixture(scope="module")
def host_site() -> Iterator[HostSite]:
    site = HostSite()
    site.thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


def _make_form(live_server: LiveServer, **overrides: Any) -> tuple[int, str]:
    def make() -> tuple[int, str]:
        form = services.create_form(settings(**overrides))[0]
        return form.id, form.public_key

    return live_server.run(make)


def _fill(frame: Any, email: str) -> None:
    frame.get_by_label("First name").fill("Ann")
    frame.get_by_label("Email").fill(email)
    frame.get_by_label("How can we help?").fill("A demo, please.")


def test_embedded_form_on_another_site_creates_lead_without_cookies(
        page: Any, context: Any, live_server: LiveServer, host_site: HostSite,
        sign_in: Callable[..., str]) -> None:
    form_id, key = _make_form(live_server, name="Corp contact", min_fill_seconds=1,
                              allowed_origins=host_site.origin)
    page.goto(host_site.page("/contact", live_server.url, key) + "?utm_source=newsletter")
    frame = page.frame_locator("iframe.leadapp-form-frame")
    frame.get_by_label("First name").wait_for()
    wait_until(page, "document.querySelector('iframe').style.height !== '520px'")
    _fill(frame, "ann@")
    page.wait_for_timeout(1100)  # longer than the form's minimum fill time
    frame.get_by_role("button", name="Send").click()
    frame.get_by_text("Enter a valid email address").wait_for()
    assert frame.get_by_label("First name").input_value() == "Ann"
    frame.get_by_label("Email").fill("ann@corp.example")
    frame.get_by_role("button", name="Send").click()
    frame.get_by_text("Thanks, Ann!").wait_for()
    assert context.cookies() == []  # the form worked with no session and no cookie at all

    def stored() -> tuple[Any, ...]:
        lead = db.session.scalar(select(Lead).where(Lead.ref == f"form:{form_id}"))
        row = db.session.scalar(select(Submission).where(Submission.form_id == form_id))
        return (lead.title, lead.source.name, lead.first_touch.get("utm_source"),
                lead.last_touch.get("host_page"), row.status, row.spam_reasons)

    title, source, utm, host, status, reasons = live_server.run(stored)
    assert (source, utm, status, reasons) == ("Website form", "newsletter",
                                              SubmissionStatus.processed, [])
    assert host == f"{host_site.origin}/contact"
    sign_in(page, "marketeer")
    page.goto(f"{live_server.url}/admin/leads")
    row = page.locator("tr", has_text=title)
    row.wait_for()
    assert "Website form" in row.inner_text()


def test_embedded_form_on_origin_not_allowed_is_refused_by_browser(
        page: Any, live_server: LiveServer, host_site: HostSite) -> None:
    _form_id, key = _make_form(live_server, allowed_origins="https://www.corp.example")
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(host_site.page("/elsewhere", live_server.url, key))
    page.wait_for_selector("iframe.leadapp-form-frame")
    page.wait_for_timeout(1000)
    frame = next(frame for frame in page.frames if frame != page.main_frame)
    assert frame.locator("form.cf-form").count() == 0
    assert any("frame-ancestors" in text for text in messages), messages


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_of_capture_pages(page: Any, live_server: LiveServer, host_site: HostSite,
                                      sign_in: Callable[..., str], width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    fields = [{"name": "first_name", "label": "First name", "required": True},
              {"name": "last_name", "label": "Last name", "required": False},
              {"name": "email", "label": "Email", "required": True},
              {"name": "company", "label": "Company", "required": False},
              {"name": "message", "label": "How can we help?", "required": False},
              {"name": "consent", "label": "", "required": True}]
    form_id, key = _make_form(live_server, name=f"Demo request {width}", fields=fields,
                              consent_text="You may contact me about my request.",
                              allowed_origins=host_site.origin)
    public = f"{live_server.url}/f/{key}"
    page.goto(public)
    screenshot(page, f"capture-public-empty-{width}")
    page.get_by_label("Email").fill("ann@")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Please tick this box").wait_for()
    screenshot(page, f"capture-public-errors-{width}")
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Email").fill("ann@corp.example")
    page.get_by_label("You may contact me").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Thanks, Ann!").wait_for()
    screenshot(page, f"capture-public-thanks-{width}")
    page.goto(public)
    page.locator("#cf-homepage").evaluate("el => { el.value = 'http://spam.example'; }")
    page.get_by_label("First name").fill("Bot")
    page.get_by_label("Email").fill("bot@corp.example")
    page.get_by_label("You may contact me").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Thanks, Ann!").wait_for()
    sign_in(page, "marketeer")
    page.goto(f"{live_server.url}/admin/forms")
    screenshot(page, f"capture-forms-list-{width}")
    page.goto(f"{live_server.url}/admin/forms/{form_id}")
    page.frame_locator("#preview-script iframe").get_by_label("First name").wait_for()
    screenshot(page, f"capture-form-page-{width}")
    page.get_by_role("link", name="Quarantined").click()
    page.get_by_text("honeypot field was filled").wait_for()
    page.get_by_role("button", name="Not spam").click()
    page.get_by_text("Lead created").first.wait_for()
    screenshot(page, f"capture-form-quarantine-{width}")
    page.goto(f"{live_server.url}/admin/forms/{form_id}/edit")
    screenshot(page, f"capture-form-edit-{width}")


def test_create_form_in_browser_lands_on_page_with_key_once(
        page: Any, live_server: LiveServer, sign_in: Callable[..., str]) -> None:
    sign_in(page, "marketeer")
    page.goto(f"{live_server.url}/admin/forms/new")
    page.get_by_label("Name", exact=True).fill("Newsletter sign-up")
    page.get_by_label("Allowed origins").fill("not an origin")
    page.get_by_role("button", name="Create form").click()
    page.get_by_text("is not an origin").wait_for()
    assert page.get_by_label("Name", exact=True).input_value() == "Newsletter sign-up"
    page.get_by_label("Allowed origins").fill("https://www.corp.example")
    page.get_by_role("button", name="Create form").click()
    page.get_by_role("heading", name="API key for create-from-site").wait_for()
    assert page.locator("#new-api-key").input_value().startswith("lfk_")
    assert page.get_by_role("heading", name="Funnel").is_visible()
    page.reload()
    page.get_by_role("heading", name="Embed code").wait_for()
    assert page.locator("#new-api-key").count() == 0
