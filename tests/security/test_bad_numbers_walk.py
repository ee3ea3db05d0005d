"""Every route, as an admin, with numbers no form would send in every parameter name the app
reads: never a 500. ("²".isdigit() is True but int() refuses it; 10**22 and 2**31 overflow the
database's INTEGER.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from leadapp.auth.models import Role
from tests.security.dataset import Dataset
from tests.security.routes import all_routes, build_url

QUERY_KEYS = [
    "all",
    "apikey",
    "assigned_to",
    "columns",
    "columns_chosen",
    "company_id",
    "company_search",
    "contact_search",
    "converted",
    "created",
    "ctx",
    "deleted",
    "dir",
    "end",
    "expand",
    "format",
    "from",
    "ids",
    "ft",
    "host",
    "in",
    "lead_id",
    "lt",
    "model",
    "name",
    "new_company",
    "next",
    "offset",
    "origin",
    "other",
    "owner",
    "page",
    "pipeline",
    "pipeline_id",
    "preview",
    "q",
    "range",
    "search",
    "show",
    "sort",
    "stage",
    "start",
    "status",
    "step",
    "tag",
    "tags",
    "team",
    "title",
    "updated_after",
    "source",
    "campaign",
    "per_page",
    "limit",
    "period",
    "group",
    "kind",
    "source_id",
    "campaign_id",
    "stage_id",
    "user_id",
    "team_id",
]
FORM_KEYS = [
    "action",
    "active",
    "body",
    "columns",
    "contact_id",
    "ctx",
    "default_source",
    "direction",
    "duplicate_mode",
    "enabled",
    "from",
    "lead_ids",
    "loss_reason_id",
    "match_keys",
    "origin",
    "other_id",
    "page",
    "refresh",
    "scope",
    "sheet",
    "show",
    "source_ids",
    "stage_id",
    "state",
    "target_id",
    "version",
    "view",
    "view_name",
    "owner_id",
    "company_id",
    "to_owner",
    "to_stage",
    "position",
    "index",
    "source_id",
    "campaign_id",
    "pipeline_id",
    "user_id",
    "team_id",
    "reason_id",
    "stage_ids",
]
# Left out so the walk keeps its dataset (their refusals are walked in test_authorization_walk).
SKIPPED_WORDS = ("delete", "purge", "logout", "revoke")


@pytest.mark.parametrize("value", ["²", "99999999999999999999999", "2147483648", "-1"])
def test_no_route_fails_on_bad_numbers(
    app: Flask, dataset: Dataset, client_as: Callable, value: str
) -> None:
    client = client_as(Role.admin)
    headers = {"authtoken": dataset.tokens[Role.admin]}
    query = dict.fromkeys(QUERY_KEYS, value)
    failures, walked = [], 0
    for route in all_routes(app):
        if route.kind == "public" or any(word in route.endpoint for word in SKIPPED_WORDS):
            continue
        url = build_url(app, route, dataset.ids)
        data = None if route.method == "GET" else dict.fromkeys(FORM_KEYS, value)
        response = client.open(
            url, method=route.method, query_string=query, data=data, headers=headers
        )
        response.close()
        walked += 1
        if response.status_code >= 500:
            failures.append(f"{route.label} [{route.endpoint}]: {response.status_code}")
    assert walked >= 200
    assert failures == [], "\n".join(failures)
