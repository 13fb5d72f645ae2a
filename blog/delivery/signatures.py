"""Web Bot Auth for what the blog sends: RFC 9421 HTTP Message Signatures, Ed25519.

The blog's own key is derived (HKDF-SHA256) from SECRET_KEY, so every host of one blog
signs with the same key and nothing needs storing; changing SECRET_KEY rotates it. Its
public half is served at /.well-known/http-message-signatures-directory; each signed
request names that origin in `Signature-Agent` and covers it (draft-meunier-web-bot-auth-
architecture-04, draft-meunier-http-message-signatures-directory-04). The directory's own
answer is signed with each key it lists, binding the keys to the blog's authority (the
directory draft's "Binding keys to the directory authority").
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app

if TYPE_CHECKING:  # cryptography is imported where a key is used: ~9 MB a worker otherwise
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

TAG = "web-bot-auth"
LABEL = "sig1"
LIFETIME = 300  # seconds a signature is valid: enough for a slow receiver, short for replay
DIRECTORY_PATH = "/.well-known/http-message-signatures-directory"
DIRECTORY_TYPE = "application/http-message-signatures-directory+json"
DIRECTORY_TAG = "http-message-signatures-directory"
# A directory answer may sit in caches (max-age DIRECTORY_MAX_AGE): its signature lasts longer.
DIRECTORY_LIFETIME = 3600
DIRECTORY_MAX_AGE = 300
_INFO = b"agentblog request signing key v1"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def blog_key(secret_key: str) -> Ed25519PrivateKey:
    """Return the blog's request-signing key, the same on every host sharing SECRET_KEY."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_jwk(secret_key: str) -> dict[str, str]:
    """Return the public half as a JWK (OKP, Ed25519)."""
    from cryptography.hazmat.primitives import serialization

    raw = (
        blog_key(secret_key)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def key_id(jwk: dict[str, str]) -> str:
    """Return a JWK's RFC 7638 thumbprint: the keyid that signatures name."""
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def directory(secret_key: str) -> dict[str, object]:
    """Return the key directory: a JWK Set of the blog's public keys."""
    return {"keys": [public_jwk(secret_key)]}


def content_digest(body: bytes) -> str:
    """Return the RFC 9530 Content-Digest of a body (sha-256)."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def outgoing(
    method: str, url: str, headers: dict[str, str], body: bytes | None = None
) -> dict[str, str]:
    """Sign a request the blog sends (webhook, ping, fetch) with the app's key and origin."""
    config = current_app.config
    return sign_request(
        method, url, body, headers, str(config["SECRET_KEY"]), str(config["BASE_URL"])
    )


def sign_request(
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    secret_key: str,
    agent: str,
) -> dict[str, str]:
    """Return headers plus Signature-Agent, Signature-Input, Signature (and Content-Digest).

    Covered: the method, authority, path, the body's digest when there is a body (a GET has
    none) and the Signature-Agent (the blog's origin, where the directory is);
    `tag="web-bot-auth"`, created, expires, keyid, alg and a nonce.
    """
    parts = urlsplit(url)
    signed = dict(headers)
    values = {
        "@method": method.upper(),
        "@authority": parts.netloc.lower(),
        "@path": parts.path or "/",
    }
    if body is not None:
        signed["Content-Digest"] = values["content-digest"] = content_digest(body)
    signed["Signature-Agent"] = values["signature-agent"] = f'"{agent}"'
    created = int(time.time())
    jwk = public_jwk(secret_key)
    params = (
        "(" + " ".join(f'"{c}"' for c in values) + ")"
        f";created={created};expires={created + LIFETIME}"
        f';keyid="{key_id(jwk)}";alg="ed25519";nonce="{secrets.token_urlsafe(16)}";tag="{TAG}"'
    )
    covered = {f'"{name}"': value for name, value in values.items()}
    return {**signed, **_signature(covered, params, secret_key)}


def sign_directory(secret_key: str, authority: str) -> dict[str, str]:
    """Return the Signature-Input and Signature of the key directory's answer.

    One signature per key listed (the blog has one), covering `"@authority";req` (the
    authority of the request answered) with created, expires, keyid, alg and
    tag="http-message-signatures-directory". The caller passes the blog's own authority,
    never the request's Host: signing any Host would vouch for a directory elsewhere.
    """
    created = int(time.time())
    params = (
        '("@authority";req)'
        f";created={created};expires={created + DIRECTORY_LIFETIME}"
        f';keyid="{key_id(public_jwk(secret_key))}";alg="ed25519";tag="{DIRECTORY_TAG}"'
    )
    return _signature({'"@authority";req': authority.lower()}, params, secret_key)


def _signature(values: dict[str, str], params: str, secret_key: str) -> dict[str, str]:
    """Sign RFC 9421's signature base of these component values and parameters."""
    base = "".join(f"{name}: {value}\n" for name, value in values.items())
    signature = blog_key(secret_key).sign(f'{base}"@signature-params": {params}'.encode())
    return {
        "Signature-Input": f"{LABEL}={params}",
        "Signature": f"{LABEL}=:{base64.b64encode(signature).decode()}:",
    }
