"""Client ID Metadata Documents: fetched safely (size, time, private addresses), checked, cached."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog.access import audit
from blog.delivery import safehttp
from blog.models import Author

from .support.documents import Document, DocumentServer
from .support.oauth import Flow


def refusals(app: Flask) -> list[str]:
    """Return the details of the audit log's OAuth refusals."""
    with app.app_context():
        return [entry.detail for entry in audit.entries(action="oauth.refused")]


@pytest.fixture
def loopback_app(build_app: Any, settings: dict[str, Any]) -> Flask:
    return build_app(
        **settings, OAUTH_CLIENT_FETCH_ALLOW_LOOPBACK=True, OAUTH_CLIENT_FETCH_TIMEOUT=1.0
    )


@pytest.fixture
def loopback(loopback_app: Flask) -> FlaskClient:
    with loopback_app.app_context():
        from blog import posts

        posts.save_author({"slug": "quill", "name": "Quill", "model": "Claude"})
    return loopback_app.test_client()


def client_document(documents: DocumentServer, path: str = "/client.json", **fields: Any) -> str:
    """Publish a client's metadata document; return its URL (the client_id)."""
    client_id = documents.url + path
    body = {
        "client_id": client_id,
        "client_name": "Doc Agent",
        "redirect_uris": ["http://127.0.0.1:9/callback"],
        "token_endpoint_auth_method": "none",
        **fields,
    }
    documents.documents[path] = Document(json.dumps(body).encode())
    return client_id


def test_a_client_known_by_its_metadata_document_completes_the_flow(
    loopback: FlaskClient, documents: DocumentServer
) -> None:
    flow = Flow(loopback, client_id=client_document(documents))
    page = flow.consent_page()
    assert page.status_code == 200 and "Doc Agent" in page.get_data(as_text=True)
    issued = flow.tokens()
    me = loopback.get("/api/v1/me", headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert me.status_code == 200
    assert documents.hits["/client.json"] == 1  # fetched once, then from the cache
    with loopback.application.app_context():
        known = audit.entries(action="oauth.client.registered")
        assert [(e.target, e.detail) for e in known] == [
            (f"client {flow.client_id}", "'Doc Agent', by its metadata document")
        ]


@pytest.mark.parametrize(
    ("document", "why"),
    [
        (Document(b"x" * 6000), "larger than"),
        (Document(b'{"client_id": 1}' + b" " * 200, drip_seconds=0.01), "too long"),
        (Document(b"<html>not json</html>", "text/html"), "not JSON"),
        (Document(b"[]"), "not a JSON object"),
        (Document(b"{}", status=404), "answered 404"),
    ],
    ids=["too large", "slow", "not JSON", "not an object", "404"],
)
def test_an_unusable_metadata_document_is_refused(
    loopback: FlaskClient,
    documents: DocumentServer,
    document: Document,
    why: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    documents.documents["/client.json"] = document
    flow = Flow(loopback, client_id=documents.url + "/client.json")
    with caplog.at_level(logging.WARNING, "blog.oauth"):
        answer = flow.consent_page()
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert why in caplog.text
    assert any(
        d.startswith("invalid_client: ") and why in d for d in refusals(loopback.application)
    )


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"redirect_uris": None}, "redirect_uris must be"),
        ({"redirect_uris": []}, "redirect_uris must be"),
        ({"client_id": "https://other.example/client.json"}, "client_id is not the URL"),
        ({"token_endpoint_auth_method": "client_secret_post"}, "token_endpoint_auth_method"),
    ],
    ids=["no redirect_uris", "empty redirect_uris", "another client_id", "a secret"],
)
def test_a_metadata_document_with_missing_or_wrong_fields_is_refused(
    loopback: FlaskClient, documents: DocumentServer, fields: dict[str, Any], why: str
) -> None:
    client_id = client_document(documents, **fields)
    answer = Flow(loopback, client_id=client_id).consent_page()
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert any(
        d.startswith("invalid_client: ") and why in d for d in refusals(loopback.application)
    )


def test_a_redirect_uri_not_in_the_document_is_refused(
    loopback: FlaskClient, documents: DocumentServer
) -> None:
    flow = Flow(loopback, client_id=client_document(documents))
    answer = flow.consent_page(redirect_uri="http://127.0.0.1:9/callback2")
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_a_document_on_a_private_address_is_never_fetched(
    client: FlaskClient, author: Author, documents: DocumentServer
) -> None:
    # Without the test-only setting, loopback is as private as 10.0.0.0/8.
    host, port = documents.server.server_address[:2]
    for client_id in (
        f"https://{host}:{port}/client.json",
        "https://10.0.0.1/client.json",
        "https://localhost/client.json",
    ):
        answer = Flow(client, client_id=client_id).consent_page()
        assert answer.status_code == 400 and "Location" not in answer.headers
    assert documents.hits == {}
    refused = refusals(client.application)
    assert len(refused) == 3 and all("private" in d or "cannot be used" in d for d in refused)


def test_even_the_loopback_setting_allows_no_other_private_address() -> None:
    with pytest.raises(safehttp.Refused, match="private"):
        safehttp.get("http://10.1.2.3/client.json", 1000, 1.0, allow_loopback=True)
    with pytest.raises(safehttp.Refused, match="private"):
        safehttp.get("http://127.0.0.1:9/client.json", 1000, 1.0, allow_loopback=False)


def test_a_valid_client_document_is_reused_from_the_cache_then_refetched(
    build_app: Any, settings: dict[str, Any], documents: DocumentServer
) -> None:
    app = build_app(
        **settings, OAUTH_CLIENT_FETCH_ALLOW_LOOPBACK=True, OAUTH_CLIENT_CACHE_SECONDS=0
    )
    client_id = client_document(documents)
    client = app.test_client()
    for _ in range(2):
        assert Flow(client, client_id=client_id).consent_page().status_code == 200
    assert documents.hits["/client.json"] == 2


def test_a_client_name_with_markup_is_stored_as_text(client: FlaskClient, author: Author) -> None:
    flow = Flow(client)
    flow.register(client_name="<img src=x onerror=alert(1)>Evil <b>Agent</b>")
    page = flow.consent_page().get_data(as_text=True)
    assert "Evil Agent" in page and "<img src=x" not in page and "onerror" not in page
