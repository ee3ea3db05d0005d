"""Pipelines and loss reasons pages: permissions, partial responses, 422 with the user's input."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from leadapp.extensions import db
from leadapp.models import Lead, LossReason, Pipeline, Stage
from tests.factories import LeadFactory, loss_reason

PIPELINES = "/admin/pipelines"
REASONS = "/admin/loss-reasons"


def stage_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Stage.id).where(Stage.name == name))


def pipeline_id(app: Flask, name: str = "Sales") -> int:
    with app.app_context():
        return db.session.scalar(select(Pipeline.id).where(Pipeline.name == name))


def test_pipelines_page_lists_stages_for_manager(app: Flask, client: FlaskClient,
                                                 login: Callable[..., int]) -> None:
    login("manager")
    response = client.get(PIPELINES)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    for name in ("New", "Assigned", "In process", "Recycled", "Converted", "Closed"):
        assert f'value="{name}"' in html
    assert 'id="pipelines-admin"' in html


def test_pipelines_page_is_forbidden_for_sales(app: Flask, client: FlaskClient,
                                               login: Callable[..., int]) -> None:
    login("sales")
    assert client.get(PIPELINES).status_code == 403
    assert client.get(REASONS).status_code == 403
    assert client.post(PIPELINES, data={"name": "Mine"}).status_code == 403


def test_create_pipeline_htmx_returns_panel_and_pushes_url(app: Flask, hx: FlaskClient,
                                                           login: Callable[..., int]) -> None:
    login("admin", client_=hx)
    response = hx.post(PIPELINES, data={"name": "Partners"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="pipelines-admin"')
    new_id = pipeline_id(app, "Partners")
    assert response.headers["HX-Push-Url"] == f"/admin/pipelines?pipeline={new_id}"
    assert json.loads(response.headers["HX-Trigger"])["toast"]["level"] == "success"
    assert 'value="Won"' in html and 'value="Lost"' in html


def test_create_pipeline_plain_form_redirects(app: Flask, client: FlaskClient,
                                              login: Callable[..., int]) -> None:
    login("admin")
    response = client.post(PIPELINES, data={"name": "Partners"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"?pipeline={pipeline_id(app, 'Partners')}")


def test_create_pipeline_duplicate_name_is_422_with_input_kept(app: Flask, hx: FlaskClient,
                                                               login: Callable[..., int]) -> None:
    login("admin", client_=hx)
    response = hx.post(PIPELINES, data={"name": "SALES"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A pipeline with this name already exists." in html
    assert 'value="SALES"' in html


def test_add_stage_invalid_probability_is_422_next_to_field(app: Flask, hx: FlaskClient,
                                                            login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    url = f"{PIPELINES}/{pipeline_id(app)}/stages"
    response = hx.post(url, data={"new-stage-name": "Demo", "new-stage-probability": "150"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="new-stage-probability-error"' in html and "0 to 100" in html
    assert 'value="Demo"' in html


def test_add_then_rename_stage(app: Flask, hx: FlaskClient, login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    response = hx.post(f"{PIPELINES}/{pipeline_id(app)}/stages",
                       data={"new-stage-name": "Demo", "new-stage-probability": "60",
                             "new-stage-stale_after_days": "10"})
    assert response.status_code == 200
    demo = stage_id(app, "Demo")
    response = hx.post(f"{PIPELINES}/stages/{demo}",
                       data={f"stage-{demo}-name": "Demo call", f"stage-{demo}-probability": "65"})
    assert response.status_code == 200
    with app.app_context():
        stage = db.session.get(Stage, demo)
        assert (stage.name, stage.probability, stage.stale_after_days) == ("Demo call", 65, None)


def test_reorder_stages_route_saves_order(app: Flask, hx: FlaskClient,
                                          login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    order = [stage_id(app, n) for n in ("In process", "New", "Assigned", "Recycled")]
    response = hx.post(f"{PIPELINES}/{pipeline_id(app)}/stages/order",
                       data={"stage_ids": ",".join(map(str, order))})
    assert response.status_code == 200
    with app.app_context():
        names = [s.name for s in db.session.get(Pipeline, pipeline_id(app)).stages]
    assert names[:3] == ["In process", "New", "Assigned"]


def test_shift_stage_route_moves_up(app: Flask, hx: FlaskClient,
                                    login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    assert hx.post(f"{PIPELINES}/stages/{stage_id(app, 'Assigned')}/shift",
                   data={"direction": "up"}).status_code == 200
    with app.app_context():
        names = [s.name for s in db.session.get(Pipeline, pipeline_id(app)).stages]
    assert names[:2] == ["Assigned", "New"]


def test_delete_stage_dialog_asks_where_leads_go(app: Flask, hx: FlaskClient,
                                                 login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    with app.app_context():
        LeadFactory(stage=db.session.get(Stage, stage_id(app, "Recycled")))
    response = hx.get(f"{PIPELINES}/stages/{stage_id(app, 'Recycled')}/delete")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<dialog" in html
    assert "1 lead is in this stage" in html and ">In process</option>" in html
    assert ">Closed</option>" not in html


def test_delete_stage_without_target_is_422_in_dialog(app: Flask, hx: FlaskClient,
                                                      login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    with app.app_context():
        LeadFactory(stage=db.session.get(Stage, stage_id(app, "Recycled")))
    response = hx.post(f"{PIPELINES}/stages/{stage_id(app, 'Recycled')}/delete",
                       data={"move_to": ""})
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#dialog-slot"
    assert "Choose where its 1 lead(s) go." in response.get_data(as_text=True)


def test_delete_stage_moves_leads_and_returns_panel(app: Flask, hx: FlaskClient,
                                                    login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    with app.app_context():
        lead_id = LeadFactory(stage=db.session.get(Stage, stage_id(app, "Recycled"))).id
    target = stage_id(app, "In process")
    response = hx.post(f"{PIPELINES}/stages/{stage_id(app, 'Recycled')}/delete",
                       data={"move_to": target})
    assert response.status_code == 200
    assert "1 lead(s) moved" in json.loads(response.headers["HX-Trigger"])["toast"]["message"]
    with app.app_context():
        assert db.session.get(Lead, lead_id).stage_id == target
        assert db.session.scalar(select(Stage.id).where(Stage.name == "Recycled")) is None


def test_delete_won_stage_route_is_refused(app: Flask, hx: FlaskClient,
                                           login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    response = hx.post(f"{PIPELINES}/stages/{stage_id(app, 'Converted')}/delete")
    assert response.status_code == 422
    assert stage_id(app, "Converted") is not None


def test_make_default_route(app: Flask, hx: FlaskClient, login: Callable[..., int]) -> None:
    login("admin", client_=hx)
    hx.post(PIPELINES, data={"name": "Partners"})
    response = hx.post(f"{PIPELINES}/{pipeline_id(app, 'Partners')}/default")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Pipeline.name).where(Pipeline.is_default)).all() == [
            "Partners"]


def test_loss_reasons_page_and_add(app: Flask, hx: FlaskClient, client: FlaskClient,
                                   login: Callable[..., int]) -> None:
    login("manager")
    login("manager", client_=hx)
    html = client.get(REASONS).get_data(as_text=True)
    assert "<html" in html and 'value="No budget"' in html
    response = hx.post(REASONS, data={"name": "Price"})
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith('<div id="loss-reasons"')
    response = hx.post(REASONS, data={"name": "price"})
    assert response.status_code == 422
    assert "This loss reason already exists." in response.get_data(as_text=True)


def test_used_loss_reason_shows_no_delete_and_refuses_delete(app: Flask, hx: FlaskClient,
                                                             login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    with app.app_context():
        reason = loss_reason("No budget")
        LeadFactory(loss_reason=reason)
        reason_id = reason.id
    response = hx.post(f"{REASONS}/{reason_id}/delete")
    assert response.status_code == 422
    assert "deactivate it instead" in json.loads(response.headers["HX-Trigger"])["toast"][
        "message"]
    response = hx.post(f"{REASONS}/{reason_id}/active", data={"active": "0"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(LossReason, reason_id).active is False


def test_rename_loss_reason_blank_is_422(app: Flask, hx: FlaskClient,
                                         login: Callable[..., int]) -> None:
    login("manager", client_=hx)
    with app.app_context():
        reason_id = loss_reason("No budget").id
    response = hx.post(f"{REASONS}/{reason_id}", data={f"reason-{reason_id}-name": " "})
    assert response.status_code == 422
    assert f'id="reason-{reason_id}-name-error"' in response.get_data(as_text=True)
