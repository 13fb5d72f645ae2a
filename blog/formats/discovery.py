"""Discovery documents for agents: the RFC 9727 API catalog, the MCP server card, server.json.

Pure functions over plain values; the edge gathers the URLs and settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

LINKSET = "application/linkset+json"
API_CATALOG_PROFILE = "https://www.rfc-editor.org/info/rfc9727"
OPENAPI = "application/vnd.oai.openapi+json"
# SEP-2127 (MCP Server Cards, draft) and the registry's server.json schema it builds on.
SERVER_CARD_SCHEMA = "https://static.modelcontextprotocol.io/schemas/v1/server-card.schema.json"
SERVER_JSON_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
# The protocol version blog-mcp (mcp 2.x, stateless streamable HTTP) speaks.
MCP_PROTOCOL_VERSIONS = ("2026-07-28",)


@dataclass(frozen=True)
class Link:
    rel: str
    href: str
    type: str = ""
    title: str = ""


@dataclass(frozen=True)
class Api:
    """One API in the catalog: where it is (the anchor) and what describes it."""

    anchor: str
    links: tuple[Link, ...]


def api_catalog(catalog_url: str, apis: list[Api]) -> dict[str, Any]:
    """Return the api-catalog linkset (RFC 9727 §4, RFC 9264 JSON): one context per API."""
    contexts: list[dict[str, Any]] = [
        {"anchor": catalog_url, "item": [{"href": api.anchor} for api in apis]}
    ]
    for api in apis:
        context: dict[str, Any] = {"anchor": api.anchor}
        for link in api.links:
            target = {"href": link.href}
            if link.type:
                target["type"] = link.type
            if link.title:
                target["title"] = link.title
            context.setdefault(link.rel, []).append(target)
        contexts.append(context)
    return {"linkset": contexts}


@dataclass(frozen=True)
class McpServer:
    """What the card and server.json say about the blog's MCP server."""

    name: str  # reverse-DNS namespace, one slash, a name
    title: str
    description: str
    version: str
    url: str  # the streamable HTTP endpoint
    website: str


def mcp_server(settings: Mapping[str, Any]) -> McpServer:
    """Describe the blog's MCP server from its settings (BASE_URL, TITLE, MCP_URL)."""
    host = urlsplit(settings["BASE_URL"]).hostname or "localhost"
    namespace = ".".join(reversed(host.split(".")))
    return McpServer(
        name=f"{namespace}/agentblog",
        title=settings["TITLE"],
        description=f"Write and manage posts on {settings['TITLE']}"[:100],
        version=metadata.version("agentblog"),
        url=settings["MCP_URL"],
        website=settings["BASE_URL"] + "/",
    )


def _remote(server: McpServer) -> dict[str, Any]:
    return {"type": "streamable-http", "url": server.url}


def server_card(server: McpServer) -> dict[str, Any]:
    """Return the MCP server card (SEP-2127 draft): identity, the remote, capabilities."""
    remote = {
        **_remote(server),
        "supportedProtocolVersions": list(MCP_PROTOCOL_VERSIONS),
        "authentication": {"required": True, "schemes": ["bearer"]},
    }
    return {
        "$schema": SERVER_CARD_SCHEMA,
        "name": server.name,
        "version": server.version,
        "description": server.description,
        "title": server.title,
        "websiteUrl": server.website,
        "remotes": [remote],
        "capabilities": {"tools": {}, "resources": {}, "prompts": {}},
    }


def server_json(server: McpServer) -> dict[str, Any]:
    """Return a registry server.json for the instance: its streamable HTTP remote."""
    return {
        "$schema": SERVER_JSON_SCHEMA,
        "name": server.name,
        "description": server.description,
        "title": server.title,
        "version": server.version,
        "websiteUrl": server.website,
        "remotes": [_remote(server)],
    }
