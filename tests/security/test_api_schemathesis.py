"""schemathesis against /api/openapi.json with an admin and a sales token: whatever the
document lists is fuzzed (bounded), and every answer must be a non-5xx that matches it.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks as sc

from leadapp.auth.models import Role
from tests.security.dataset import Dataset

CHECKS = [sc.not_a_server_error, sc.status_code_conformance, sc.content_type_conformance,
          sc.response_schema_conformance, sc.response_headers_conformance]


@pytest.fixture(params=[Role.admin, Role.sales], ids=lambda role: role.value)
def api_schema(request: pytest.FixtureRequest, app: Flask, dataset: Dataset
               ) -> schemathesis.schemas.BaseSchema:
    """Admin sees every answer; sales also meets the 403s and scoped 404s."""
    app.config["API_TEST_TOKEN"] = dataset.tokens[request.param]
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_matches_its_document_and_never_fails(case, app: Flask) -> None:
    case.call_and_validate(headers={"authtoken": app.config["API_TEST_TOKEN"]}, checks=CHECKS)
