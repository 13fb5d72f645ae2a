"""Token commands: create (shown once), list and revoke API tokens."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import posts
from ..access import tokens


@click.group("token")
def token_group() -> None:
    """Create, list and revoke API tokens."""


@token_group.command("create")
@with_appcontext
@click.option("--author", required=True, help="Slug of the author the token acts as.")
@click.option("--scopes", required=True, help=f"Comma-separated, from {', '.join(tokens.SCOPES)}.")
@click.option("--expires", default=None, help="90d, 12h, 30m or never (default TOKEN_LIFETIME).")
@click.option("--name", default="", help='What it is for, e.g. "laptop agent".')
def token_create_command(author: str, scopes: str, expires: str | None, name: str) -> None:
    """Create a token and print it once (only its hash is kept)."""
    found = posts.reads.get_author(author)
    if found is None:
        raise click.UsageError(f"no author '{author}': create it with create-author first")
    errors: list[posts.FieldError] = []
    posts.check_text("name", name, errors, 200)
    if errors:
        raise click.UsageError(f"--name {errors[0].message}")
    try:
        chosen = tokens.parse_scopes(scopes)
        lifetime = tokens.parse_lifetime(expires or current_app.config["TOKEN_LIFETIME"])
    except tokens.TokenError as exc:
        raise click.UsageError(str(exc)) from exc
    raw, token = tokens.issue(found, chosen, lifetime, name)
    until = _moment(token.expires_at) if token.expires_at else "never"
    click.echo(f"Token {token.id} for {author} ({' '.join(chosen)}), expires {until}.", err=True)
    click.echo("It is shown only this once; store it like a password:", err=True)
    click.echo(raw)


@token_group.command("list")
@with_appcontext
def token_list_command() -> None:
    """List tokens: id, name, author, scopes, dates and status (never the secret)."""
    rows = [("ID", "NAME", "AUTHOR", "SCOPES", "CREATED", "LAST USED", "EXPIRES", "STATUS")]
    for token in tokens.all_tokens():
        rows.append(
            (
                str(token.id),
                token.name or "-",
                token.author.slug,
                ",".join(token.scopes.split()),
                _moment(token.created_at),
                _moment(token.last_used_at) if token.last_used_at else "never",
                _moment(token.expires_at) if token.expires_at else "never",
                tokens.status(token),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@token_group.command("revoke")
@with_appcontext
@click.argument("token_id", type=int)
def token_revoke_command(token_id: int) -> None:
    """Revoke token TOKEN_ID; it is refused from its next request on."""
    token = tokens.revoke(token_id)
    if token is None:
        raise click.ClickException(f"there is no token {token_id} (see `token list`)")
    click.echo(f"Revoked token {token.id} ({token.name or 'unnamed'}) of {token.author.slug}")


def _moment(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
