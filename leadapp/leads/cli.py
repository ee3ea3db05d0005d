"""`flask search rebuild`: SQLite's lead search table, built again from the leads."""

from __future__ import annotations

import sqlite3
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
    if not search_index.trigrams_supported():
        raise click.ClickException(
            f"This SQLite ({sqlite3.sqlite_version}) has no FTS5 trigram tokenizer (it needs "
            "3.34 or newer, built with FTS5): searches scan the leads instead.")
    started = time.perf_counter()
    indexed = search_index.rebuild()
    db.session.commit()
    noun = "lead" if indexed == 1 else "leads"
    click.echo(f"Indexed {indexed:,} {noun} in {time.perf_counter() - started:.1f} s.")
