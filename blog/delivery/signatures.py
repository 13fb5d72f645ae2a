"""Web Bot Auth for what the blog sends: RFC 9421 HTTP Message Signatures, Ed25519.

The blog's own key is derived (HKDF-SHA256) from SECRET_KEY, so every host of one blog
signs with the same key and nothing needs storing; changing SECRET_KEY rotates it. Its
public half is served at /.well-known/http-message-signatures-directory; each signed
request names that origin in `Signature-Agent` and covers it (draft-meunier-web-bot-auth-
architecture-04, draft-meunier-http-message-signatures-directory-04).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # cryptography is imported where a key is used: ~9 MB a worker otherwise
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

TAG = "web-bot-auth"
LABEL = "sig1"
LIFETIME = 300  # seconds a signature is valid: enough for a slow receiver, short for replay
DIRECTORY_PATH = "/.well-known/http-message-signatures-directory"
DIRECTORY_TYPE = "application/http-message-signatures-directory+json"
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


def sign_request(
    method: str, url: str, body: bytes, headers: dict[str, str], secret_key: str, agent: str
) -> dict[str, str]:
    """Return headers plus Content-Digest, Signature-Agent, Signature-Input and Signature.

    Covered: the method, authority, path, the body's digest and the Signature-Agent (the
    blog's origin, where the directory is); `tag="web-bot-auth"`, created and expires.
    """
    parts = urlsplit(url)
    signed = dict(headers)
    signed["Content-Digest"] = content_digest(body)
    signed["Signature-Agent"] = f'"{agent}"'
    components = ("@method", "@authority", "@path", "content-digest", "signature-agent")
    created = int(time.time())
    jwk = public_jwk(secret_key)
    params = (
        "(" + " ".join(f'"{c}"' for c in components) + ")"
        f";created={created};expires={created + LIFETIME}"
        f';keyid="{key_id(jwk)}";alg="ed25519";nonce="{secrets.token_urlsafe(16)}";tag="{TAG}"'
    )
    values = {
        "@method": method.upper(),
        "@authority": parts.netloc.lower(),
        "@path": parts.path or "/",
        "content-digest": signed["Content-Digest"],
        "signature-agent": signed["Signature-Agent"],
    }
    base = "".join(f'"{c}": {values[c]}\n' for c in components) + f'"@signature-params": {params}'
    signature = blog_key(secret_key).sign(base.encode())
    signed["Signature-Input"] = f"{LABEL}={params}"
    signed["Signature"] = f"{LABEL}=:{base64.b64encode(signature).decode()}:"
    return signed
