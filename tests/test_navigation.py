"""The main navigation marks the section a page belongs to."""

from __future__ import annotations

import re

import pytest


def current_item(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', html)


@pytest.mark.parametrize(("path", "expected"), [
    ("/admin", ["Dashboard"]),
    ("/admin/leads", ["Leads"]),
    ("/admin/leads/board", ["Board"]),
    ("/admin/leads/sources", ["Sources"]),
    ("/admin/campaigns", ["Sources"]),
    ("/admin/pipelines", ["Settings"]),
    ("/admin/users", ["Settings"]),
    ("/admin/settings", ["Settings"]),
])
def test_page_marks_its_own_section_only(client, login, path, expected):
    login("admin")
    response = client.get(path)
    assert response.status_code == 200
    assert current_item(response.get_data(as_text=True)) == expected


def test_sales_user_sees_no_links_their_role_cannot_open(client, login):
    login("sales")
    html = client.get("/admin").get_data(as_text=True)
    assert ">Forms</a>" not in html and ">Reports</a>" not in html
    assert ">Leads</a>" in html
