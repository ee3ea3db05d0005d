"""The Alembic migrations build the schema and reference data on an empty database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import create_engine, func, select, text

from leadapp import create_app
from leadapp.db_types import built_on
from leadapp.extensions import db
from leadapp.models import LeadSource, LossReason, Pipeline, Stage
from tests.conftest import SQLITE, TEST_DB

MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database on the engine under test."""
    if SQLITE:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"leadapp_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(TEST_DB, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield TEST_DB.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _app(url: str):
    return create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url})


def test_upgrade_on_empty_database_creates_reference_data(empty_database_url):
    app = _app(empty_database_url)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        pipeline = db.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        stages = [(stage.name, stage.kind.value) for stage in pipeline.stages]
        sources = db.session.scalar(select(func.count()).select_from(LeadSource))
        reasons = db.session.scalar(select(func.count()).select_from(LossReason))
        db.session.remove()
        db.engine.dispose()
    assert stages == [("New", "open"), ("Assigned", "open"), ("In process", "open"),
                      ("Recycled", "open"), ("Converted", "won"), ("Closed", "lost")]
    assert sources == 10
    assert reasons >= 5


def test_upgrade_then_new_pipeline_gets_next_id(empty_database_url):
    """The seeded pipeline row must not collide with the sequence on PostgreSQL."""
    app = _app(empty_database_url)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        stages = [Stage(name="Won", kind="won"), Stage(name="Lost", kind="lost")]
        db.session.add(Pipeline(name="Partners", is_default=False, stages=stages))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Pipeline)) == 2
        db.session.remove()
        db.engine.dispose()


def test_downgrade_to_base_removes_every_table(empty_database_url):
    app = _app(empty_database_url)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        flask_migrate.downgrade(directory=MIGRATIONS, revision="base")
        remaining = set(db.inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.session.remove()
        db.engine.dispose()
    assert remaining == set()


def test_migrations_match_the_models(empty_database_url):
    """Every model change has a migration: autogenerate finds nothing left to do."""
    import warnings

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    app = _app(empty_database_url)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection, warnings.catch_warnings():
            # SQLite cannot reflect expression indexes; alembic warns and skips them.
            warnings.simplefilter("ignore", UserWarning)
            warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
            context = MigrationContext.configure(connection, opts={
                "include_object": built_on(connection.dialect.name)})
            diff = compare_metadata(context, db.metadata)
        db.session.remove()
        db.engine.dispose()
    assert diff == []


def test_upgrade_from_first_release_keeps_leads_and_their_children(empty_database_url):
    """0002 rebuilds the leads table on SQLite: nothing that hangs off a lead may be lost."""
    app = _app(empty_database_url)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0001")
        _insert_first_release_lead()
        flask_migrate.upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            search_text = connection.execute(text("SELECT search_text FROM leads")).scalar_one()
            counts = [connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                      for table in ("leads", "activities", "lead_tags", "stage_history")]
            foreign_keys = (connection.execute(text("PRAGMA foreign_keys")).scalar_one()
                            if SQLITE else 1)
            indexed = (connection.execute(text("SELECT rowid FROM leads_search WHERE "
                                               "leads_search MATCH 'rol AND smi'")).scalars().all()
                       if SQLITE else [])
        db.session.remove()
        db.engine.dispose()
    assert counts == [1, 1, 1, 1]
    assert search_text == "acme rollout ann smith ann@acme.example +4930123 acme gmbh"
    if SQLITE:  # 0011 indexed the lead that was there, so the search can find it
        assert indexed == [1]
    assert foreign_keys == 1  # switched back on after the migration


def _insert_first_release_lead() -> None:
    """A lead as the 0001 schema stores it, with an activity, a tag and a history row."""
    statements = [
        "INSERT INTO tags (id, name) VALUES (1, 'vip')",
        "INSERT INTO leads (id, title, description, source_id, channel, selling_direction,"
        " product, currency, company_name, first_name, middle_name, last_name, email, phone,"
        " mobile, position, website, address, street, city, state, postcode, country,"
        " pipeline_id, stage_id, board_position, closing_comment, ref, ref_id, created_at,"
        " updated_at, version) SELECT 1, 'Acme rollout', '', 1, '', '', '', 'USD', 'Acme GmbH',"
        " 'Ann', '', 'Smith', 'ann@acme.example', '+4930123', '', '', '', '', '', '', '', '', '',"
        " 1, min(id), 0, '', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1 FROM stages",
        "INSERT INTO lead_tags (lead_id, tag_id) VALUES (1, 1)",
        "INSERT INTO activities (lead_id, kind, field, old_value, new_value, created_at)"
        " VALUES (1, 'created', '', '', '', CURRENT_TIMESTAMP)",
        "INSERT INTO stage_history (lead_id, stage_id, entered_at)"
        " SELECT 1, min(id), CURRENT_TIMESTAMP FROM stages",
    ]
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_upgrade_to_0003_fills_first_response_from_the_timeline(empty_database_url):
    """A person's first comment / move / edit counts; the system's rows and imports do not."""
    app = _app(empty_database_url)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0002")
        _insert_first_release_lead()
        rows = [("field_changed", "'2026-01-01 09:00:00'", '{"import_job": 4}'),
                ("commented", "'2026-01-01 10:00:00'", None),  # no actor: not a person
                ("attached", "'2026-01-01 11:00:00'", None),
                ("stage_moved", "'2026-01-02 12:00:00'", '{"to_stage_id": 2}'),
                ("commented", "'2026-01-03 12:00:00'", None)]
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO users (id, email, name, password_hash, role,"
                                    " active, preferences, created_at) VALUES (7, 'a@b.example',"
                                    " 'A', 'x', 'sales', true, '{}', CURRENT_TIMESTAMP)"))
            for index, (kind, at, data) in enumerate(rows):
                actor = "NULL" if index == 1 else "7"
                connection.execute(text(
                    "INSERT INTO activities (lead_id, actor_id, kind, field, old_value,"
                    f" new_value, data, created_at) VALUES (1, {actor}, '{kind}', '', '', '',"
                    f" {'NULL' if data is None else repr(data)}, {at})"))
        flask_migrate.upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            stamped = connection.execute(text("SELECT first_response_at FROM leads")).scalar_one()
        db.session.remove()
        db.engine.dispose()
    assert str(stamped).startswith("2026-01-02 12:00:00")


