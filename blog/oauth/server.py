"""Authlib's authorization server wired to our records (access.oauth, access.oauth_clients).

Authorization code with PKCE S256 only, refresh tokens, RFC 8693 exchange, RFC 7009
revocation, RFC 7662 introspection and RFC 9207's iss. No implicit, no password grant.
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, current_app

from .common import query_client
from .endpoints import Introspection, Revocation
from .grants import CodeGrant, RefreshGrant, S256Only, TokenExchange


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
