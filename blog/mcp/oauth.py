"""blog-mcp --http as an OAuth resource server: introspect callers' tokens, exchange them.

A caller's token must be bound to this MCP endpoint (RFC 8707); it is checked on every
request by the blog's introspection endpoint (RFC 7662), so a grant revoked in the blog
stops the next call. It is never sent to the JSON API: blog-mcp trades it at the blog's
token endpoint (RFC 8693) for an API token of the same author with no more scopes, and
calls the API with that. Part of blog-mcp: imports nothing from the blog package.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import httpx2
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
TIMEOUT = 10.0


@dataclass
class Introspector:
    """A TokenVerifier that asks the blog, and keeps the API token each caller's token got."""

    blog_url: str
    client_id: str
    client_secret: str
    resource_url: str
    exchanged: dict[str, tuple[str, float]] = field(default_factory=dict)

    def settings(self) -> AuthSettings:
        """Return the SDK's settings: the blog issues tokens, this endpoint is the resource."""
        return AuthSettings(
            issuer_url=self.blog_url,
            resource_server_url=self.resource_url,
            validate_token_resource=True,
        )

    async def verify_token(self, token: str) -> AccessToken | None:
        """Return the token's grant if the blog says it is active and for us, else None."""
        found = await self._post("/oauth/introspect", {"token": token})
        if not found or not found.get("active") or found.get("aud") != self.resource_url:
            self.exchanged.pop(_key(token), None)
            return None
        if not self.api_token(token):
            answer = await self._post(
                "/oauth/token",
                {"grant_type": EXCHANGE, "subject_token": token, "subject_token_type": ACCESS},
            )
            if not answer or "access_token" not in answer:
                return None
            expires = time.time() + float(answer.get("expires_in", 60)) - 5
            self.exchanged[_key(token)] = (answer["access_token"], expires)
        return AccessToken(
            token=token,
            client_id=str(found.get("client_id", "")),
            scopes=str(found.get("scope", "")).split(),
            expires_at=found.get("exp"),
            resource=found["aud"],
            subject=found.get("sub"),
        )

    def api_token(self, token: str) -> str | None:
        """Return the API token obtained for a caller's token, if it is still fresh."""
        kept = self.exchanged.get(_key(token))
        if kept is None or kept[1] <= time.time():
            return None
        return kept[0]

    async def _post(self, path: str, form: dict[str, str]) -> dict | None:
        auth = (self.client_id, self.client_secret)
        try:
            async with httpx2.AsyncClient(timeout=TIMEOUT) as http:
                answer = await http.post(self.blog_url + path, data=form, auth=auth)
        except httpx2.TransportError:
            return None
        if answer.status_code != 200:
            return None
        body = answer.json()
        return body if isinstance(body, dict) else None


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
