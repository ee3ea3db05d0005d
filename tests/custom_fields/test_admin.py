"""/admin/settings/fields: admins add, rename, reorder (keyboard and drag) and delete fields."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.custom_fields import services
from leadapp.custom_fields.models import CustomField, DeletedFieldExport, FieldKind
from leadapp.extensions import db
from tests.custom_fields.helpers import make_field, set_value, value_of
from tests.factories import LeadFactory

URL = "/admin/settings/fields"


def _labels(app) -> list[str]:
    with app.app_context():
        return [item.label for item in services.list_fields()]


def test_only_admins_open_the_page(client, login):
    login("manager")
    assert client.get(URL).status_code == 403


def test_settings_hub_links_to_the_page(client, login):
    login("admin")
    assert f'href="{URL}"' in client.get("/admin/settings").get_data(as_text=True)


def test_create_generates_a_stable_unique_key_from_the_label(app, client, login):
    login("admin")
    response = client.post(URL, data={"label": "Größe & Farbe", "kind": "text"})
    assert response.status_code == 303
    client.post(URL, data={"label": "Grosse Farbe", "kind": "number"})
    with app.app_context():
        keys = [item.key for item in services.list_fields()]
    assert keys == ["groe_farbe", "grosse_farbe"]
    with app.app_context():
        assert services.key_from_label("Größe Farbe", ["groe_farbe"]) == "groe_farbe_2"
        assert services.key_from_label("2nd try", []) == "f_2nd_try"


def test_create_refuses_a_choice_field_without_choices_and_keeps_the_input(client, login):
    login("admin")
    response = client.post(URL, data={"label": "Industry", "kind": "choice", "options": " \n",
                                      "help_text": "Their main market"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "List the choices, one per line." in html
    assert 'value="Industry"' in html and 'value="Their main market"' in html


def test_create_refuses_a_duplicate_label(app, client, login):
    login("admin")
    make_field(app, "Industry")
    response = client.post(URL, data={"label": "industry", "kind": "text"})
    assert response.status_code == 422
    assert "A field called “industry” exists already" in response.get_data(as_text=True)


def test_renaming_keeps_the_key_and_the_values(app, client, login):
    login("admin")
    field_id = make_field(app, "Industry", FieldKind.choice, options=["Retail", "Food"])
    with app.app_context():
        lead_id = LeadFactory().id
    set_value(app, lead_id, field_id, "Food")
    response = client.post(f"{URL}/{field_id}", data={
        "label": "Market", "options": "Retail\nFood\nTech", "show_in_list": "y"})
    assert response.status_code == 303
    with app.app_context():
        item = db.session.get(CustomField, field_id)
        assert (item.key, item.label, item.options, item.show_in_list) == (
            "industry", "Market", ["Retail", "Food", "Tech"], True)
    assert value_of(app, lead_id, field_id) == "Food"


def test_removing_a_choice_in_use_is_refused_with_the_count(app, client, login):
    login("admin")
    field_id = make_field(app, "Industry", FieldKind.choice, options=["Retail", "Food"])
    with app.app_context():
        lead_id = LeadFactory().id
    set_value(app, lead_id, field_id, "Food")
    response = client.post(f"{URL}/{field_id}", data={"label": "Industry", "options": "Retail"})
    assert response.status_code == 422
    assert "1 lead(s) have “Food”" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CustomField, field_id).options == ["Retail", "Food"]


def test_keyboard_move_and_drag_order(app, client, hx, login):
    login("admin", client_=hx)
    first, second, third = (make_field(app, name) for name in ("One", "Two", "Three"))
    response = hx.post(f"{URL}/{first}/move", data={"direction": "down"})
    assert response.status_code == 200
    assert f'data-focus="field-{first}-down"' in response.get_data(as_text=True)
    assert _labels(app) == ["Two", "One", "Three"]
    hx.post(f"{URL}/order", data={"ids": f"{third},{first},{second}"})
    assert _labels(app) == ["Three", "One", "Two"]
    stale = hx.post(f"{URL}/order", data={"ids": f"{third},{first}"})
    assert stale.status_code == 422 and "reload the page" in stale.get_data(as_text=True)


def test_delete_asks_first_with_the_count_then_keeps_a_csv(app, client, login):
    login("admin")
    field_id = make_field(app, "Budget code", FieldKind.decimal)
    with app.app_context():
        lead_ids = [LeadFactory(title=title).id for title in ("Alpha", "=Beta")]
    set_value(app, lead_ids[0], field_id, "10.5")
    set_value(app, lead_ids[1], field_id, "20")
    page = client.get(f"{URL}/{field_id}/delete").get_data(as_text=True)
    assert "2 leads" in page and "have a value in this field" in page
    assert f"{URL}/{field_id}/values.csv" in page
    export = client.get(f"{URL}/{field_id}/values.csv").get_data(as_text=True)
    assert export.splitlines() == ["lead_id,title,Budget code", f"{lead_ids[0]},Alpha,10.50",
                                   f"{lead_ids[1]},'=Beta,20.00"]
    assert client.post(f"{URL}/{field_id}/delete").status_code == 303
    with app.app_context():
        assert db.session.get(CustomField, field_id) is None
        kept = db.session.scalar(select(DeletedFieldExport))
        assert (kept.key, kept.value_count, kept.content.replace("\r\n", "\n")) == (
            "budget_code", 2, export.replace("\r\n", "\n"))
    index = client.get(URL).get_data(as_text=True)
    assert f"{URL}/deleted/{kept.id}.csv" in index
    assert client.get(f"{URL}/deleted/{kept.id}.csv").get_data(as_text=True) == export
