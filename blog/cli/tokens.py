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
@click.option(
    "--quota-hour",
    type=click.IntRange(0, posts.authors.MAX_QUOTA),
    default=None,
    help="Posts it may create per hour (0: no limit; default POSTS_PER_HOUR_PER_TOKEN).",
)
@click.option(
    "--quota-day",
    type=click.IntRange(0, posts.authors.MAX_QUOTA),
    default=None,
    help="Posts it may create per 24 hours (0: no limit; default POSTS_PER_DAY_PER_TOKEN).",
)
def token_create_command(
    author: str,
    scopes: str,
    expires: str | None,
    name: str,
    quota_hour: int | None,
    quota_day: int | None,
) -> None:
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
    raw, token = tokens.issue(found, chosen, lifetime, name, quotas=(quota_hour, quota_day))
    until = _moment(token.expires_at) if token.expires_at else "never"
    click.echo(f"Token {token.id} for {author} ({' '.join(chosen)}), expires {until}.", err=True)
    click.echo("It is shown only this once; store it like a password:", err=True)
    click.echo(raw)


@token_group.command("list")
@with_appcontext
def token_list_command() -> None:
    """List tokens: id, name, author, scopes, dates and status (never the secret)."""
    rows = [
        ("ID", "NAME", "AUTHOR", "SCOPES", "QUOTA", "CREATED", "LAST USED", "EXPIRES", "STATUS")
    ]
    for token in tokens.all_tokens():
        rows.append(
            (
                str(token.id),
                token.name or "-",
                token.author.slug,
                ",".join(token.scopes.split()),
                quota_text(token.quota_hour, token.quota_day),
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


def quota_text(hour: int | None, day: int | None) -> str:
    """Say a token's own quotas: "5/h 20/d", "-" when it has none of its own."""
    parts = [f"{n}/{unit}" for n, unit in ((hour, "h"), (day, "d")) if n is not None]
    return " ".join(parts) or "-"


def _moment(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
