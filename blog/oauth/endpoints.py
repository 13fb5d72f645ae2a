"""RFC 7009 revocation and RFC 7662 introspection of our access and refresh tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import current_app

from ..access import oauth
from ..models import OAuthGrant, OAuthRefreshToken, Token
from .common import AUTH_METHODS, Client, client_actor, resource_urls


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


def find_token(token_string: str) -> Found | None:
    found = oauth.find_token(token_string)
    return Found(*found) if found else None


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Found | None:
        return find_token(token_string)

    def revoke_token(self, token: Found, request: Any) -> None:
        grant = token.grant()
        if grant is not None:  # RFC 7009 §2.1: revoking either token ends the grant
            actor = oauth.client_actor(grant.client.client_id, client_actor().address)
            oauth.revoke_grant(grant.id, "revoked by its client (RFC 7009)", actor)


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Found | None:
        return find_token(token_string)

    def check_permission(self, token: Found, client: Client, request: Any) -> bool:
        if token.check_client(client) or serves(client, token):
            return True
        grant = token.grant()
        if grant is not None:  # e.g. blog-mcp shown a token issued for the JSON API
            actor = oauth.client_actor(client.row.client_id, client_actor().address)
            why = f"a token for {grant.resource} shown to {client.row.name or 'another client'}"
            oauth.record_refusal(actor, oauth.grant_target(grant), "invalid_target", why)
        return False

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
