"""`flask search rebuild`: SQLite's lead search table, built again from the leads."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from ..extensions import db
from . import search_index

search_cli = AppGroup("search", help="The lead search index (SQLite).")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Index every lead again, creating the search table and its triggers if missing."""
    if db.engine.dialect.name != "sqlite":
        click.echo(f"{db.engine.dialect.name} keeps its trigram indexes itself: "
                   "nothing to rebuild.")
        return
    started = time.perf_counter()
    indexed = search_index.rebuild()
    db.session.commit()
    noun = "lead" if indexed == 1 else "leads"
    click.echo(f"Indexed {indexed:,} {noun} in {time.perf_counter() - started:.1f} s.")
