"""leadapp: lead management for small sales and marketing teams."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errors, input_guard, notifications, security, webhooks
from .config import INSTANCE_DIR, Config, check_secret
from .extensions import csrf, db, htmx, limiter, login_manager, migrate


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_path=str(INSTANCE_DIR))
    app.config.from_object(Config)
    app.config.update(overrides or {})
    check_secret(app.config)
    _bind_extensions(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    errors.register(app)
    input_guard.register(app)
    security.register(app)
    notifications.register(app)
    webhooks.register(app)
    from . import cli

    cli.register(app)
    if app.config.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore
    return app


def _bind_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (every model registered before Alembic or create_all)

    for ext in (db, csrf, htmx, login_manager, limiter):
        ext.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)


SQLITE_MMAP_BYTES = 1 << 30


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on (as Postgres), WAL for concurrent readers, a busy timeout, temporary
    storage in memory, and reads through a memory map: a filter that looks up thousands of
    leads by id would otherwise copy each page from the OS cache with a read() call (a tag
    filter's count at 100k leads: 31 -> 14 ms). The map is shared by every connection and
    process and bounded by the file's size."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    # Statement journals and sorts in memory rather than temp files: each multi-row INSERT of
    # an import otherwise copied every index page it touched to disk first (~400 MB per
    # 100,000 rows; the import 15.2 -> 13.2 s), and the list's and report's sorts avoid the
    # file too. They are bounded by a page of rows or a batch, not by the table.
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _register_blueprints(app: Flask) -> None:
    from .api.admin_routes import bp as api_admin_bp
    from .api.routes import bp as api_bp
    from .assignment.routes import bp as assignment_bp
    from .auth.routes import bp as auth_bp
    from .auth.team_routes import bp as teams_bp
    from .auth.user_routes import bp as users_bp
    from .capture.api import bp as capture_api_bp
    from .capture.public import bp as capture_public_bp
    from .capture.routes import bp as capture_bp
    from .companies.routes import companies_bp, contacts_bp, opportunities_bp
    from .custom_fields.routes import bp as custom_fields_bp
    from .custom_fields.routes import lead_bp as lead_custom_fields_bp
    from .dashboard.routes import bp as dashboard_bp
    from .imports.routes import bp as imports_bp
    from .leads import list_routes as _lead_list_routes  # noqa: F401  (the lead list)
    from .leads import routes as _lead_routes  # noqa: F401  (views on the leads blueprint)
    from .leads.blueprint import bp as leads_bp
    from .notifications.routes import bp as notifications_bp
    from .pipeline.routes import bp as pipeline_bp
    from .reports.routes import bp as reports_bp
    from .reports.spend_routes import bp as spend_bp
    from .settings.routes import bp as settings_bp
    from .sources.campaign_routes import bp as campaigns_bp
    from .sources.routes import bp as sources_bp
    from .webhooks.routes import bp as webhooks_bp

    for blueprint in (auth_bp, dashboard_bp, leads_bp, users_bp, teams_bp, settings_bp,
                      sources_bp, campaigns_bp, api_bp, api_admin_bp, pipeline_bp,
                      capture_bp, capture_public_bp, capture_api_bp, imports_bp,
                      companies_bp, contacts_bp, opportunities_bp,
                      reports_bp, spend_bp, notifications_bp, assignment_bp,
                      custom_fields_bp, lead_custom_fields_bp,
                      webhooks_bp):
        app.register_blueprint(blueprint)


def _register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from .auth.permissions import can
    from .navigation import nav_items

    @app.context_processor
    def inject_helpers() -> dict[str, Any]:
        return {"can": lambda action: can(current_user, action), "nav_items": nav_items}


__all__ = ["create_app"]
