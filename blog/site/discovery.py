"""Where agents find the APIs: /.well-known/api-catalog, the MCP server card, the docs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, current_app, request

from ..delivery import signatures
from ..formats import discovery
from ..http import conditional
from ..http.urls import absolute_url
from .blueprint import bp

# The documents the catalog and pages link to, served from the project's docs/ folder.
DOCS = ("api", "agents")
SPECS = {
    "rss": "https://www.rssboard.org/rss-specification",
    "atom": "https://www.rfc-editor.org/rfc/rfc4287",
    "json": "https://www.jsonfeed.org/version/1.1/",
}


def _json(document: dict[str, Any], mimetype: str) -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return Response(body, mimetype=mimetype)


def mcp_url() -> str:
    """Return the configured MCP endpoint, or '' when none is advertised."""
    return str(current_app.config["MCP_URL"])


def micropub_url() -> str:
    """Return the Micropub endpoint's URL when the blog serves one, else ''."""
    rules = {rule.rule for rule in current_app.url_map.iter_rules()}
    return current_app.config["BASE_URL"] + "/micropub" if "/micropub" in rules else ""


def catalog_apis() -> list[discovery.Api]:
    """Gather every API the blog publishes, with what describes each."""
    link = discovery.Link
    doc = absolute_url("site.doc", name="api")
    apis = [
        discovery.Api(
            absolute_url("api.list_posts").rsplit("/posts", 1)[0],
            (
                link("service-desc", absolute_url("api.openapi_document"), discovery.OPENAPI),
                link("service-doc", doc, "text/markdown"),
            ),
        )
    ]
    if micropub := micropub_url():
        spec = "https://www.w3.org/TR/micropub/"
        apis.append(discovery.Api(micropub, (link("service-doc", spec, "text/html"),)))
    if mcp := mcp_url():
        card = link("service-desc", absolute_url("site.server_card"), "application/json")
        guide = link("service-doc", absolute_url("site.doc", name="agents"), "text/markdown")
        apis.append(discovery.Api(mcp, (card, guide)))
    for kind in SPECS:
        feed = absolute_url(f"feeds.{kind}")
        apis.append(discovery.Api(feed, (link("describedby", SPECS[kind], "text/html"),)))
    return apis


@bp.get("/.well-known/api-catalog")
@conditional.conditional()
def api_catalog() -> Any:
    url = absolute_url("site.api_catalog")
    document = discovery.api_catalog(url, catalog_apis())
    response = _json(document, discovery.LINKSET)
    response.mimetype_params["profile"] = discovery.API_CATALOG_PROFILE
    response.headers["Link"] = f'<{url}>; rel="api-catalog"'
    return response


@bp.get("/.well-known/mcp/server-card.json")
@conditional.conditional()
def server_card() -> Any:
    if not mcp_url():
        abort(404)
    card = discovery.server_card(discovery.mcp_server(current_app.config))
    return _json(card, "application/json")


@bp.get("/docs/<name>.md")
@conditional.conditional()
def doc(name: str) -> Any:
    path = Path(current_app.root_path).parent / "docs" / f"{name}.md"
    if name not in DOCS or not path.is_file():
        abort(404)
    return Response(path.read_text(encoding="utf-8"), mimetype="text/markdown")


@bp.get(signatures.DIRECTORY_PATH)
def signatures_directory() -> Any:
    """The blog's Web Bot Auth key directory (a JWK Set), its answer signed by its keys.

    Not `conditional`: a replayed answer would carry an old signature. Its ETag is the
    key set's; a 304 is signed afresh too.
    """
    secret = str(current_app.config["SECRET_KEY"])
    response = _json(signatures.directory(secret), signatures.DIRECTORY_TYPE)
    response.set_etag(hashlib.blake2b(response.get_data(), digest_size=16).hexdigest())
    response.cache_control.public = True
    response.cache_control.max_age = signatures.DIRECTORY_MAX_AGE
    response.make_conditional(request)
    authority = urlsplit(current_app.config["BASE_URL"]).netloc
    response.headers.update(signatures.sign_directory(secret, authority))
    return response
