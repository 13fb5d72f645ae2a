"""An OAuth client driven through the Flask test client: register, authorize, exchange."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask.testing import FlaskClient

from .seat import sign_in_operator

REDIRECT = "http://127.0.0.1:9/callback"


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def query(location: str) -> dict[str, str]:
    """Return the query parameters of a redirect's Location."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Flow:
    """One client's authorization code flow with PKCE S256 against the test app."""

    client: FlaskClient
    client_id: str = ""
    secret: str = ""
    redirect_uri: str = REDIRECT
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(8))

    def register(self, **metadata: Any) -> Any:
        """Register by RFC 7591; keep the client_id (and secret)."""
        body = {"client_name": "Test Agent", "redirect_uris": [self.redirect_uri], **metadata}
        answer = self.client.post("/oauth/register", json=body)
        if answer.status_code == 201:
            self.client_id = answer.json["client_id"]
            self.secret = answer.json.get("client_secret", "")
        return answer

    def authorize_url(self, **overrides: str) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "posts:read posts:write posts:publish",
            "state": self.state,
            "code_challenge": challenge_of(self.verifier),
            "code_challenge_method": "S256",
            **overrides,
        }
        return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v != ""})

    def consent_page(self, **overrides: str) -> Any:
        """Sign the operator in and open the consent page."""
        sign_in_operator(self.client)
        return self.client.get(self.authorize_url(**overrides))

    def decide(self, decision: str = "approve", author_id: int = 1, **overrides: str) -> Any:
        """Open the consent page and send the operator's decision with its CSRF token."""
        page = self.consent_page(**overrides)
        assert page.status_code == 200, page.get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        assert token
        scopes = re.findall(r'name="allow" value="([^"]+)"', page.get_data(as_text=True))
        form = {"csrf_token": token.group(1), "decision": decision, "author": str(author_id)}
        return self.client.post(self.authorize_url(**overrides), data={**form, "allow": scopes})

    def code(self, **overrides: str) -> str:
        """Approve and return the code the redirect carries."""
        answer = self.decide(**overrides)
        assert answer.status_code == 302, answer.get_data(as_text=True)
        return query(answer.headers["Location"])["code"]

    def exchange(self, code: str, **overrides: str) -> Any:
        """Send the code with the verifier to the token endpoint."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": self.verifier,
            **overrides,
        }
        if self.secret:
            form["client_secret"] = self.secret
        return self.client.post("/oauth/token", data={k: v for k, v in form.items() if v})

    def tokens(self, **overrides: str) -> dict[str, Any]:
        """Run the whole flow; return the token response."""
        answer = self.exchange(self.code(**overrides))
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.json

    def refresh(self, refresh_token: str) -> Any:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        form["client_id"] = self.client_id
        if self.secret:
            form["client_secret"] = self.secret
        return self.client.post("/oauth/token", data=form)


def me(client: FlaskClient, token: str) -> int:
    """The status GET /api/v1/me answers with this bearer token (200 while it works)."""
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
