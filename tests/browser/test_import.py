"""Import in a real browser: upload -> map -> preview -> run (progress bar) -> result."""

from __future__ import annotations

import csv
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

ROWS = 12_000


def write_file(path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Lead title", "First Name", "Surname", "E-mail", "Phone", "Company",
                         "Lead source", "Remarks"])
        for n in range(ROWS):
            email = "not-an-email" if n % 1000 == 7 else f"browser{n}@example.com"
            writer.writerow([f"Browser lead {n}", "Ann", f"Lee{n}", email,
                             f"+1 202 555 {n % 10000:04d}", f"Company {n % 50}",
                             "Expo Berlin" if n % 2 else "Trade show", f"Met at booth {n}"])


@pytest.fixture
def slow_worker(monkeypatch):
    """Each batch of the dry run and of the run takes a little longer, so both progress bars
    are on screen for a few polls (the live server runs in this process)."""
    from leadapp.imports import classify, services

    real = services.batches

    def slow_batches(rows, size=classify.BATCH):
        for batch in real(rows, size):
            time.sleep(0.4)
            yield batch

    monkeypatch.setattr(services, "batches", slow_batches)


def test_import_upload_map_preview_run_progress_result(page, live_server, sign_in, tmp_path,
                                                        slow_worker):
    sign_in(page, "marketeer")
    page.goto(f"{live_server.url}/admin/leads/import")
    screenshot(page, "import-1-upload")
    source = tmp_path / "expo-leads.csv"
    write_file(source)
    page.get_by_label("Spreadsheet (.csv or .xlsx)").set_input_files(str(source))
    page.get_by_role("button", name="Upload and map columns").click()

    page.get_by_role("heading", name="Map columns to lead fields").wait_for()
    assert page.get_by_label("E-mail").input_value() == "email"
    assert page.get_by_label("Lead title").input_value() == "title"
    assert page.get_by_label("Remarks").input_value() == "description"
    page.get_by_label("Company").select_option("company_name")
    page.get_by_role("combobox", name="Phone").focus()
    screenshot(page, "import-2-mapping")
    page.get_by_role("button", name="Check every row (dry run)").click()

    # The dry run runs in the worker: the page polls its progress, then shows the preview.
    checking = page.locator("#import-checking")
    checking.wait_for(timeout=30_000)
    expect(checking.locator(".import-progress-text")).to_have_text(
        re.compile(rf"Checking rows… [\d,]+ / {ROWS:,}"))
    assert checking.locator("progress.import-bar").is_visible()
    screenshot(page, "import-3-checking")
    page.get_by_role("heading", name="Preview: nothing has been stored yet").wait_for(
        timeout=60_000)
    assert page.locator(".import-stat-create .stat-value").inner_text() == f"{ROWS - 12:,}"
    assert page.locator(".import-stat-error .stat-value").inner_text() == "12"
    assert page.get_by_label("“Expo Berlin” (5,988 rows)").input_value() == "new"
    screenshot(page, "import-4-preview")
    page.get_by_role("button", name="Import: create").click()

    progress = page.locator("#import-progress")
    progress.wait_for(timeout=30_000)
    expect(progress.locator(".import-progress-text")).to_contain_text(
        re.compile(rf"[\d,]+ of {ROWS:,} rows"))
    assert progress.locator("progress.import-bar").is_visible()
    screenshot(page, "import-5-progress")
    page.locator("#import-result").wait_for(timeout=120_000)
    assert page.locator("#import-created").inner_text() == f"{ROWS - 12:,}"
    assert page.locator("#import-failed").inner_text() == "12"
    assert page.get_by_role("link", name="Download the failed rows (CSV)").is_visible()
    screenshot(page, "import-6-result")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo this import").click()
    undone = page.locator("#import-undone")
    undone.wait_for(timeout=60_000)
    expect(undone).to_contain_text(f"{ROWS - 12:,} new leads went to the trash")
    screenshot(page, "import-7-undone")


def test_export_page_downloads_csv(page, live_server, sign_in):
    from tests.factories import LeadFactory

    live_server.run(lambda: [LeadFactory(title=f"Export {n}") for n in range(3)])
    sign_in(page, "manager")
    page.goto(f"{live_server.url}/admin/leads/export")
    screenshot(page, "export-page")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    assert download_info.value.suggested_filename.startswith("leads-all-")
