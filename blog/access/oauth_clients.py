"""OAuth clients: registered ones (RFC 7591) and Client ID Metadata Documents, fetched safely.

A client_id that is an https URL names a JSON document the client publishes about itself
(draft-ietf-oauth-client-id-metadata-document). It is fetched through the private-address-
refusing fetcher with a size and a time limit, checked, and kept for CLIENT_CACHE_SECONDS.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import nh3
from sqlalchemy import select

from ..extensions import db, write_transaction
from ..models import OAuthClient, utcnow
from . import audit
from .audit import Actor
from .tokens import hash_secret

log = logging.getLogger("blog.oauth")
MAX_DOCUMENT_BYTES = 5 * 1024
AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")


class ClientError(ValueError):
    """A client we will not know: its document or registration is wrong; the message says why."""


@dataclass(frozen=True)
class FetchPolicy:
    """How Client ID Metadata Documents are fetched and kept.

    `fetch(url, max_bytes)` returns (status, body) or raises ValueError or OSError; the edge
    passes the private-address-refusing GET of delivery.safehttp.
    """

    fetch: Callable[[str, int], tuple[int, bytes]]
    cache_seconds: int
    allow_loopback: bool


def redirect_uris(client: OAuthClient) -> list[str]:
    """Return the client's registered redirect URIs."""
    return [uri for uri in client.redirect_uris.splitlines() if uri]


def is_metadata_url(client_id: str, allow_loopback: bool) -> bool:
    """Tell whether a client_id names a metadata document (an https URL with a path)."""
    parts = urlsplit(client_id)
    secure = parts.scheme == "https" or (allow_loopback and parts.scheme == "http")
    return secure and bool(parts.hostname) and bool(parts.path) and not parts.fragment


def find(client_id: str, policy: FetchPolicy) -> OAuthClient | None:
    """Return the client with this id, fetching its metadata document when needed."""
    row = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if row is not None and row.kind != "cimd":
        return row
    if not is_metadata_url(client_id, policy.allow_loopback):
        return None
    fresh = timedelta(seconds=policy.cache_seconds)
    if row is not None and row.fetched_at and utcnow() - row.fetched_at < fresh:
        return row
    try:
        document = fetch_document(client_id, policy)
    except ClientError as exc:
        log.warning("oauth client refused: %s: %s", client_id, exc)
        raise
    return _store_document(row, client_id, document)


def fetch_document(client_id: str, policy: FetchPolicy) -> dict[str, Any]:
    """Fetch and check a client's metadata document; raise ClientError if it is unusable."""
    try:
        status, body = policy.fetch(client_id, MAX_DOCUMENT_BYTES)
    except (ValueError, OSError) as exc:
        raise ClientError(f"the client's metadata document cannot be used: {exc}") from None
    if status != 200:
        raise ClientError(f"the client's metadata document answered {status}")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ClientError("the client's metadata document is not JSON") from None
    if not isinstance(document, dict):
        raise ClientError("the client's metadata document is not a JSON object")
    if document.get("client_id") != client_id:
        raise ClientError("the document's client_id is not the URL it was fetched from")
    check_metadata(document, public_only=True)
    return document


def check_metadata(metadata: dict[str, Any], public_only: bool) -> None:
    """Refuse client metadata without usable redirect URIs, name or auth method."""
    uris = metadata.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise ClientError("redirect_uris must be a non-empty list of URLs")
    for uri in uris:
        parts = urlsplit(uri)
        if not parts.scheme or parts.fragment or len(uri) > 2000 or "\n" in uri:
            raise ClientError(f"redirect URI {uri!r} is not an absolute URL without fragment")
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "[::1]"):
            raise ClientError(f"redirect URI {uri!r}: http is only for loopback addresses")
    method = metadata.get("token_endpoint_auth_method") or "none"
    allowed = ("none",) if public_only else AUTH_METHODS
    if method not in allowed:
        raise ClientError(f"token_endpoint_auth_method must be one of {', '.join(allowed)}")
    for key in ("client_name", "client_uri", "logo_uri"):
        value = metadata.get(key) or ""
        if not isinstance(value, str) or len(value) > 2000:
            raise ClientError(f"{key} must be a short string")
    for key in ("grant_types", "response_types"):
        if not isinstance(metadata.get(key) or [], list):
            raise ClientError(f"{key} must be a list")
    if "implicit" in (metadata.get("grant_types") or []) or "token" in (
        metadata.get("response_types") or []
    ):
        raise ClientError("the implicit grant is not offered")


