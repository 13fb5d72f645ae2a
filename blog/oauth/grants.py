"""The grants: authorization code with PKCE S256, refresh with rotation, token exchange."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import g

from ..access import oauth
from ..access.audit import Actor
from ..models import Author, OAuthCode, OAuthGrant
from .common import (
    AUTH_METHODS,
    Client,
    client_actor,
    identity,
    lifetimes,
    resource_urls,
    token_body,
)
from .endpoints import find_token, serves


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
    actor: Actor


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
            consent.approved_by, consent.actor,
        )  # fmt: skip
        oauth.save_code(
            code, grant, request.payload.redirect_uri, request.payload.data["code_challenge"]
        )

    def query_authorization_code(self, code: str, client: Client) -> Code:
        try:
            return Code(oauth.find_code(code, client.row, self._actor()))
        except oauth.GrantError as exc:
            raise InvalidGrantError(str(exc)) from None

    def authenticate_user(self, authorization_code: Code) -> OAuthGrant:
        if not oauth.spend_code(authorization_code.row):
            oauth.revoke_grant(
                authorization_code.row.grant_id, "authorization code used twice",
                self._actor(), "oauth.code.reused",
            )  # fmt: skip
            raise InvalidGrantError("the code was already used; what it issued is revoked")
        return authorization_code.row.grant

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Keep spent codes: a second use must be recognised (and revoke the grant)."""

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        grant = self.authenticate_user(self.request.authorization_code)
        if g.get("oauth_profile_only"):  # IndieAuth §5.3.2: who signed in, and no token
            return 200, identity(grant), self.TOKEN_RESPONSE_HEADER
        body = token_body(oauth.issue(grant, lifetimes(), self._actor()))
        return 200, {**body, **identity(grant)}, self.TOKEN_RESPONSE_HEADER

    def _actor(self) -> Actor:
        return _client_actor(self.request.client)


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
            client = self.request.client
            issued = oauth.rotate(raw, client.row, lifetimes(), _client_actor(client))
        except oauth.GrantError as exc:
            raise InvalidGrantError(str(exc)) from None
        return 200, {**token_body(issued), **identity(issued.grant)}, self.TOKEN_RESPONSE_HEADER


def _client_actor(client: Client | None) -> Actor:
    """The authenticated client as the actor, else the client_id the request names."""
    actor = client_actor()
    if client is None:
        return actor
    return oauth.client_actor(client.row.client_id, actor.address)


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
        found = find_token(form["subject_token"])
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
