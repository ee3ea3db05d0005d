"""`flask` commands (DESIGN §5): users, tokens, demo data; the search index."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from .auth.cli import tokens_cli, users_cli
    from .demo import demo_cli
    from .leads.cli import search_cli

    for group in (users_cli, tokens_cli, demo_cli, search_cli):
        app.cli.add_command(group)
