"""Imports announce their leads once per batch: created ones, updated ones with per-row changes,
and for an undo the leads it trashes and the ones whose values it puts back."""

from __future__ import annotations

import json

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.leads.models import Lead
from leadapp.sources.models import LeadSource
from tests.factories import LeadFactory
from tests.imports.conftest import csv_bytes

from .conftest import deliveries

HEADER = ["Title", "E-mail", "Lead source", "City"]


def test_import_sends_created_and_updated_leads_and_undo_sends_deleted(
        hooks_app, client, login, make_endpoint, start_import, run_job):
    hooks_app.config["IMPORT_RUN_INLINE"] = True
    make_endpoint("http://127.0.0.1:9/in", ["lead.*"])
    with hooks_app.app_context():
        source = db.session.scalar(select(LeadSource).where(LeadSource.name == "Call"))
        existing = LeadFactory(source=source, email="old@example.com", city="Paris").id
    login("manager")
    job_id = start_import(csv_bytes([HEADER, ["New one", "new@example.com", "Call", "Oslo"],
                                     ["Old one", "old@example.com", "Call", "Rome"]]),
                          mode="update")
    run_job(job_id)
    with hooks_app.app_context():
        created = db.session.scalar(select(Lead.id).where(Lead.ref == f"import:{job_id}"))
    bodies = [json.loads(row.body) for row in deliveries(hooks_app)]
    by_event = {body["event"]: body for body in bodies}
    assert sorted(by_event) == ["lead.created", "lead.updated"] and len(bodies) == 2
    assert by_event["lead.created"]["data"]["lead"]["id"] == created
    assert by_event["lead.updated"]["data"]["lead"]["id"] == existing
    assert by_event["lead.updated"]["changes"]["city"] == {"old": "Paris", "new": "Rome"}
    assert by_event["lead.updated"]["data"]["lead"]["city"] == "Rome"

    assert client.post(f"/admin/leads/import/{job_id}/undo").status_code in (200, 303)
    undo = [json.loads(row.body) for row in deliveries(hooks_app)][2:]
    assert [(body["event"], body["data"]["lead"]["id"]) for body in undo] == [
        ("lead.deleted", created), ("lead.updated", existing)]
    assert undo[1]["changes"]["city"] == {"old": "Rome", "new": "Paris"}
    assert undo[1]["data"]["lead"]["city"] == "Paris"
