"""The app-wide input guard on HTML pages: NUL characters never reach a view (PostgreSQL
refuses them), and JSON nested too deeply is a 400 rather than a RecursionError."""

from __future__ import annotations

from typing import Any

from flask import Flask

from leadapp.extensions import db
from leadapp.leads.models import Lead


def test_nul_in_a_lead_form_post_is_removed_before_the_form_sees_it(app: Flask, client: Any,
                                                                    login: Any) -> None:
    login("admin")
    response = client.post("/admin/leads/new", data={"title": "Boi\x00ler", "city": "Bo\x00nn"})
    assert response.status_code == 422  # the form's own messages (no source, no company...)
    html = response.get_data(as_text=True)
    assert 'value="Boiler"' in html and 'value="Bonn"' in html and "\x00" not in html
    with app.app_context():
        assert db.session.query(Lead).count() == 0


def test_nul_in_a_page_query_is_removed(hx: Any, login: Any) -> None:
    login("admin", client_=hx)
    response = hx.get("/admin/leads", query_string={"q": "bo\x00iler", "ci\x00ty": "x"})
    assert response.status_code == 200 and "\x00" not in response.get_data(as_text=True)


def test_deep_json_to_a_page_is_400(client: Any, login: Any) -> None:
    login("admin")
    response = client.post("/admin/leads/new", data="[" * 5000 + "]" * 5000,
                           content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.get_data(as_text=True)
