"""`flask --app blog oauth resource-server mcp`: credentials for blog-mcp --http."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..access import oauth_clients

oauth_group = AppGroup("oauth", help="The authorization server's clients.")


@oauth_group.command("resource-server")
@click.argument("resource", type=click.Choice(["mcp", "micropub"]))
def resource_server_command(resource: str) -> None:
    """Register a resource server; print its client id and secret (shown once)."""
    client, secret = oauth_clients.register_resource_server(resource)
    click.echo(f"BLOG_MCP_CLIENT_ID={client.client_id}")
    click.echo(f"BLOG_MCP_CLIENT_SECRET={secret}")
