"""End to end: the MCP SDK's own OAuth client connects to blog-mcp --http in front of a live
gunicorn; Chromium plays the operator at the consent page; revoking the grant ends it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from blog.extensions import db
from blog.models import OAuthGrant

from .support.agents import (
    Callback,
    blog_with_mcp,
    check_published_and_revoke,
    connect_and_publish,
    in_own_loop,
)
from .support.documents import Document, DocumentServer
from .support.oauth import Flow
from .support.tls import self_signed, server_context

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_mcp_client_registered_dynamically_connects_publishes_and_is_revoked(
    tmp_path: Path,
) -> None:
    callback = Callback()
    with blog_with_mcp(tmp_path) as stack:
        tokens = in_own_loop(connect_and_publish(stack.app, stack.mcp_url, None, callback))
        check_published_and_revoke(stack.app, stack.blog_url, stack.mcp_url, tokens.access_token)


def test_without_a_token_blog_mcp_answers_401_with_its_resource_metadata(tmp_path: Path) -> None:
    with blog_with_mcp(tmp_path) as stack:
        blog_url, mcp_url = stack.blog_url, stack.mcp_url
        answer = requests.post(mcp_url, json={}, timeout=30)
        assert answer.status_code == 401
        challenge = answer.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer") and "resource_metadata=" in challenge
        metadata_url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
        metadata = requests.get(metadata_url, timeout=30).json()
        assert metadata["resource"] == mcp_url
        assert metadata["authorization_servers"] == [blog_url] or metadata[
            "authorization_servers"
        ] == [blog_url + "/"]
        # A token the blog issued for its JSON API is not one for this endpoint.
        flow = Flow(stack.app.test_client())
        with stack.app.app_context():
            flow.register()
            api_token = flow.tokens(resource=f"{stack.app.config['BASE_URL']}/api/v1")
        headers = {"Authorization": f"Bearer {api_token['access_token']}"}
        assert requests.post(mcp_url, json={}, headers=headers, timeout=30).status_code == 401


def test_an_mcp_client_known_by_its_metadata_document_connects_and_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    documents = DocumentServer(tls=server_context(cert, key))
    callback = Callback()
    client_id = documents.url + "/agent/client.json"
    document = {
        "client_id": client_id,
        "client_name": "Hosted agent",
        "redirect_uris": [callback.url],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    documents.documents["/agent/client.json"] = Document(json.dumps(document).encode())
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # gunicorn trusts the test's own CA
    try:
        with blog_with_mcp(tmp_path, OAUTH_CLIENT_FETCH_ALLOW_LOOPBACK="true") as stack:
            app, blog_url, mcp_url = stack.app, stack.blog_url, stack.mcp_url
            tokens = in_own_loop(connect_and_publish(app, mcp_url, client_id, callback))
            with app.app_context():
                grant = db.session.scalar(select(OAuthGrant))
                assert grant.client.client_id == client_id and grant.client.kind == "cimd"
            assert documents.hits["/agent/client.json"] >= 1
            check_published_and_revoke(app, blog_url, mcp_url, tokens.access_token)
    finally:
        documents.stop()
