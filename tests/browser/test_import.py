"""Import in a real browser: upload -> map -> preview -> run (progress bar) -> result."""

from __future__ import annotations

import csv

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


def test_import_upload_map_preview_run_progress_result(page, live_server, sign_in, tmp_path):
    sign_in(page, "marketeer")
    page.goto(f"{live_server.url}/admin/leads/import")
    screenshot(page, "import-1-upload")
    source = tmp_path / "expo-leads.csv"
    write_file(source)
    page.get_by_label("Spreadsheet (.csv or .xlsx)").set_input_files(str(source))
    page.get_by_role("button", name="Upload and map columns").click()

    page.get_by_role("heading", name="2. Map columns to lead fields").wait_for()
    assert page.get_by_label("E-mail").input_value() == "email"
    assert page.get_by_label("Lead title").input_value() == "title"
    assert page.get_by_label("Remarks").input_value() == "description"
    page.get_by_label("Company").select_option("company_name")
    page.get_by_role("combobox", name="Phone").focus()
    screenshot(page, "import-2-mapping")
    page.get_by_role("button", name="Check every row (dry run)").click()

    page.get_by_role("heading", name="4. Preview: nothing has been stored yet").wait_for(
        timeout=60_000)
    assert page.locator(".import-stat-create .stat-value").inner_text() == f"{ROWS - 12:,}"
    assert page.locator(".import-stat-error .stat-value").inner_text() == "12"
    assert page.get_by_label("“Expo Berlin” (5,988 rows)").input_value() == "new"
    screenshot(page, "import-3-preview")
    page.get_by_role("button", name="Import: create").click()

    progress = page.locator("#import-progress, #import-result").first
    progress.wait_for(timeout=30_000)
    if page.locator("#import-progress").count():
        screenshot(page, "import-4-progress")
    page.locator("#import-result").wait_for(timeout=120_000)
    assert page.locator("#import-created").inner_text() == f"{ROWS - 12:,}"
    assert page.locator("#import-failed").inner_text() == "12"
    assert page.get_by_role("link", name="Download the failed rows (CSV)").is_visible()
    screenshot(page, "import-5-result")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo this import").click()
    page.get_by_text("This import was undone").wait_for(timeout=60_000)
    screenshot(page, "import-6-undone")


def test_export_page_downloads_csv(page, live_server, sign_in):
    from tests.factories import LeadFactory

    live_server.run(lambda: [LeadFactory(title=f"Export {n}") for n in range(3)])
    sign_in(page, "manager")
    page.goto(f"{live_server.url}/admin/leads/export")
    screenshot(page, "export-page")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    assert download_info.value.suggested_filename.startswith("leads-all-")
