"""The audit command: print the log of writes, newest first, filtered."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from ..access import audit


@click.command("audit")
@with_appcontext
@click.option(
    "--action", default=None, help="Only actions starting with this, e.g. post. or token.revoked"
)
@click.option(
    "--actor", default=None, help="Only actors containing this, e.g. an operator's address."
)
@click.option("--target", default=None, help="Only targets containing this, e.g. 'post 12'.")
@click.option(
    "--since", type=click.DateTime(), default=None, help="Only entries from then on (UTC)."
)
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
def audit_command(
    action: str | None, actor: str | None, target: str | None, since: datetime | None, limit: int
) -> None:
    """Print the audit log: when, actor, action, target, client address, detail."""
    moment = since.replace(tzinfo=UTC) if since else None
    for entry in audit.entries(action, actor, target, moment, limit):
        cells = [f"{entry.at:%Y-%m-%d %H:%M:%S}", entry.actor, entry.action, entry.target]
        cells += [entry.address or "-", entry.detail]
        click.echo("  ".join(cells).rstrip())