def register(metadata: dict[str, Any], actor: Actor | None = None) -> tuple[OAuthClient, str]:
    """Store a dynamically registered client; return it and its secret ("" for public ones)."""
    check_metadata(metadata, public_only=False)
    method = metadata.get("token_endpoint_auth_method") or "none"
    secret = "" if method == "none" else secrets.token_urlsafe(32)
    with write_transaction():
        row = OAuthClient(
            client_id="dcr_" + secrets.token_urlsafe(18),
            kind="dcr",
            auth_method=method,
            secret_hash=hash_secret(secret) if secret else "",
        )
        _fill(row, metadata)
        db.session.add(row)
        detail = f"{row.name!r}, redirect URIs {' '.join(redirect_uris(row))}"
        audit.record(actor, "oauth.client.registered", f"client {row.client_id}", detail)
    log.info("oauth client registered: %s %r", row.client_id, row.name)
    return row, secret


def _store_document(
    row: OAuthClient | None, client_id: str, document: dict[str, Any]
) -> OAuthClient:
    with write_transaction():
        first = row is None
        if row is None:
            row = OAuthClient(client_id=client_id, kind="cimd", auth_method="none")
            db.session.add(row)
        else:
            row = db.session.merge(row)
        _fill(row, document)
        row.fetched_at = utcnow()
        if first:  # known from now on: listed in the admin like a registered client
            who = Actor(kind="client", label=client_id[:300])
            detail = f"{row.name!r}, by its metadata document"
            audit.record(who, "oauth.client.registered", f"client {client_id}", detail)
    return row


def _fill(row: OAuthClient, metadata: dict[str, Any]) -> None:
    # Shown on the consent page and in the admin: text only, whatever the client sent.
    row.name = nh3.clean(str(metadata.get("client_name") or ""), tags=set())[:200]
    row.client_uri = str(metadata.get("client_uri") or "")
    row.logo_uri = str(metadata.get("logo_uri") or "")
    row.redirect_uris = "\n".join(metadata["redirect_uris"])


def all_clients() -> list[OAuthClient]:
    """Return every known client, newest first."""
    return list(db.session.scalars(select(OAuthClient).order_by(OAuthClient.id.desc())))


def remove(client_id: int, actor: Actor | None = None) -> bool:
    """Forget a client with its grants and tokens; False if there is no such client."""
    with write_transaction():
        row = db.session.get(OAuthClient, client_id)
        if row is None:
            return False
        # Its grants and their tokens go with it (ON DELETE CASCADE): nothing it got still works.
        audit.record(actor, "oauth.client.removed", f"client {row.client_id}", row.name)
        db.session.delete(row)
    return True


def register_resource_server(resource: str) -> tuple[OAuthClient, str]:
    """Register the confidential client a resource server (blog-mcp) authenticates as.

    It may introspect tokens bound to its resource and exchange them for API tokens.
    """
    secret = secrets.token_urlsafe(32)
    with write_transaction():
        row = OAuthClient(
            client_id=f"rs_{resource}_" + secrets.token_urlsafe(12),
            kind="rs",
            name=resource,
            auth_method="client_secret_basic",
            secret_hash=hash_secret(secret),
            redirect_uris="",
        )
        db.session.add(row)
    log.info("oauth resource server registered: %s for %s", row.client_id, resource)
    return row, secret
