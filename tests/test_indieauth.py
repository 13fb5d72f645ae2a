"""IndieAuth: discovery from any page, `me` as the author's profile, a Micropub-bound token."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import mf2py
import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog import posts
from blog.access import tokens

from .conftest import BASE_URL
from .support.documents import Document, DocumentServer
from .support.micropub import Micropub
from .support.oauth import REDIRECT, Flow
from .support.receiver import blog_keys, check_signed


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


def test_a_micropub_client_signs_in_with_indieauth_and_publishes(
    indie: Flask, documents: DocumentServer
) -> None:
    """The whole way: client metadata, PKCE with `me`, the operator's consent, then Micropub."""
    client = indie.test_client()
    client_id = documents.url + "/app"
    metadata = {"client_id": client_id, "client_name": "Notes", "redirect_uris": [REDIRECT]}
    documents.documents["/app"] = Document(json.dumps(metadata).encode())
    me = f"{BASE_URL}/authors/quill"
    flow = Flow(client, client_id=client_id)
    assert flow.consent_page(scope="create update", me=me).status_code == 200  # /admin/login
    issued = flow.tokens(scope="create update", me=me)
    assert issued["me"] == me and issued["token_type"].lower() == "bearer"
    # The blog fetched the client's document with a signed (Web Bot Auth) request.
    [(path, headers)] = {(p, tuple(h.items())) for p, h in documents.received}
    check_signed("GET", client_id, dict(headers), blog_keys(client))
    mp = Micropub(client, issued["access_token"])
    by_form = mp.create(data={"h": "entry", "name": "By form", "content": "Sent as a form."})
    by_json = mp.create(
        json={"type": ["h-entry"], "properties": {"name": ["By JSON"], "content": ["As JSON."]}}
    )
    for url, name, text in (
        (by_form, "By form", "Sent as a form."),
        (by_json, "By JSON", "As JSON."),
    ):
        page = client.get(urlsplit(url).path)
        document = mf2py.parse(doc=page.get_data(as_text=True), url=url)
        [entry] = [item for item in document["items"] if "h-entry" in item["type"]]
        assert entry["properties"]["name"] == [name]
        assert entry["properties"]["content"][0]["value"] == text
        assert entry["properties"]["url"] == [url]
        assert entry["properties"]["author"][0]["properties"]["url"] == [me]
    # Bound to Micropub (RFC 8707): the JSON API refuses the same token, and writes nothing.
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    assert client.get("/api/v1/posts", headers=bearer).status_code == 401
    refused = client.post("/api/v1/posts", headers=bearer, json={"title": "T", "content": "C"})
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    with indie.app_context():
        assert [p.title for p in posts.reads.author_posts(1, None, None, None, 10)] == [
            "By JSON",
            "By form",
        ]
