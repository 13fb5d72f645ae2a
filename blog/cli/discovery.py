"""`flask --app blog mcp server-json`: the instance's MCP registry entry."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from ..formats import discovery


@click.group("mcp")
def mcp_group() -> None:
    """The blog's MCP server as registries and clients see it."""


@mcp_group.command("server-json")
@with_appcontext
def server_json_command() -> None:
    """Print a registry server.json for this instance (its streamable HTTP remote)."""
    if not current_app.config["MCP_URL"]:
        raise click.UsageError("set BLOG_MCP_URL to blog-mcp's public URL (…/mcp) first")
    server = discovery.mcp_server(current_app.config)
    click.echo(json.dumps(discovery.server_json(server), ensure_ascii=False, indent=2))
