"""Signed requests to the blog (Web Bot Auth): verified, logged, limited higher, never required."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from blog.access import tokens
from blog.delivery import signatures
from blog.extensions import db
from blog.models import Author

from .test_signed_posts import fake_host

AGENT_SECRET = "another agent's secret"


@pytest.fixture
def directory() -> Iterator[str]:
    """An agent's key directory on 127.0.0.1: its origin, the Signature-Agent to send."""
    body = json.dumps(signatures.directory(AGENT_SECRET)).encode()
    with fake_host({signatures.DIRECTORY_PATH: body}) as origin:
        yield origin


@pytest.fixture
def app(build_app: Any, settings: dict[str, Any]) -> Any:
    return build_app(
        **settings, FETCH_ALLOW_LOOPBACK=True, API_READ_LIMIT="2 per minute",
        VERIFIED_AGENT_LIMIT="50 per minute",
    )  # fmt: skip


def signed(path: str, origin: str, **overrides: Any) -> dict[str, str]:
    """Headers of a GET signed by another RFC 9421 implementation (http-message-signatures)."""
    message = requests.Request(
        "GET", f"http://localhost{path}", headers={"Signature-Agent": f'"{origin}"'}
    ).prepare()
    key = signatures.blog_key(AGENT_SECRET)
    kid = signatures.key_id(signatures.public_jwk(AGENT_SECRET))
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={kid: key, "not-a-key": key}),
    )
    now = datetime.now(UTC)
    signer.sign(
        message, key_id=overrides.get("kid", kid), created=now, expires=now + timedelta(minutes=5),
        label="sig1", tag="web-bot-auth", nonce="n1",
        covered_component_ids=("@method", "@authority", "@path", "signature-agent"),
    )  # fmt: skip
    return dict(message.headers)


def test_a_signed_request_is_verified_and_logged(client, directory, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="blog.access"):
        response = client.get("/", headers=signed("/", directory))
    assert response.status_code == 200
    assert response.headers["X-Verified-Agent"] == directory
    assert response.headers["X-Bot-Auth"].startswith("verified")
    assert any(f"verified agent {directory}" in r.getMessage() for r in caplog.records)
    plain = client.get("/")
    assert "X-Verified-Agent" not in plain.headers and "X-Bot-Auth" not in plain.headers


def test_the_blogs_own_signer_is_verified_too(client, directory) -> None:
    headers = signatures.sign_request(
        "GET", "http://localhost/tags/", b"", {}, AGENT_SECRET, directory
    )
    response = client.get("/tags/", headers=headers)
    assert response.headers["X-Verified-Agent"] == directory


def bad_cases(origin: str) -> list[tuple[str, dict[str, str], str]]:
    good = signed("/", origin)
    return [
        ("malformed Signature-Input", {**good, "Signature-Input": "sig1=(((;;"}, "invalid"),
        ("unknown key id", signed("/", origin, kid="not-a-key"), "invalid"),
        ("another path", signed("/archive", origin), "invalid"),
        ("a private directory", {**good, "Signature-Agent": '"https://10.1.2.3"'}, "private"),
        ("not a URL", {**good, "Signature-Agent": "12"}, "invalid"),
    ]


def test_bad_signatures_are_answered_clearly_and_served_unsigned(client, directory) -> None:
    for name, headers, said in bad_cases(directory):
        response = client.get("/", headers=headers)
        assert response.status_code == 200, name
        assert "X-Verified-Agent" not in response.headers, name
        assert response.headers["X-Bot-Auth"].startswith("invalid"), name
        assert said in response.headers["X-Bot-Auth"], (name, response.headers["X-Bot-Auth"])


def test_a_verified_agent_gets_the_higher_limit(app, client, directory) -> None:
    with app.app_context():
        author = Author(slug="quill", name="Quill")
        db.session.add(author)
        db.session.commit()
        raw, _ = tokens.issue(author, tokens.SCOPES, timedelta(days=1), "t")
    auth = {"Authorization": f"Bearer {raw}"}
    statuses = [client.get("/api/v1/me", headers=auth).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    for _ in range(5):
        headers = {**auth, **signed("/api/v1/me", directory)}
        assert client.get("/api/v1/me", headers=headers).status_code == 200