@pytest.mark.skipif(not SQLITE, reason="compares SQLite's stored index definitions")
def test_migrated_sqlite_indexes_match_the_models(empty_database_url, tmp_path):
    """Autogenerate compares neither partial-index WHERE clauses nor expression indexes on SQLite,
    nor triggers and virtual tables (the search index): this compares the stored statements."""
    migrated = _app(empty_database_url)
    with migrated.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        from_migrations = _index_sql()
        db.engine.dispose()
    fresh = _app(f"sqlite:///{tmp_path / 'create_all.sqlite3'}")
    with fresh.app_context():
        db.create_all()
        from_models = _index_sql()
        db.engine.dispose()
    assert from_migrations == from_models


def _index_sql() -> dict[str, str]:
    def normalise(sql: str) -> str:
        spaced = sql.replace('"', "").replace("(", " ( ").replace(")", " ) ")
        # SQLite reads TRUE as 1: the models render "IS 1", the migrations "= true".
        return " ".join(spaced.split()).lower().replace(" is 1", " = true")

    with db.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND sql IS NOT NULL OR name = 'leads_search'"))
        return {name: normalise(sql) for name, sql in rows}


@pytest.mark.skipif(not SQLITE, reason="the search table is SQLite's")
def test_upgrade_without_the_trigram_tokenizer_skips_the_search_table(empty_database_url,
                                                                      monkeypatch):
    """An SQLite older than 3.34 cannot create the table: 0011 leaves it out instead of
    failing, and the app's searches scan."""
    import sqlite3

    real_connect = sqlite3.connect

    class NoTrigrams:
        def execute(self, _sql: str) -> None:
            raise sqlite3.OperationalError("no such tokenizer: trigram")

        def close(self) -> None:
            pass

    monkeypatch.setattr(sqlite3, "connect", lambda database, *args, **kwargs: NoTrigrams()
                        if database == ":memory:" else real_connect(database, *args, **kwargs))
    app = _app(empty_database_url)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            search_tables = connection.execute(text(
                "SELECT name FROM sqlite_master WHERE name LIKE 'leads_search%'")).all()
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert search_tables == [] and revision >= "0011"
