"""What the OAuth edge's parts share: scopes, the client as Authlib sees it, URLs, lifetimes."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin
from flask import current_app, g, request

from ..access import oauth, oauth_clients, tokens
from ..access.audit import Actor
from ..delivery import safehttp, signatures
from ..http.urls import absolute_url, site_url
from ..models import OAuthClient, OAuthGrant

API_SCOPES = tokens.SCOPES
MICROPUB_SCOPES = {"create", "update", "delete", "media", "draft"}
# IndieAuth's profile (and email-less identity) scopes, and Micropub's.
SCOPES = (*API_SCOPES, "profile", "create", "update", "delete", "media", "draft")
AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]


class Client(ClientMixin):
    """An OAuthClient as Authlib asks about it."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # redirect_uri is required on every request: exact match only

    def get_allowed_scope(self, scope: str) -> str:
        asked = [s for s in (scope or "").split() if s in SCOPES]
        return " ".join(dict.fromkeys(asked)) or " ".join(tokens.SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in oauth_clients.redirect_uris(self.row)

    def check_client_secret(self, client_secret: str) -> bool:
        digest = tokens.hash_secret(client_secret)
        return bool(self.row.secret_hash) and hmac.compare_digest(self.row.secret_hash, digest)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.row.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


def scopes_for(resource: str) -> set[str]:
    """Return the scopes that mean something at a resource (profile: at every one)."""
    return (MICROPUB_SCOPES if resource == "micropub" else set(API_SCOPES)) | {"profile"}


def lifetimes() -> oauth.Lifetimes:
    config = current_app.config
    return oauth.Lifetimes(
        access=timedelta(seconds=int(config["OAUTH_ACCESS_TOKEN_SECONDS"])),
        refresh=timedelta(days=int(config["OAUTH_REFRESH_TOKEN_DAYS"])),
    )


def identity(grant: OAuthGrant) -> dict[str, Any]:
    """IndieAuth: `me` is the author's profile page; the profile scope adds name, URL, photo."""
    me = absolute_url("site.author", slug=grant.author.slug)
    found: dict[str, Any] = {"me": me}
    if "profile" in grant.scopes.split():
        found["profile"] = {"name": grant.author.name, "url": me}
        if grant.author.avatar_url:
            found["profile"]["photo"] = site_url(grant.author.avatar_url)
    return found


def token_body(issued: oauth.Issued) -> dict[str, Any]:
    return {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "refresh_token": issued.refresh_token,
        "scope": issued.scope,
    }


def resource_urls() -> dict[str, str]:
    """Return each resource's key and its URL (RFC 8707 resource indicators)."""
    base = current_app.config["BASE_URL"]
    mcp = current_app.config["MCP_URL"] or f"{base}/mcp"
    return {"api": f"{base}/api/v1", "mcp": mcp, "micropub": f"{base}/micropub"}


def fetch_policy() -> oauth_clients.FetchPolicy:
    config = current_app.config
    timeout = float(config["OAUTH_CLIENT_FETCH_TIMEOUT"])
    loopback = bool(config["OAUTH_CLIENT_FETCH_ALLOW_LOOPBACK"])

    def fetch(url: str, max_bytes: int) -> tuple[int, bytes]:
        answer = safehttp.get(
            url,
            signatures.outgoing("GET", url, {"Accept": "application/json"}),
            timeout,
            allow_loopback=loopback,
            max_bytes=max_bytes,
        )
        return answer.status, answer.body

    return oauth_clients.FetchPolicy(
        fetch=fetch,
        cache_seconds=int(config["OAUTH_CLIENT_CACHE_SECONDS"]),
        allow_loopback=bool(config["OAUTH_CLIENT_FETCH_ALLOW_LOOPBACK"]),
    )


def client_actor() -> Actor:
    """Return the client making this request (as it names itself) for the audit log."""
    auth = request.authorization
    named = (auth.username if auth and auth.username else None) or request.values.get("client_id")
    return oauth.client_actor(named or "unknown", request.remote_addr or "")


def client_target() -> str:
    return f"client {client_actor().label}"


def query_client(client_id: str) -> Client | None:
    try:
        row = oauth_clients.find(client_id, fetch_policy())
    except oauth_clients.ClientError as exc:
        g.oauth_client_refused = str(exc)  # the refusal's audit entry says why
        return None
    return Client(row) if row else None
