from __future__ import annotations


def test_login_page_renders_form(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="email"' in response.get_data(as_text=True)


def test_dashboard_after_login_shows_figures(client, login):
    login("admin")
    response = client.get("/admin")
    assert response.status_code == 200
    assert "Open leads" in response.get_data(as_text=True)
