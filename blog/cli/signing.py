"""Signed posts from the command line: rotate an author's key, verify a post anywhere."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import posts
from ..access import keys
from ..delivery import verify as verifier
from ..extensions import db, write_transaction
from ..models import utcnow


@click.group("author")
def author_group() -> None:
    """Manage authors' signing keys."""


@author_group.command("rotate-key")
@with_appcontext
@click.argument("slug")
def rotate_key_command(slug: str) -> None:
    """Retire SLUG's signing key and make a new one; what the old key signed still verifies."""
    found = posts.reads.get_author(slug)
    if found is None:
        raise click.UsageError(f"there is no author '{slug}'")
    with write_transaction():
        author = db.session.merge(found)
        made = keys.rotate(author)
        author.updated_at = utcnow()  # the DID document changed: a new validator for it
    click.echo(f"New key for {slug}: {made.thumbprint} (older keys retired, still listed)")


@click.command("verify")
@with_appcontext
@click.argument("url")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds per request.")
def verify_command(url: str, timeout: float) -> None:
    """Fetch a post's markdown, its .md.jws and the signer's DID document; say if they match."""
    loopback = bool(current_app.config["FETCH_ALLOW_LOOPBACK"])
    try:
        found = verifier.verify(url, timeout, loopback)
    except verifier.NotVerified as exc:
        raise click.ClickException(f"NOT VERIFIED: {exc}") from None
    state = "a retired key" if found.retired else "the current key"
    click.echo(f"VERIFIED: {found.markdown_url} is signed by {found.did} ({state} {found.kid})")
