"""`flask users create` and `flask tokens create`."""

from __future__ import annotations

from typing import NoReturn

import click
from flask.cli import AppGroup

from ..errors import DomainError
from . import services
from .models import Role

users_cli = AppGroup("users", help="Manage users.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")


def _fail(message: str) -> NoReturn:
    """Print `Error: message` on stderr and exit with status 1."""
    raise click.ClickException(message)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True,
              help=f"At least {services.MIN_PASSWORD_LENGTH} characters.")
@click.option("--role", required=True,
              type=click.Choice([role.value for role in Role], case_sensitive=False))
@click.option("--name", default="", help="The person's name (shown in the app).")
def create_user(email: str, password: str, role: str, name: str) -> None:
    """Create an active user with a role."""
    try:
        user = services.create_user(email, password, role, name)
    except DomainError as error:
        _fail(error.message)
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@tokens_cli.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What the token is for.")
def create_token(email: str, name: str) -> None:
    """Create an API token and print it alone on stdout (it is shown only once)."""
    user = services.find_user_by_email(email)
    if user is None:
        _fail(f"No user with the email {email}.")
    if not user.active:
        _fail(f"The user {email} is deactivated.")
    try:
        _, plain = services.issue_token(user, name)
    except DomainError as error:
        _fail(error.message)
    click.echo(plain)
