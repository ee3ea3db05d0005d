"""The OpenAPI document: valid JSON, OpenAPI 3.1, with every lead_sources path and its errors."""

from __future__ import annotations

import json


def _resolve(doc: dict, node: object) -> None:
    """Every $ref in the document points at something that exists."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/components/schemas/")
            assert name in doc["components"]["schemas"], node["$ref"]
        for value in node.values():
            _resolve(doc, value)
    elif isinstance(node, list):
        for value in node:
            _resolve(doc, value)


def test_openapi_document_lists_lead_sources_paths(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    assert set(paths["/lead_sources"]) == {"get", "post"}
    assert {"get", "put"} <= set(paths["/lead_sources/{id}"])
    assert "delete" in paths["/delete/lead_sources/{id}"]
    assert "get" in paths["/lead_sources/search/{keysearch}"]
    post = paths["/lead_sources"]["post"]["responses"]
    assert {"201", "401", "403", "409", "413", "415", "422", "429"} <= set(post)
    assert "404" in paths["/lead_sources/{id}"]["get"]["responses"]
    assert doc["components"]["securitySchemes"]["authtoken"]["name"] == "authtoken"
    _resolve(doc, doc)


def test_openapi_document_is_extensible_per_resource():
    from leadapp.api import openapi

    def widgets(doc: dict) -> None:
        doc["paths"]["/widgets"] = {"get": {"responses": openapi.errors(401)}}

    openapi.RESOURCES.append(widgets)
    try:
        doc = openapi.document()
    finally:
        openapi.RESOURCES.remove(widgets)
    assert "/widgets" in doc["paths"] and "/lead_sources" in doc["paths"]
