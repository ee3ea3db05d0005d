"""The whole import: dry run, duplicate modes, run, error CSV, undo, and the real worker thread."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from sqlalchemy import event, func, select

from leadapp.extensions import db
from leadapp.imports.models import ImportJob, ImportRowError, ImportStatus, ImportUpdate
from leadapp.leads.intake import place_new_lead
from leadapp.models import Activity, ActivityKind, Lead, LeadSource, StageHistory, Tag
from tests.factories import LeadFactory, LeadSourceFactory, TagFactory
from tests.imports.conftest import csv_bytes, job_of

HEADER = ["Title", "E-mail", "Phone", "Lead source", "Budget", "City", "Tags"]


def rows_file(*rows: list[str]) -> bytes:
    return csv_bytes([HEADER, *rows])


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def existing_lead(app, **fields) -> int:
    with app.app_context():
        source = db.session.scalar(select(LeadSource).where(LeadSource.name == "Call"))
        return LeadFactory(source=source, **fields).id


def test_dry_run_classifies_every_row_and_stores_no_leads(app, client, login, start_import):
    login("marketeer")
    existing = existing_lead(app, email="dup@example.com", title="Old", city="Paris")
    job_id = start_import(rows_file(
        ["New deal", "new@example.com", "", "Call", "100", "", ""],
        ["Dup deal", "DUP@example.com", "", "Call", "", "Rome", ""],
        ["Bad", "nope", "", "Call", "", "", ""],
        ["Again", "new@example.com", "", "Call", "", "", ""],
    ), mode="update")
    job = job_of(app, job_id)
    assert job.status == ImportStatus.previewed and job.total_rows == 4
    assert job.preview["counts"] == {"create": 1, "update": 1, "error": 1, "skip": 1}
    update = job.preview["samples"]["update"][0]
    assert update["lead_id"] == existing and ["City", "Paris", "Rome"] in update["changes"]
    assert job.preview["samples"]["skip"][0]["reason"] == "Duplicate of row 2 in this file"
    assert job.preview["samples"]["error"][0]["errors"][0][0] == "E-mail"
    with app.app_context():
        assert count(Lead) == 1 and count(ImportRowError) == 0
        assert db.session.get(Lead, existing).city == "Paris"
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert "nothing has been stored yet" in page and "Paris" in page and "Rome" in page


def test_run_creates_leads_like_place_new_lead(app, client, login, start_import, run_job):
    user_id = login("manager")
    job_id = start_import(rows_file(["Imported", "i@example.com", "202-555-0143", "Call", "5",
                                     "Oslo", "vip"]))
    run_job(job_id)
    with app.app_context():
        imported = db.session.scalar(select(Lead).where(Lead.ref == f"import:{job_id}"))
        by_hand = place_new_lead(Lead(title="By hand", source=imported.source),
                                 imported.created_by, ActivityKind.imported)
        db.session.commit()
        assert imported.ref_id == "2" and imported.created_by_id == user_id
        assert imported.phone == "+12025550143" and imported.budget == Decimal("5.00")
        assert [tag.name for tag in imported.tags] == ["vip"]
        for lead in (imported, by_hand):
            assert (lead.pipeline_id, lead.stage_id) == (by_hand.pipeline_id, by_hand.stage_id)
            assert lead.stage.name == "New" and lead.stage_entered_at is not None
            history = db.session.scalars(select(StageHistory)
                                         .where(StageHistory.lead_id == lead.id)).all()
            assert [(row.stage_id, row.left_at) for row in history] == [(lead.stage_id, None)]
            activity = db.session.scalars(select(Activity).where(Activity.lead_id == lead.id))
            assert [(row.kind, row.actor_id) for row in activity] == [
                (ActivityKind.imported, user_id)]
        assert by_hand.board_position < imported.board_position  # newest on top


def test_run_puts_later_rows_above_earlier_and_above_existing_cards(app, client, login,
                                                                     start_import, run_job):
    login()
    existing = existing_lead(app)
    job_id = start_import(rows_file(["First", "", "", "Call", "", "", ""],
                                    ["Second", "", "", "Call", "", "", ""]))
    run_job(job_id)
    with app.app_context():
        order = db.session.scalars(select(Lead.id).order_by(Lead.board_position)).all()
        titles = [db.session.get(Lead, lead_id).title for lead_id in order]
        assert titles[-1] == db.session.get(Lead, existing).title
        assert titles[:2] == ["Second", "First"]


def test_run_with_skip_mode_leaves_duplicates_alone(app, client, login, start_import, run_job):
    login()
    existing = existing_lead(app, email="dup@example.com", city="Paris")
    job_id = start_import(rows_file(["Dup", "dup@example.com", "", "Call", "", "Rome", ""]))
    run_job(job_id)
    job = job_of(app, job_id)
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 0, 1)
    with app.app_context():
        assert db.session.get(Lead, existing).city == "Paris" and count(Lead) == 1


def test_run_with_create_mode_creates_the_duplicate(app, client, login, start_import, run_job):
    login()
    existing_lead(app, email="dup@example.com")
    job_id = start_import(rows_file(["Dup", "dup@example.com", "", "Call", "", "", ""],
                                    ["Dup again", "dup@example.com", "", "Call", "", "", ""]),
                          mode="create")
    run_job(job_id)
    assert job_of(app, job_id).created_count == 2
    with app.app_context():
        assert count(Lead, Lead.email == "dup@example.com") == 3


def test_run_matching_by_phone_finds_the_lead_by_normalised_number(app, client, login,
                                                                    start_import, run_job):
    login()
    existing = existing_lead(app, phone="+12025550143", email="x@example.com")
    job_id = start_import(rows_file(["P", "other@example.com", "(202) 555-0143", "Call", "", "",
                                     ""]), match_keys=("phone",), mode="skip")
    assert job_of(app, job_id).preview["samples"]["skip"][0]["lead_id"] == existing


def test_run_matching_by_both_keys_treats_either_as_duplicate(app, client, login,
                                                               start_import):
    login()
    existing_lead(app, phone="+12025550143", email="a@example.com")
    existing_lead(app, phone="", email="b@example.com")
    job_id = start_import(rows_file(["A", "zz@example.com", "2025550143", "Call", "", "", ""],
                                    ["B", "b@example.com", "", "Call", "", "", ""],
                                    ["C", "c@example.com", "", "Call", "", "", ""]),
                          match_keys=("email", "phone"))
    assert job_of(app, job_id).preview["counts"] == {"skip": 2, "create": 1}


def test_dry_run_matches_an_email_stored_with_capitals(app, client, login, start_import):
    login()
    existing = existing_lead(app, email="John.Doe@example.com", city="Paris")
    job_id = start_import(rows_file(["J", "john.doe@example.com", "", "Call", "", "Rome", ""]),
                          mode="update")
    preview = job_of(app, job_id).preview
    assert preview["counts"] == {"update": 1}
    update = preview["samples"]["update"][0]
    assert update["lead_id"] == existing and ["City", "Paris", "Rome"] in update["changes"]
    assert not any(change[0] == "Email" for change in update["changes"])


def test_duplicate_lookup_by_email_uses_the_lower_email_index(app, login):
    from leadapp.imports.classify import Classifier
    from leadapp.imports.validation import RowResult

    with app.app_context():
        job = ImportJob(filename="x.csv", stored_name="x", file_format="csv", mapping={},
                        match_keys=["email"], duplicate_mode="skip", options={})
        classifier = Classifier(job, None, [])
        statements: list[tuple[str, object]] = []

        def grab(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            classifier._existing([RowResult(values={"email": "A@Example.com"})])
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
        lookup, parameters = next(item for item in statements if "FROM leads" in item[0])
        assert "lower(leads.email) IN" in lookup and "a@example.com" in str(parameters)
        if db.engine.dialect.name == "sqlite":
            plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + lookup,
                                                            parameters).all()
            assert "ix_leads_email_lower" in " ".join(str(row) for row in plan)


def test_imported_leads_without_a_currency_take_the_default_currency(app, client, login,
                                                                     start_import, run_job):
    app.config["DEFAULT_CURRENCY"] = "GBP"
    login()
    run_job(start_import(rows_file(["Pounds", "gbp@example.com", "", "Call", "5", "", ""])))
    with app.app_context():
        assert db.session.scalar(select(Lead.currency).where(Lead.title == "Pounds")) == "GBP"


def test_run_update_then_undo_restores_previous_values(app, client, login, start_import,
                                                       run_job):
    login()
    with app.app_context():
        TagFactory(name="old")
    existing = existing_lead(app, email="dup@example.com", city="Paris", budget=Decimal("10"))
    job_id = start_import(rows_file(
        ["Dup", "dup@example.com", "", "Call", "99.90", "Rome", "vip"],
        ["Fresh", "fresh@example.com", "", "Call", "", "", ""],
    ), mode="update")
    run_job(job_id)
    with app.app_context():
        lead = db.session.get(Lead, existing)
        assert (lead.city, lead.budget, lead.title) == ("Rome", Decimal("99.90"), "Dup")
        assert [tag.name for tag in lead.tags] == ["vip"] and lead.version == 2
        before = db.session.scalar(select(ImportUpdate.before))
        assert before["fields"]["city"] == ["Paris", "Rome"]
        changed = {row.field for row in db.session.scalars(
            select(Activity).where(Activity.lead_id == existing,
                                   Activity.kind == ActivityKind.field_changed))}
        assert {"city", "budget", "title"} <= changed
        lead.title = "Edited by a person since"  # undo must not overwrite this
        db.session.commit()
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert "1 created lead will go to the trash and 1 updated lead will get" in page
    response = client.post(f"/admin/leads/import/{job_id}/undo")
    assert response.status_code == 303
    with app.app_context():
        lead = db.session.get(Lead, existing)
        assert (lead.city, lead.budget) == ("Paris", Decimal("10.00"))
        assert lead.title == "Edited by a person since" and lead.tags == []
        fresh = db.session.scalar(select(Lead).where(Lead.email == "fresh@example.com"))
        assert fresh.deleted_at is not None
        assert db.session.get(ImportJob, job_id).status == ImportStatus.undone
    assert client.post(f"/admin/leads/import/{job_id}/undo").status_code == 422


def test_undo_restores_updates_chunk_by_chunk_with_different_fields_each(
        app, client, login, start_import, run_job, monkeypatch):
    from leadapp.imports import services

    monkeypatch.setattr(services, "RESTORE_CHUNK", 2)  # three leads: two chunks
    login()
    first = existing_lead(app, title="One", email="one@example.com", city="Paris")
    second = existing_lead(app, title="Two", email="two@example.com", budget=Decimal("5"))
    third = existing_lead(app, title="Three", email="three@example.com", city="Oslo",
                          budget=Decimal("7"))
    job_id = start_import(rows_file(
        ["One", "one@example.com", "", "Call", "", "Rome", ""],
        ["Two", "two@example.com", "", "Call", "50", "", ""],
        ["Three", "three@example.com", "", "Call", "70", "Bergen", ""],
    ), mode="update")
    run_job(job_id)
    assert client.post(f"/admin/leads/import/{job_id}/undo").status_code == 303
    with app.app_context():
        leads = {lead.id: lead for lead in db.session.scalars(select(Lead))}
        assert (leads[first].city, leads[first].version) == ("Paris", 3)
        assert leads[second].budget == Decimal("5.00")
        assert (leads[third].city, leads[third].budget) == ("Oslo", Decimal("7.00"))
        undone = db.session.scalars(select(Activity.lead_id).where(
            Activity.kind == ActivityKind.field_changed,
            Activity.data["undo_import"].as_integer() == job_id)).all()
        assert sorted(undone) == sorted([first, second, third, third])


def test_error_csv_has_original_rows_plus_error_column(app, client, login, start_import,
                                                       run_job):
    login()
    job_id = start_import(rows_file(["Good", "g@example.com", "", "Call", "", "", ""],
                                    ["", "bad-email", "", "Call", "1,5x", "Łódź", ""]))
    run_job(job_id)
    response = client.get(f"/admin/leads/import/{job_id}/errors.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == [*HEADER, "error"]
    assert rows[1][:7] == ["", "bad-email", "", "Call", "1,5x", "Łódź", ""]
    assert "Title is empty" in rows[1][7] and "E-mail" in rows[1][7] and "Budget" in rows[1][7]
    assert len(rows) == 2


def test_error_csv_reuploaded_after_fixing_imports_the_rows(app, client, login, start_import,
                                                             run_job):
    login()
    job_id = start_import(rows_file(["", "fix@example.com", "", "Call", "", "", ""]))
    run_job(job_id)
    text = client.get(f"/admin/leads/import/{job_id}/errors.csv").get_data(as_text=True)
    fixed = text.replace("\n,fix@example.com", "\nFixed,fix@example.com").encode("utf-8")
    second = start_import(fixed, filename="fixed.csv")
    run_job(second)
    assert job_of(app, second).created_count == 1


def test_unknown_source_and_tag_can_be_created_or_mapped(app, client, login, start_import,
                                                         run_job):
    login()
    with app.app_context():
        target = LeadSourceFactory(name="Trade show 2026").id
        tag = TagFactory(name="existing").id
    job_id = start_import(rows_file(["A", "", "", "Expo", "", "", "brand new; hot"],
                                    ["B", "", "", "Webinar", "", "", ""]))
    preview = job_of(app, job_id).preview
    assert dict(preview["unknown_sources"]) == {"Expo": 1, "Webinar": 1}
    assert dict(preview["unknown_tags"]) == {"brand new": 1, "hot": 1}
    names = {entry[0]: index for index, entry in enumerate(preview["unknown_sources"])}
    tags = {entry[0]: index for index, entry in enumerate(preview["unknown_tags"])}
    form = {f"source-name-{i}": name for name, i in names.items()}
    form[f"source-{names['Expo']}"] = str(target)
    form[f"source-{names['Webinar']}"] = "new"
    form.update({f"tag-name-{i}": name for name, i in tags.items()})
    form[f"tag-{tags['hot']}"] = str(tag)
    form[f"tag-{tags['brand new']}"] = "new"
    run_job(job_id, **form)
    with app.app_context():
        a = db.session.scalar(select(Lead).where(Lead.title == "A"))
        b = db.session.scalar(select(Lead).where(Lead.title == "B"))
        assert a.source_id == target and b.source.name == "Webinar"
        assert sorted(t.name for t in a.tags) == ["brand new", "existing"]
        assert count(Tag) == 2 and count(LeadSource, LeadSource.name == "Expo") == 0


def test_run_with_bogus_value_choice_is_refused(app, client, login, start_import):
    login()
    job_id = start_import(rows_file(["A", "", "", "Expo", "", "", ""]))
    response = client.post(f"/admin/leads/import/{job_id}/run",
                           data={"source-name-0": "Expo", "source-0": "999999"})
    assert response.status_code == 422
    assert "Choose an existing value" in response.get_data(as_text=True)
    assert job_of(app, job_id).status == ImportStatus.previewed


def test_refused_run_keeps_the_value_choices_the_user_made(app, client, login, start_import):
    login()
    with app.app_context():
        call = db.session.scalar(select(LeadSource.id).where(LeadSource.name == "Call"))
        tag = TagFactory(name="existing").id
    job_id = start_import(rows_file(["A", "", "", "Expo", "", "", "fresh"],
                                    ["B", "", "", "Fair", "", "", ""]))
    response = client.post(f"/admin/leads/import/{job_id}/run", data={
        "source-name-0": "Expo", "source-0": str(call),
        "source-name-1": "Fair", "source-1": "999999",  # gone since: refused
        "tag-name-0": "fresh", "tag-0": str(tag)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose an existing value" in page
    assert re.search(rf'<select id="source-0".*?<option value="{call}" selected>', page, re.S)
    assert re.search(rf'<select id="tag-0".*?<option value="{tag}" selected>', page, re.S)
    fair = re.search(r'<select id="source-1".*?</select>', page, re.S).group(0)
    assert " selected" not in fair  # the refused choice falls back to "create new"


def test_undo_result_says_how_many_updated_leads_were_kept(app, client, login, start_import,
                                                           run_job):
    login()
    edited = existing_lead(app, title="A", email="a@example.com", city="Paris")
    untouched = existing_lead(app, title="B", email="b@example.com", city="Lyon")
    job_id = start_import(rows_file(["A", "a@example.com", "", "Call", "", "Rome", ""],
                                    ["B", "b@example.com", "", "Call", "", "Oslo", ""],
                                    ["New", "c@example.com", "", "Call", "", "", ""]),
                          mode="update")
    run_job(job_id)
    with app.app_context():
        db.session.get(Lead, edited).city = "Edited since"
        db.session.commit()
    assert client.post(f"/admin/leads/import/{job_id}/undo").status_code == 303
    assert job_of(app, job_id).options["undo"] == {"trashed": 1, "restored": 1, "kept": 1}
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert 'id="import-undone"' in page
    assert "1 new lead went to the trash" in page
    assert "1 updated lead got its previous values back" in page
    assert "1 updated lead kept its current values" in page
    with app.app_context():
        assert db.session.get(Lead, edited).city == "Edited since"
        assert db.session.get(Lead, untouched).city == "Lyon"


def test_run_on_real_worker_thread_finishes_in_background(app, client, login, start_import):
    login()
    app.config["IMPORT_RUN_INLINE"] = False
    data = rows_file(*[[f"Lead {n}", f"l{n}@example.com", "", "Call", "", "", ""]
                       for n in range(2500)])
    job_id = start_import(data)
    queue = app.extensions["import_queue"]
    assert type(queue).__name__ == "ThreadQueue"
    assert queue.wait(60), "the dry run did not finish in time"
    assert job_of(app, job_id).status == ImportStatus.previewed
    response = client.post(f"/admin/leads/import/{job_id}/run")
    assert response.status_code == 303
    assert queue.wait(60), "the worker did not finish in time"
    job = job_of(app, job_id)
    assert job.status == ImportStatus.done and job.created_count == 2500
    assert job.processed_rows == job.total_rows == 2500
    with app.app_context():
        assert count(Lead, Lead.ref == f"import:{job_id}") == 2500


def test_run_that_crashes_marks_the_job_failed(app, client, login, start_import, monkeypatch):
    login()
    job_id = start_import(rows_file(["A", "", "", "Call", "", "", ""]))
    from leadapp.imports import writer

    def boom(self, outcomes):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer.BatchWriter, "write", boom)
    client.post(f"/admin/leads/import/{job_id}/run")
    job = job_of(app, job_id)
    assert job.status == ImportStatus.failed and "RuntimeError" in job.error
    page = client.get(f"/admin/leads/import/{job_id}").get_data(as_text=True)
    assert "The import stopped" in page


def test_error_csv_quotes_formula_cells_and_reimport_strips_the_quote(app, client, login,
                                                                      start_import, run_job):
    login()
    job_id = start_import(rows_file(["=HYPERLINK(\"http://evil\")", "bad", "", "Call", "", "",
                                     ""]))
    run_job(job_id)
    text = client.get(f"/admin/leads/import/{job_id}/errors.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")"
    fixed = text.replace(",bad,", ",ok@example.com,").encode()
    second = start_import(fixed, filename="fixed.csv")
    run_job(second)
    with app.app_context():
        assert db.session.scalar(select(Lead.title).where(Lead.ref == f"import:{second}")) == (
            "=HYPERLINK(\"http://evil\")")
