"""The kanban board in Chromium: drag and drop, the lost dialog, the keyboard menu, conflicts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.models import Lead, Pipeline, Stage
from leadapp.pipeline import services
from tests.browser.conftest import LiveServer, screenshot, wait_until
from tests.factories import LeadFactory, TagFactory, UserFactory

_names = itertools.count(1)


def make_pipeline(live_server: LiveServer, cards: dict[str, int]) -> dict[str, Any]:
    """A fresh pipeline (Lead in, Talking, Won, Lost) with cards; returns ids by name."""

    def build() -> dict[str, Any]:
        pipeline = services.create_pipeline(f"Board test {next(_names)}")
        services.update_stage(pipeline.stages[0], "Lead in", 10, 7)
        services.add_stage(pipeline, "Talking", 50)
        stages = {s.name: s for s in pipeline.stages}
        owner = UserFactory(role="sales", name="Rita Owens")
        tag = TagFactory()
        ids: dict[str, Any] = {"pipeline": pipeline.id,
                               "stages": {name: s.id for name, s in stages.items()}}
        for stage_name, count in cards.items():
            for index in range(count):
                lead = LeadFactory(pipeline=pipeline, stage=stages[stage_name], owner=owner,
                                   title=f"{stage_name} deal {index + 1}",
                                   company_name=f"Company {index + 1} Ltd")
                lead.tags.append(tag)
                services.change_stage(lead, lead.stage, None, position=index)
                ids[lead.title] = lead.id
        return ids

    return live_server.run(build)


def lead_row(live_server: LiveServer, lead_id: int) -> Lead:
    def load() -> Lead:
        lead = db.session.get(Lead, lead_id)
        db.session.expunge(lead)
        return lead

    return live_server.run(load)


def stage_name(live_server: LiveServer, lead_id: int) -> str:
    return live_server.run(lambda: db.session.scalar(
        select(Stage.name).join(Lead, Lead.stage_id == Stage.id).where(Lead.id == lead_id)))


def open_board(page: Any, live_server: LiveServer, ids: dict[str, Any]) -> None:
    page.goto(f"{live_server.url}/admin/leads/board?pipeline={ids['pipeline']}")
    wait_until(page, "() => window.leadappBoard && window.Sortable")


def column(page: Any, ids: dict[str, Any], name: str) -> Any:
    return page.locator(f"#stage-{ids['stages'][name]}-cards")


def test_drag_card_to_other_column_persists_after_reload(page: Any, live_server: LiveServer,
                                                          sign_in: Any) -> None:
    ids = make_pipeline(live_server, {"Lead in": 2, "Talking": 1})
    sign_in(page, "manager")
    open_board(page, live_server, ids)
    screenshot(page, "board-1280")
    card = page.locator(f"#lead-card-{ids['Lead in deal 1']}")
    with page.expect_response(lambda r: r.url.endswith("/board/move")) as info:
        card.drag_to(column(page, ids, "Talking"))
    assert info.value.status == 200
    talking = ids["stages"]["Talking"]
    wait_until(page,
        f"() => document.getElementById('stage-{talking}-count').textContent.trim() === '2'")
    page.reload()
    moved = column(page, ids, "Talking").locator(f"#lead-card-{ids['Lead in deal 1']}")
    assert moved.is_visible()
    assert stage_name(live_server, ids["Lead in deal 1"]) == "Talking"
    assert page.locator(f"#stage-{ids['stages']['Lead in']}-count").inner_text() == "1"


def test_drop_on_lost_opens_dialog_and_saves_reason(page: Any, live_server: LiveServer,
                                                    sign_in: Any) -> None:
    ids = make_pipeline(live_server, {"Lead in": 2})
    sign_in(page, "manager")
    open_board(page, live_server, ids)
    lead_id = ids["Lead in deal 2"]
    page.locator(f"#lead-card-{lead_id}").drag_to(column(page, ids, "Lost"))
    dialog = page.locator("#lost-dialog")
    dialog.wait_for()
    screenshot(page, "board-lost-dialog")
    # Submitting without a reason keeps the dialog open with the message next to the field.
    dialog.get_by_label("Closing comment").fill("Budget went to another project")
    dialog.get_by_role("button", name="Mark as Lost").click()
    page.get_by_text("Choose a loss reason.").wait_for()
    assert dialog.get_by_label("Closing comment").input_value() == "Budget went to another project"
    dialog.get_by_label("Loss reason").select_option(label="No budget")
    with page.expect_response(lambda r: r.url.endswith("/board/move")) as info:
        dialog.get_by_role("button", name="Mark as Lost").click()
    assert info.value.status == 200
    page.locator("#lost-dialog").wait_for(state="detached")
    assert column(page, ids, "Lost").locator(f"#lead-card-{lead_id}").is_visible()
    lead = lead_row(live_server, lead_id)
    assert lead.closing_comment == "Budget went to another project"
    assert lead.closing_date is not None and lead.loss_reason_id is not None


def test_cancel_lost_dialog_puts_card_back(page: Any, live_server: LiveServer,
                                           sign_in: Any) -> None:
    ids = make_pipeline(live_server, {"Lead in": 3})
    sign_in(page, "manager")
    open_board(page, live_server, ids)
    lead_id = ids["Lead in deal 2"]
    page.locator(f"#lead-card-{lead_id}").drag_to(column(page, ids, "Lost"))
    page.locator("#lost-dialog").wait_for()
    page.get_by_role("button", name="Cancel").click()
    page.locator("#lost-dialog").wait_for(state="detached")
    order = column(page, ids, "Lead in").locator(".lead-card").evaluate_all(
        "cards => cards.map(card => card.dataset.leadId)")
    assert order == [str(ids[f"Lead in deal {n}"]) for n in (1, 2, 3)]
    assert stage_name(live_server, lead_id) == "Lead in"


def test_keyboard_move_to_menu_moves_card(page: Any, live_server: LiveServer,
                                          sign_in: Any) -> None:
    ids = make_pipeline(live_server, {"Lead in": 1, "Talking": 1})
    sign_in(page, "manager")
    open_board(page, live_server, ids)
    lead_id = ids["Lead in deal 1"]
    card = page.locator(f"#lead-card-{lead_id}")
    card.locator(".card-title").focus()
    page.keyboard.press("Tab")  # to the card's "Move to…" menu
    assert page.evaluate("document.activeElement.closest('.card-menu') !== null")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # first stage in the menu: Talking
    assert page.evaluate("document.activeElement.textContent.trim()") == "Talking"
    screenshot(page, "board-move-menu")
    with page.expect_response(lambda r: r.url.endswith("/board/move")) as info:
        page.keyboard.press("Enter")
    assert info.value.status == 200
    first = column(page, ids, "Talking").locator(".lead-card").first
    first.wait_for()
    assert first.get_attribute("id") == f"lead-card-{lead_id}"  # moved to the top
    wait_until(page, f"() => document.activeElement.closest('#lead-card-{lead_id}')")
    assert stage_name(live_server, lead_id) == "Talking"


def test_conflicting_move_snaps_back_with_message(page: Any, live_server: LiveServer,
                                                  sign_in: Any) -> None:
    ids = make_pipeline(live_server, {"Lead in": 1})
    sign_in(page, "manager")
    open_board(page, live_server, ids)
    lead_id = ids["Lead in deal 1"]

    def edit_elsewhere() -> None:  # another user moves the card while this board is open
        lead = db.session.get(Lead, lead_id)
        services.change_stage(lead, db.session.get(Stage, ids["stages"]["Won"]), None)

    live_server.run(edit_elsewhere)
    with page.expect_response(lambda r: r.url.endswith("/board/move")) as info:
        page.locator(f"#lead-card-{lead_id}").drag_to(column(page, ids, "Talking"))
    assert info.value.status == 409
    page.get_by_text("changed by someone else").wait_for()
    assert column(page, ids, "Won").locator(f"#lead-card-{lead_id}").is_visible()
    assert column(page, ids, "Talking").locator(".lead-card").count() == 0
    assert stage_name(live_server, lead_id) == "Won"
    # The refreshed columns take drags again, with the card's new version.
    with page.expect_response(lambda r: r.url.endswith("/board/move")) as info:
        page.locator(f"#lead-card-{lead_id}").drag_to(column(page, ids, "Talking"))
    assert info.value.status == 200
    assert stage_name(live_server, lead_id) == "Talking"


def test_board_and_pipelines_screenshots_mobile(page: Any, live_server: LiveServer,
                                                sign_in: Any, context: Any) -> None:
    ids = make_pipeline(live_server, {"Lead in": 3, "Talking": 2, "Won": 1})

    def age_first_lead() -> None:  # idle for 12 days in a stage that flags leads after 7
        lead = db.session.get(Lead, ids["Lead in deal 1"])
        lead.stage_entered_at = lead.last_touched_at = datetime.now(UTC) - timedelta(days=12)
        db.session.commit()

    live_server.run(age_first_lead)
    sign_in(page, "manager")
    page.goto(f"{live_server.url}/admin/pipelines?pipeline={ids['pipeline']}")
    screenshot(page, "pipelines-1280")
    page.goto(f"{live_server.url}/admin/loss-reasons")
    screenshot(page, "loss-reasons-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    open_board(page, live_server, ids)
    stale = page.locator(f"#lead-card-{ids['Lead in deal 1']} .stale-badge")
    assert "No comment, stage move or edit for 12 days" in stale.get_attribute("title")
    screenshot(page, "board-390")
    page.goto(f"{live_server.url}/admin/pipelines?pipeline={ids['pipeline']}")
    screenshot(page, "pipelines-390")
    assert page.get_by_role("heading", name="Stages").is_visible()


def test_pipelines_page_reorders_stages_with_keyboard_buttons(page: Any, live_server: LiveServer,
                                                              sign_in: Any) -> None:
    ids = make_pipeline(live_server, {})
    sign_in(page, "manager")
    page.goto(f"{live_server.url}/admin/pipelines?pipeline={ids['pipeline']}")
    with page.expect_response(lambda r: r.url.endswith("/shift")):
        page.get_by_role("button", name="Move up: Talking").click()
    page.get_by_role("button", name="Move down: Talking").wait_for()

    def names() -> list[str]:
        return [s.name for s in db.session.scalar(
            select(Pipeline).where(Pipeline.id == ids["pipeline"])).stages]

    assert live_server.run(names) == ["Talking", "Lead in", "Won", "Lost"]


def test_pipelines_page_reorders_stages_by_drag(page: Any, live_server: LiveServer,
                                                sign_in: Any) -> None:
    ids = make_pipeline(live_server, {})
    sign_in(page, "manager")
    page.goto(f"{live_server.url}/admin/pipelines?pipeline={ids['pipeline']}")
    wait_until(page, "() => window.leadappPipelines && window.Sortable")
    talking = page.locator(f"#stage-row-{ids['stages']['Talking']} .js-handle")
    with page.expect_response(lambda r: r.url.endswith("/stages/order")) as info:
        talking.drag_to(page.locator(f"#stage-row-{ids['stages']['Lead in']}"),
                        target_position={"x": 20, "y": 5})
    assert info.value.status == 200

    def names() -> list[str]:
        pipeline = db.session.get(Pipeline, ids["pipeline"])
        return [s.name for s in pipeline.stages]

    assert live_server.run(names) == ["Talking", "Lead in", "Won", "Lost"]


def test_board_reached_through_main_nav_still_drags(page: Any, live_server: LiveServer,
                                                    sign_in: Any) -> None:
    """hx-boost swaps only <body>: the board script must come along with the page body."""
    make_pipeline(live_server, {})
    sign_in(page, "manager")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Board", exact=True).click()
    page.wait_for_url("**/admin/leads/board")
    wait_until(page,
        "() => window.leadappBoard && [...document.querySelectorAll('.js-stage')]"
        ".every((list) => Sortable.get(list))")
    assert page.get_by_role("heading", name="Board", level=1).is_visible()
