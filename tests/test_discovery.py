"""Discovery documents: the RFC 9727 API catalog, the MCP server card, server.json, llms.txt."""

from __future__ import annotations

import json
from typing import Any

from .conftest import BASE_URL

MCP = "https://mcp.blog.example/mcp"


def catalog(client: Any) -> tuple[Any, dict[str, Any]]:
    response = client.get("/.well-known/api-catalog")
    assert response.status_code == 200
    return response, response.get_json(force=True)


def contexts(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Check RFC 9264's JSON shape (contexts with an anchor, targets with an href)."""
    assert set(document) == {"linkset"} and isinstance(document["linkset"], list)
    found = {}
    for context in document["linkset"]:
        anchor = context["anchor"]
        assert anchor.startswith("https://"), anchor
        for rel, targets in context.items():
            if rel != "anchor":
                assert isinstance(targets, list) and targets, rel
                assert all(t["href"].startswith("https://") for t in targets), targets
        found[anchor] = context
    return found


def test_the_api_catalog_follows_rfc_9727(client) -> None:
    response, document = catalog(client)
    # §4.2: the linkset media type with the RFC's profile; §2: the api-catalog relation.
    assert response.mimetype == "application/linkset+json"
    assert response.mimetype_params["profile"] == "https://www.rfc-editor.org/info/rfc9727"
    url = f"{BASE_URL}/.well-known/api-catalog"
    assert f'<{url}>; rel="api-catalog"' in response.headers["Link"]
    head = client.head("/.well-known/api-catalog")
    assert head.status_code == 200 and 'rel="api-catalog"' in head.headers["Link"]
    found = contexts(document)
    items = {item["href"] for item in found[url]["item"]}
    api = found[f"{BASE_URL}/api/v1"]
    assert api["service-desc"] == [
        {"href": f"{BASE_URL}/openapi.json", "type": "application/vnd.oai.openapi+json"}
    ]
    assert api["service-doc"][0]["href"] == f"{BASE_URL}/docs/api.md"
    feeds = {f"{BASE_URL}/feed.xml", f"{BASE_URL}/atom.xml", f"{BASE_URL}/feed.json"}
    assert feeds <= set(found) and feeds <= items and f"{BASE_URL}/api/v1" in items
    assert MCP not in found  # none configured
    assert client.get("/.well-known/mcp/server-card.json").status_code == 404
    for target in (api["service-desc"][0]["href"], api["service-doc"][0]["href"]):
        assert client.get(target.removeprefix(BASE_URL)).status_code == 200, target


def test_with_an_mcp_url_the_card_and_catalog_name_it(settings, build_app) -> None:
    client = build_app(**settings, MCP_URL=MCP).test_client()
    _, document = catalog(client)
    mcp = contexts(document)[MCP]
    card_url = f"{BASE_URL}/.well-known/mcp/server-card.json"
    assert mcp["service-desc"] == [{"href": card_url, "type": "application/json"}]
    card = client.get("/.well-known/mcp/server-card.json").get_json()
    # SEP-2127's required fields: $schema, name (reverse DNS, one slash), version, capabilities.
    assert card["$schema"].startswith("https://static.modelcontextprotocol.io/schemas/")
    assert card["name"] == "example.blog/agentblog" and card["name"].count("/") == 1
    assert card["version"] and isinstance(card["capabilities"], dict)
    [remote] = card["remotes"]
    assert remote == {
        "type": "streamable-http",
        "url": MCP,
        "supportedProtocolVersions": ["2026-07-28"],
        "authentication": {"required": True, "schemes": ["bearer"]},
    }
    llms = client.get("/llms.txt").get_data(as_text=True)
    for url in (MCP, card_url, f"{BASE_URL}/.well-known/api-catalog", f"{BASE_URL}/docs/agents.md"):
        assert f"({url})" in llms, url


def test_llms_txt_names_the_catalog_without_an_mcp_server(client) -> None:
    llms = client.get("/llms.txt").get_data(as_text=True)
    assert f"({BASE_URL}/.well-known/api-catalog)" in llms
    assert "server-card" not in llms


def test_server_json_prints_the_registry_entry(settings, build_app) -> None:
    runner = build_app(**settings, MCP_URL=MCP).test_cli_runner()
    result = runner.invoke(args=["mcp", "server-json"])
    assert result.exit_code == 0, result.output
    server = json.loads(result.output)
    assert server["$schema"].endswith("/server.schema.json")
    assert server["name"] == "example.blog/agentblog" and server["description"]
    assert server["version"] == "0.1.0"
    assert server["remotes"] == [{"type": "streamable-http", "url": MCP}]


def test_server_json_without_an_mcp_url_says_what_to_set(runner) -> None:
    result = runner.invoke(args=["mcp", "server-json"])
    assert result.exit_code != 0 and "BLOG_MCP_URL" in result.output


def test_only_the_known_docs_are_served(client) -> None:
    assert client.get("/docs/agents.md").mimetype == "text/markdown"
    for name in ("security", "..%2Fpyproject", "nope"):
        assert client.get(f"/docs/{name}.md").status_code == 404
