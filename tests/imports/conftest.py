"""Helpers for the import tests: an inline-running app, uploads, and a full upload->run flow."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from leadapp.extensions import db
from leadapp.imports.models import ImportJob


@pytest.fixture
def app(app: Flask) -> Iterator[Flask]:
    """The shared app, with jobs run inline so tests are deterministic."""
    app.config["IMPORT_RUN_INLINE"] = True
    yield app


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(client: FlaskClient, data: bytes, filename: str = "leads.csv") -> Any:
    return client.post("/admin/leads/import",
                       data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def job_id_from(response: Any) -> int:
    location = response.headers.get("Location", "")
    match = re.search(r"/admin/leads/import/(\d+)", location)
    assert match, (response.status_code, location, response.get_data(as_text=True)[:500])
    return int(match.group(1))


def job_of(app: Flask, job_id: int) -> ImportJob:
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        db.session.expunge(job)
        return job


@pytest.fixture
def start_import(app: Flask, client: FlaskClient) -> Callable[..., int]:
    """Upload a file and save a mapping (which runs the dry run); returns the job id."""

    def start(data: bytes, filename: str = "leads.csv", mapping: dict[str, str] | None = None,
              match_keys: tuple[str, ...] = ("email",), mode: str = "skip",
              default_source: int | str = "", sheet: str | None = None) -> int:
        response = upload(client, data, filename)
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        job_id = job_id_from(response)
        form: dict[str, Any] = {"match_keys": list(match_keys), "duplicate_mode": mode,
                                "default_source": str(default_source)}
        if sheet is not None:
            form["sheet"] = sheet
        if mapping is None:
            with app.app_context():
                from leadapp.imports import services

                job = db.session.get(ImportJob, job_id)
                mapping = services.mapping_view(job, sheet).mapping
        form.update({f"col-{index}": field for index, field in mapping.items()})
        response = client.post(f"/admin/leads/import/{job_id}/mapping", data=form)
        assert response.status_code == 303, response.get_data(as_text=True)[:3000]
        return job_id

    return start


@pytest.fixture
def run_job(client: FlaskClient) -> Callable[..., Any]:
    def run(job_id: int, **values: str) -> Any:
        response = client.post(f"/admin/leads/import/{job_id}/run", data=values)
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        return response

    return run
