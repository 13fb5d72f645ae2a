"""Authlib's authorization server wired to our records (access.oauth, access.oauth_clients).

Authorization code with PKCE S256 only, refresh tokens, RFC 7009 revocation, RFC 7662
introspection, RFC 7591 registration and RFC 9207's iss. No implicit, no password grant.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, current_app

from ..access import oauth, oauth_clients, tokens
from ..delivery import safehttp
from ..http.urls import absolute_url, site_url
from ..models import Author, OAuthClient, OAuthCode, OAuthGrant, OAuthRefreshToken, Token

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


@dataclass
class Code:
    """An OAuthCode as Authlib asks about it."""

    row: OAuthCode
    code_challenge_method: str = "S256"

    @property
    def code_challenge(self) -> str:
        return self.row.code_challenge

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.grant.scopes


@dataclass(frozen=True)
class Consent:
    """What the operator approved on the consent page (Authlib's "grant user")."""

    author: Author
    scopes: str
    resource: str
    approved_by: str


class S256Only(CodeChallenge):
    """PKCE required on every authorization request, with S256 (OAuth 2.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("code_challenge is required (PKCE, S256)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        consent: Consent = request.user
        grant = oauth.approve(
            request.client.row, consent.author, consent.scopes, consent.resource,
            consent.approved_by,
        )  # fmt: skip
        oauth.save_code(
            code, grant, request.payload.redirect_uri, request.payload.data["code_challenge"]
        )

    def query_authorization_code(self, code: str, client: Client) -> Code:
        try:
            return Code(oauth.find_code(code, client.row))
        except oauth.GrantError as exc:
            raise InvalidGrantError(str(exc)) from None

    def authenticate_user(self, authorization_code: Code) -> OAuthGrant:
        if not oauth.spend_code(authorization_code.row):
            oauth.revoke_grant(authorization_code.row.grant_id, "authorization code used twice")
            raise InvalidGrantError("the code was already used; what it issued is revoked")
        return authorization_code.row.grant

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Keep spent codes: a second use must be recognised (and revoke the grant)."""

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        grant = self.authenticate_user(self.request.authorization_code)
        body = token_body(oauth.issue(grant, lifetimes()))
        return 200, {**body, **identity(grant)}, self.TOKEN_RESPONSE_HEADER


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def validate_token_request(self) -> None:
        self.request.client = self._validate_request_client()
        if not self.request.form.get("refresh_token"):
            raise InvalidRequestError("refresh_token is required")

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        raw = self.request.form["refresh_token"]
        try:
            issued = oauth.rotate(raw, self.request.client.row, lifetimes())
        except oauth.GrantError as exc:
            raise InvalidGrantError(str(exc)) from None
        return 200, token_body(issued), self.TOKEN_RESPONSE_HEADER


@dataclass
class Found:
    """An access or refresh token as the revocation and introspection endpoints see it."""

    kind: str
    row: Token | OAuthRefreshToken

    def grant(self) -> OAuthGrant | None:
        if isinstance(self.row, OAuthRefreshToken):
            return self.row.grant
        return oauth.grant_of(self.row)

    def check_client(self, client: Client) -> bool:
        grant = self.grant()
        return grant is not None and grant.client_id == client.row.id

    def is_expired(self) -> bool:
        return self.row.expires_at is not None and self.row.expires_at <= oauth.utcnow()

    def is_revoked(self) -> bool:
        grant = self.grant()
        if grant is None or grant.revoked_at is not None:
            return True
        return getattr(self.row, "revoked_at", None) is not None or (
            self.kind == "refresh" and self.row.used_at is not None
        )


def _query(token_string: str) -> Found | None:
    found = oauth.find_token(token_string)
    return Found(*found) if found else None


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Found | None:
        return _query(token_string)

    def revoke_token(self, token: Found, request: Any) -> None:
        grant = token.grant()
        if grant is not None:  # RFC 7009 §2.1: revoking either token ends the grant
            oauth.revoke_grant(grant.id, "revoked by its client (RFC 7009)")


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Found | None:
        return _query(token_string)

    def check_permission(self, token: Found, client: Client, request: Any) -> bool:
        return token.check_client(client) or serves(client, token)

    def introspect_token(self, token: Found) -> dict[str, Any]:
        grant = token.grant()
        assert grant is not None
        return {
            "active": True,
            "client_id": grant.client.client_id,
            "scope": grant.scopes,
            "token_type": "Bearer" if token.kind == "access" else "refresh_token",
            "exp": int(token.row.expires_at.timestamp()) if token.row.expires_at else None,
            "sub": grant.author.slug,
            "aud": resource_urls()[grant.resource],
            "iss": current_app.config["BASE_URL"],
        }


def serves(client: Client, token: Found) -> bool:
    """Tell whether the client is the resource server of the token's resource (blog-mcp)."""
    grant = token.grant()
    return client.row.kind == "rs" and grant is not None and grant.resource == client.row.name


class TokenExchange(grants.BaseGrant, grants.TokenEndpointMixin):
    """RFC 8693: a resource server trades a token bound to it for a JSON API token.

    blog-mcp never forwards the client's token: it sends this token to us, the issuer,
    and calls the API with what it gets back (same author, no more scopes, same grant).
    """

    GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"

    def validate_token_request(self) -> None:
        client = self.authenticate_token_endpoint_client()
        form = self.request.form
        if client.row.kind != "rs":
            raise UnauthorizedClientError("only a registered resource server may exchange tokens")
        if form.get("subject_token_type") != self.ACCESS_TOKEN or not form.get("subject_token"):
            raise InvalidRequestError("send subject_token, an access token")
        if form.get("resource", resource_urls()["api"]) != resource_urls()["api"]:
            raise InvalidRequestError("tokens are exchanged for the JSON API only")
        found = _query(form["subject_token"])
        if found is None or found.kind != "access" or not serves(client, found):
            raise InvalidGrantError("the subject token is not one of this resource server's")
        self.request.client = client
        self.request.subject = found.row

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        try:
            raw, seconds = oauth.exchange(self.request.subject, lifetimes().access)
        except oauth.GrantError as exc:
            raise InvalidGrantError(str(exc)) from None
        body = {
            "access_token": raw,
            "issued_token_type": self.ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": seconds,
            "scope": self.request.subject.scopes,
        }
        return 200, body, self.TOKEN_RESPONSE_HEADER


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
        answer = safehttp.get(url, max_bytes, timeout, allow_loopback=loopback)
        return answer.status, answer.body

    return oauth_clients.FetchPolicy(
        fetch=fetch,
        cache_seconds=int(config["OAUTH_CLIENT_CACHE_SECONDS"]),
        allow_loopback=bool(config["OAUTH_CLIENT_FETCH_ALLOW_LOOPBACK"]),
    )


def query_client(client_id: str) -> Client | None:
    try:
        row = oauth_clients.find(client_id, fetch_policy())
    except oauth_clients.ClientError:
        return None
    return Client(row) if row else None


class Issuer(IssuerParameter):
    """RFC 9207: every authorization response names BASE_URL as its issuer."""

    def get_issuer(self) -> str:
        return current_app.config["BASE_URL"]


def server() -> AuthorizationServer:
    """Return this app's authorization server."""
    return current_app.extensions["oauth_server"]


def init_app(app: Flask) -> None:
    """Give the app its authorization server with our grants and endpoints."""
    server = app.extensions["oauth_server"] = AuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=lambda token, request: None)
    server.register_grant(CodeGrant, [S256Only(required=True)])
    server.register_grant(RefreshGrant)
    server.register_grant(TokenExchange)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    server.register_extension(Issuer())
