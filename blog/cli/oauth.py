"""`flask --app blog oauth …`: resource servers (blog-mcp), grants and clients."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..access import oauth, oauth_clients

oauth_group = AppGroup("oauth", help="The authorization server's clients.")


@oauth_group.command("resource-server")
@click.argument("resource", type=click.Choice(["mcp", "micropub"]))
def resource_server_command(resource: str) -> None:
    """Register a resource server; print its client id and secret (shown once)."""
    client, secret = oauth_clients.register_resource_server(resource)
    click.echo(f"BLOG_MCP_CLIENT_ID={client.client_id}")
    click.echo(f"BLOG_MCP_CLIENT_SECRET={secret}")


@oauth_group.command("grants")
def grants_command() -> None:
    """List every grant: client, author, scopes, resource, who approved it, and its state."""
    for grant in oauth.all_grants():
        state = "revoked" if grant.revoked_at else "active"
        click.echo(
            f"{grant.id}\t{state}\t{grant.client.name or grant.client.client_id}\t"
            f"{grant.author.slug}\t{grant.resource}\t{grant.scopes}\t{grant.approved_by}"
        )


@oauth_group.command("revoke")
@click.argument("grant_id", type=int)
def revoke_command(grant_id: int) -> None:
    """Revoke a grant: its tokens stop working at their next request."""
    if not oauth.revoke_grant(grant_id, "revoked by the operator (CLI)"):
        raise click.ClickException(f"no active grant {grant_id}")
    click.echo(f"Revoked grant {grant_id}")


@oauth_group.command("clients")
def clients_command() -> None:
    """List every known client."""
    for client in oauth_clients.all_clients():
        click.echo(f"{client.id}\t{client.kind}\t{client.name}\t{client.client_id}")


@oauth_group.command("remove-client")
@click.argument("client_id", type=int)
def remove_client_command(client_id: int) -> None:
    """Forget a client with its grants and tokens."""
    if not oauth_clients.remove(client_id):
        raise click.ClickException(f"no client {client_id}")
    click.echo(f"Removed client {client_id}")
