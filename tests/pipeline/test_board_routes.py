"""The board page, its partials, moves with their OOB markup and headers, and the lost dialog."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from leadapp.extensions import db
from leadapp.models import Lead, LossReason, Pipeline, Stage, StageHistory, Tag
from leadapp.pipeline.services import change_stage
from tests.factories import LeadFactory, TagFactory, UserFactory, loss_reason

BOARD = "/admin/leads/board"
MOVE = "/admin/leads/board/move"


def stage_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Stage.id).join(Pipeline).where(
            Pipeline.is_default.is_(True), Stage.name == name))


def make_lead(app: Flask, stage: str = "New", **fields: object) -> int:
    with app.app_context():
        lead = LeadFactory(stage=db.session.get(Stage, stage_id(app, stage)), **fields)
        change_stage(lead, lead.stage, None, position=10_000)  # append at the bottom
        return lead.id


def lead_state(app: Flask, lead_id: int) -> tuple[str, int]:
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        return lead.stage.name, lead.version


def column_ids(app: Flask, stage: str) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Lead.id).where(Lead.stage_id == stage_id(app, stage))
                                       .order_by(Lead.board_position, Lead.id)))


def move_data(app: Flask, lead_id: int, stage: str, **extra: object) -> dict[str, object]:
    name, version = lead_state(app, lead_id)
    return {"lead_id": lead_id, "stage": stage_id(app, stage), "version": version,
            "from_stage": stage_id(app, name), "position": 0, **extra}


def test_board_full_page_shows_columns_headers_and_cards(app: Flask, client: FlaskClient,
                                                         login: Callable[..., int]) -> None:
    login("manager")
    lead_id = make_lead(app, "Assigned", budget=Decimal("2500"))
    make_lead(app, "Assigned", budget=Decimal("1500"))
    response = client.get(BOARD)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in html and 'id="board"' in html
    assigned = stage_id(app, "Assigned")
    header = re.search(rf'id="stage-{assigned}-header".*?</header>', html, re.S).group(0)
    assert f'id="stage-{assigned}-count" aria-label="2 leads">2<' in header
    assert "Σ 4,000" in header and "≈ 800 at 20%" in header  # Assigned wins 20% of the time
    assert f'id="lead-card-{lead_id}"' in html
    assert f'href="/admin/leads/{lead_id}"' in html
    names = re.findall(r'class="column-title" id="stage-\d+-title">([^<]+)<', html)
    assert names == ["New", "Assigned", "In process", "Recycled", "Converted", "Closed"]


def test_board_htmx_request_returns_only_the_board(app: Flask, hx: FlaskClient,
                                                   login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    response = hx.get(BOARD)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith("{#") is False and "<html" not in html
    assert 'id="board"' in html and "HX-Request" in response.headers["Vary"]


def test_board_filters_by_search_owner_and_tag(app: Flask, client: FlaskClient,
                                               login: Callable[..., int]) -> None:
    me = login("manager")
    with app.app_context():
        tag_id = TagFactory(name="vip").id
    mine = make_lead(app, title="Acme rollout", owner_id=me)
    other = make_lead(app, title="Globex deal")
    with app.app_context():
        lead = db.session.get(Lead, other)
        lead.tags.append(db.session.get(Tag, tag_id))
        db.session.commit()
    html = client.get(BOARD, query_string={"q": "acme"}).get_data(as_text=True)
    assert f'id="lead-card-{mine}"' in html and f'id="lead-card-{other}"' not in html
    html = client.get(BOARD, query_string={"owner": "me"}).get_data(as_text=True)
    assert f'id="lead-card-{mine}"' in html and f'id="lead-card-{other}"' not in html
    html = client.get(BOARD, query_string={"tag": tag_id}).get_data(as_text=True)
    assert f'id="lead-card-{other}"' in html and f'id="lead-card-{mine}"' not in html
    assert 'name="tag" value="' + str(tag_id) + '"' in html  # moves keep the filters


def test_board_sales_user_sees_only_scoped_leads(app: Flask, client: FlaskClient,
                                                 login: Callable[..., int]) -> None:
    me = login("sales")
    with app.app_context():
        someone = UserFactory(role="sales").id
    mine = make_lead(app, owner_id=me)
    theirs = make_lead(app, owner_id=someone)
    html = client.get(BOARD).get_data(as_text=True)
    assert f'id="lead-card-{mine}"' in html and f'id="lead-card-{theirs}"' not in html
    response = client.post(MOVE, data=move_data(app, theirs, "Assigned"))
    assert response.status_code == 404
    assert lead_state(app, theirs)[0] == "New"


def test_board_hides_deleted_and_shows_converted_only_in_won(app: Flask, client: FlaskClient,
                                                            login: Callable[..., int]) -> None:
    login("manager")
    deleted = make_lead(app, deleted_at=datetime.now(UTC))
    converted_open = make_lead(app, converted_at=datetime.now(UTC))
    converted_won = make_lead(app, "Converted", converted_at=datetime.now(UTC))
    html = client.get(BOARD).get_data(as_text=True)
    assert f'id="lead-card-{deleted}"' not in html
    assert f'id="lead-card-{converted_open}"' not in html
    assert f'id="lead-card-{converted_won}"' in html


def test_board_marketeer_sees_board_without_move_controls(app: Flask, client: FlaskClient,
                                                          login: Callable[..., int]) -> None:
    login("marketeer")
    lead_id = make_lead(app)
    html = client.get(BOARD).get_data(as_text=True)
    assert f'id="lead-card-{lead_id}"' in html
    assert 'id="lead-move"' not in html and "Move to…" not in html
    assert client.post(MOVE, data=move_data(app, lead_id, "Assigned")).status_code == 403


def test_board_column_shows_first_fifty_then_loads_more(app: Flask, client: FlaskClient,
                                                        hx: FlaskClient,
                                                        login: Callable[..., int]) -> None:
    login("manager")
    login("manager", client_=hx)
    with app.app_context():
        stage = db.session.get(Stage, stage_id(app, "Recycled"))
        for index in range(55):
            LeadFactory(stage=stage, board_position=float(index))
    html = client.get(BOARD).get_data(as_text=True)
    recycled = stage_id(app, "Recycled")
    column = re.search(rf'<ol class="js-stage column-cards" id="stage-{recycled}-cards".*?</ol>',
                       html, re.S).group(0)
    assert column.count('class="lead-card') == 50
    more = re.search(r'hx-get="([^"]+)"\s+hx-trigger="revealed, click"', column).group(1)
    assert "offset=50" in more
    rest = hx.get(more.replace("&amp;", "&")).get_data(as_text=True)
    assert rest.count('class="lead-card') == 5 and 'hx-trigger="revealed' not in rest


def test_move_to_open_stage_returns_card_and_oob_headers(app: Flask, hx: FlaskClient,
                                                         login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    lead_id = make_lead(app)
    response = hx.post(MOVE, data=move_data(app, lead_id, "In process"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#lead-card-{lead_id}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert json.loads(response.headers["HX-Trigger"]) == {"lead-moved": {"lead": lead_id}}
    assert html.lstrip().startswith(f'<li class="lead-card" id="lead-card-{lead_id}"')
    new, in_process = stage_id(app, "New"), stage_id(app, "In process")
    assert f'id="stage-{new}-header" hx-swap-oob="true"' in html
    assert f'id="stage-{in_process}-header" hx-swap-oob="true"' in html
    assert f'id="stage-{in_process}-count" aria-label="1 leads">1<' in html
    assert f'data-version="{lead_state(app, lead_id)[1]}"' in html
    assert '<div id="board-dialog" hx-swap-oob="true"></div>' in html
    assert lead_state(app, lead_id)[0] == "In process"


def test_move_between_cards_uses_neighbour_ids(app: Flask, hx: FlaskClient,
                                               login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    a, b = make_lead(app, "Assigned"), make_lead(app, "Assigned")
    mover = make_lead(app)
    response = hx.post(MOVE, data=move_data(app, mover, "Assigned", position=1, above_id=b,
                                            below_id=a))
    assert response.status_code == 200
    assert column_ids(app, "Assigned") == [a, mover, b]


def test_move_reorder_within_column_keeps_stage_and_history(app: Flask, hx: FlaskClient,
                                                            login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    a, b = make_lead(app, "Assigned"), make_lead(app, "Assigned")
    response = hx.post(MOVE, data=move_data(app, b, "Assigned", position=0, above_id=a))
    assert response.status_code == 200
    assert column_ids(app, "Assigned") == [b, a]
    with app.app_context():
        assert db.session.scalar(select(StageHistory.id)) is None


def test_move_with_stale_version_is_409_with_columns_and_toast(app: Flask, hx: FlaskClient,
                                                               login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    lead_id = make_lead(app)
    data = move_data(app, lead_id, "Assigned")
    with app.app_context():  # someone else moves it first
        recycled = db.session.get(Stage, stage_id(app, "Recycled"))
        change_stage(db.session.get(Lead, lead_id), recycled, None)
    response = hx.post(MOVE, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert response.headers["HX-Reswap"] == "none"
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert "changed by someone else" in toast["message"]
    for name in ("New", "Assigned", "Recycled"):  # source, target and where it really is
        assert f'id="stage-{stage_id(app, name)}" hx-swap-oob="true"' in html
    recycled = re.search(rf'id="stage-{stage_id(app, "Recycled")}".*?</section>', html, re.S)
    assert f'id="lead-card-{lead_id}"' in recycled.group(0)
    assert lead_state(app, lead_id)[0] == "Recycled"


def test_move_to_lost_without_reason_rerenders_dialog_422(app: Flask, hx: FlaskClient,
                                                          login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    lead_id = make_lead(app)
    response = hx.post(MOVE, data=move_data(app, lead_id, "Closed",
                                            closing_comment="They went quiet"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#lost-form"
    assert "Choose a loss reason." in html
    assert "They went quiet</textarea>" in html  # nothing the user typed is lost
    assert lead_state(app, lead_id)[0] == "New"


def test_move_to_lost_with_reason_closes_lead(app: Flask, hx: FlaskClient,
                                              login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    lead_id = make_lead(app)
    with app.app_context():
        reason_id = loss_reason("Chose a competitor").id
    response = hx.post(MOVE, data=move_data(app, lead_id, "Closed", loss_reason=reason_id,
                                            closing_comment="Went with Initech"))
    assert response.status_code == 200
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert (lead.stage.name, lead.loss_reason.name, lead.closing_comment) == (
            "Closed", "Chose a competitor", "Went with Initech")
        assert lead.closing_date == datetime.now(UTC).date()


def test_lost_dialog_offers_active_reasons(app: Flask, hx: FlaskClient,
                                           login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    lead_id = make_lead(app)
    with app.app_context():
        reason = loss_reason("Duplicate")
        reason.active = False
        db.session.commit()
    response = hx.get("/admin/leads/board/lost-dialog",
                      query_string=move_data(app, lead_id, "Closed", position=2))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<dialog class="dialog js-dialog" id="lost-dialog"')
    assert ">No budget</option>" in html and ">Duplicate</option>" not in html
    assert 'name="position" value="2"' in html and f'name="lead_id" value="{lead_id}"' in html


def test_move_converted_lead_out_of_won_is_422_and_refreshes(app: Flask, hx: FlaskClient,
                                                             login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    lead_id = make_lead(app, "Converted", converted_at=datetime.now(UTC))
    response = hx.post(MOVE, data=move_data(app, lead_id, "New"))
    assert response.status_code == 422
    assert "converted" in json.loads(response.headers["HX-Trigger"])["toast"]["message"]
    assert f'id="stage-{stage_id(app, "Converted")}" hx-swap-oob="true"' in response.get_data(
        as_text=True)


def test_move_without_lead_id_is_400(app: Flask, hx: FlaskClient,
                                     login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    assert hx.post(MOVE, data={"stage": stage_id(app, "New")}).status_code == 400


def test_card_stale_badge_explains_why(app: Flask, client: FlaskClient,
                                       login: Callable[..., int]) -> None:
    login("manager")
    with app.app_context():
        stage = db.session.get(Stage, stage_id(app, "Assigned"))
        stage.stale_after_days = 7
        db.session.commit()
    long_ago = datetime.now(UTC) - timedelta(days=12)
    stale = make_lead(app, "Assigned")
    due = make_lead(app, "Assigned", deadline=date.today() + timedelta(days=3))
    with app.app_context():
        for lead_id in (stale, due):
            lead = db.session.get(Lead, lead_id)
            lead.stage_entered_at = lead.last_touched_at = lead.created_at = long_ago
        db.session.commit()
    html = client.get(BOARD).get_data(as_text=True)
    stale_card = re.search(rf'id="lead-card-{stale}".*?</li>\s*</ul>|id="lead-card-{stale}".*?'
                           r'</details>', html, re.S).group(0)
    assert "Stale" in stale_card and "for 12 days" in stale_card and "after 7" in stale_card
    due_card = re.search(rf'id="lead-card-{due}".*?</details>', html, re.S).group(0)
    assert "Stale" not in due_card
    assert "12d in stage" in due_card


def test_board_unknown_loss_reason_id_is_refused(app: Flask, hx: FlaskClient,
                                                 login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    lead_id = make_lead(app)
    with app.app_context():
        last = db.session.scalar(select(LossReason.id).order_by(LossReason.id.desc()))
        missing = (last or 0) + 99
    response = hx.post(MOVE, data=move_data(app, lead_id, "Closed", loss_reason=missing))
    assert response.status_code == 422
    assert lead_state(app, lead_id)[0] == "New"


def test_board_headers_count_only_what_sales_user_may_see(app: Flask, client: FlaskClient,
                                                          login: Callable[..., int]) -> None:
    me = login("sales")
    with app.app_context():
        someone = UserFactory(role="sales").id
    make_lead(app, "In process", owner_id=me, budget=Decimal("300"))
    make_lead(app, "In process", owner_id=someone, budget=Decimal("9000"))
    html = client.get(BOARD).get_data(as_text=True)
    in_process = stage_id(app, "In process")
    header = re.search(rf'id="stage-{in_process}-header".*?</header>', html, re.S).group(0)
    assert f'id="stage-{in_process}-count" aria-label="1 leads">1<' in header
    assert "Σ 300" in header and "9,300" not in header
