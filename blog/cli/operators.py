"""Operator commands: create, list, disable and reset the password of /admin's operators."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..access import operators


@click.group("operator")
def operator_group() -> None:
    """Create, list, disable operators and reset their passwords."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


@operator_group.command("create")
@with_appcontext
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def operator_create_command(email: str, password_stdin: bool) -> None:
    """Create an operator who can sign in at /admin/login."""
    try:
        operator = operators.create(email, _password(password_stdin))
    except operators.OperatorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created operator {operator.email}; sign in at /admin/login")


@operator_group.command("list")
@with_appcontext
def operator_list_command() -> None:
    """List operators: address, created, last sign-in, status."""
    for operator in operators.all_operators():
        last = operator.last_sign_in_at
        click.echo(
            "  ".join(
                (
                    operator.email,
                    f"created {operator.created_at:%Y-%m-%d %H:%M} UTC",
                    f"last sign-in {last:%Y-%m-%d %H:%M} UTC" if last else "never signed in",
                    "disabled" if operator.disabled_at else "active",
                )
            )
        )


@operator_group.command("disable")
@with_appcontext
@click.argument("email")
def operator_disable_command(email: str) -> None:
    """Disable an operator: they are signed out and can no longer sign in."""
    if operators.disable(email) is None:
        raise click.ClickException(f"there is no operator {email} (see `operator list`)")
    click.echo(f"Disabled {operators.normalize_email(email)}; their sessions have ended")


@operator_group.command("reset-password")
@with_appcontext
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def operator_reset_command(email: str, password_stdin: bool) -> None:
    """Set a new password for an operator; their sessions end."""
    if operators.find(email) is None:
        raise click.ClickException(f"there is no operator {email} (see `operator list`)")
    try:
        operators.reset_password(email, _password(password_stdin))
    except operators.OperatorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"New password set for {operators.normalize_email(email)}; their sessions ended")
