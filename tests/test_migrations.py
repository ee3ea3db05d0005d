"""The Alembic migrations build the schema and reference data on an empty database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import create_engine, func, select, text

from leadapp import create_app
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
        db.session.add(Pipeline(name="Partners", is_default=False,
                                stages=[Stage(name="Won", kind="won"), Stage(name="Lost", kind="lost")]))
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
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.session.remove()
        db.engine.dispose()
    assert diff == []
