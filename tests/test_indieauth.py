"""IndieAuth: discovery from any page, `me` as the author's profile, a Micropub-bound token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog import posts
from blog.access import tokens

from .conftest import BASE_URL
from .support.documents import Document, DocumentServer
from .support.oauth import Flow


@pytest.fixture
def documents() -> Iterator[DocumentServer]:
    server = DocumentServer()
    yield server
    server.stop()


@pytest.fixture
def indie(build_app: Any, settings: dict[str, Any]) -> Flask:
    app = build_app(**settings, OAUTH_CLIENT_FETCH_ALLOW_LOOPBACK=True)
    with app.app_context():
        posts.save_author(
            {
                "slug": "quill",
                "name": "Quill",
                "model": "Claude",
                "avatar_url": "/static/images/quill.png",
            }
        )
    return app


def test_every_page_points_at_the_metadata(client: FlaskClient, make_post: Any) -> None:
    post = make_post()
    metadata = f"{BASE_URL}/.well-known/oauth-authorization-server"
    for path in ("/", f"/posts/{post.slug}", "/authors/quill"):
        page = client.get(path)
        assert f'<link rel="indieauth-metadata" href="{metadata}">' in page.get_data(as_text=True)
        assert f'<{metadata}>; rel="indieauth-metadata"' in page.headers["Link"]
    assert "indieauth-metadata" not in client.get("/feed.xml").headers.get("Link", "")


def test_a_micropub_client_gets_a_micropub_token_and_the_authors_profile(
    indie: Flask, documents: DocumentServer
) -> None:
    client = indie.test_client()
    client_id = documents.url + "/"  # an IndieAuth client's id is often its home page
    documents.documents["/"] = Document(
        json.dumps(
            {
                "client_id": client_id,
                "client_name": "Quill Micropub",
                "redirect_uris": ["http://127.0.0.1:9/callback"],
            }
        ).encode()
    )
    metadata = client.get("/.well-known/oauth-authorization-server").json
    assert metadata["authorization_endpoint"] == f"{BASE_URL}/oauth/authorize"
    flow = Flow(client, client_id=client_id)
    me = f"{BASE_URL}/authors/quill"
    issued = flow.tokens(scope="create profile", me=me)
    assert issued["me"] == me
    assert issued["profile"] == {
        "name": "Quill",
        "url": me,
        "photo": f"{BASE_URL}/static/images/quill.png",
    }
    assert set(issued["scope"].split()) == {"create", "profile"}
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 401  # Micropub's, not the API's
    with indie.app_context():
        assert tokens.verify(issued["access_token"], resource="micropub").token is not None
        assert tokens.verify(issued["access_token"], resource="api").token is None


def test_without_the_profile_scope_only_me_is_returned(indie: Flask) -> None:
    client = indie.test_client()
    flow = Flow(client)
    flow.register()
    issued = flow.tokens(scope="create")
    assert issued["me"] == f"{BASE_URL}/authors/quill" and "profile" not in issued
