"""Detached JWS over a post's markdown and the author's did:web document; pure functions.

A JWS here is RFC 7515's compact serialization with the payload detached (appendix F):
`<protected header>..<signature>`, `alg` EdDSA (RFC 8037, Ed25519), `kid` the DID URL of
the key. The signing input is the header and the base64url of the exact bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

ALG = "EdDSA"
JOSE = "application/jose"
DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]


class BadSignature(ValueError):
    """A JWS we cannot check or that does not match; the message says which."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BadSignature(f"not base64url: {exc}") from None


def detached(kid: str, payload: bytes, sign: Callable[[bytes], bytes]) -> str:
    """Return the detached compact JWS of payload, signed by `sign` under `kid`."""
    header = b64url(json.dumps({"alg": ALG, "kid": kid}, separators=(",", ":")).encode())
    signature = sign(f"{header}.{b64url(payload)}".encode())
    return f"{header}..{b64url(signature)}"


def header_of(jws: str) -> dict[str, Any]:
    """Return a detached JWS's protected header; raise BadSignature if it is not one."""
    parts = jws.strip().split(".")
    if len(parts) != 3 or parts[1]:
        raise BadSignature("not a detached compact JWS (header..signature)")
    try:
        header = json.loads(unb64url(parts[0]))
    except ValueError as exc:
        raise BadSignature(f"the header is not JSON: {exc}") from None
    if not isinstance(header, dict) or header.get("alg") != ALG:
        raise BadSignature(f"alg must be {ALG}")
    if not isinstance(header.get("kid"), str):
        raise BadSignature("the header names no kid")
    return header


def verify(jws: str, payload: bytes, public_x: str) -> None:
    """Raise BadSignature unless jws signs payload with the Ed25519 key (base64url x)."""
    from cryptography.exceptions import InvalidSignature  # imported when used: ~9 MB
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    header_of(jws)
    protected, _, signature = jws.strip().split(".")
    try:
        key = Ed25519PublicKey.from_public_bytes(unb64url(public_x))
        key.verify(unb64url(signature), f"{protected}.{b64url(payload)}".encode())
    except (InvalidSignature, ValueError):
        raise BadSignature("the signature does not match these bytes and this key") from None


# ---------------------------------------------------------------- did:web


def did_web(author_url: str) -> str:
    """Return the did:web DID whose document is at author_url + '/did.json'."""
    parts = urlsplit(author_url)
    host = quote(parts.netloc, safe="")  # a port's colon is percent-encoded
    path = [quote(segment, safe="") for segment in parts.path.strip("/").split("/") if segment]
    return ":".join(["did", "web", host, *path])


def did_document_url(did: str, scheme: str = "https") -> str:
    """Return where a did:web DID's document lives (the did:web method's read rule)."""
    if not did.startswith("did:web:"):
        raise BadSignature(f"{did!r} is not a did:web DID")
    host, *path = did.removeprefix("did:web:").split(":")
    tail = "/".join(unquote(segment) for segment in path)
    return f"{scheme}://{unquote(host)}/" + (f"{tail}/did.json" if tail else ".well-known/did.json")


@dataclass(frozen=True)
class VerificationKey:
    fragment: str
    x: str
    retired: bool


def did_document(did: str, keys: list[VerificationKey]) -> dict[str, Any]:
    """Return the DID document: every key that verifies a post, the current one first.

    Retired keys stay listed (assertionMethod) so that what they signed still verifies;
    only current keys are also listed under authentication.
    """
    methods = [
        {
            "id": f"{did}#{key.fragment}",
            "type": "JsonWebKey2020",
            "controller": did,
            "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": key.x},
        }
        for key in sorted(keys, key=lambda key: key.retired)
    ]
    return {
        "@context": DID_CONTEXT,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
        "authentication": [f"{did}#{key.fragment}" for key in keys if not key.retired],
    }


def key_in(document: Any, kid: str) -> str:
    """Return the base64url x of the Ed25519 key `kid` in a DID document, or raise BadSignature."""
    methods = document.get("verificationMethod") if isinstance(document, dict) else None
    for method in methods or []:
        if isinstance(method, dict) and method.get("id") == kid:
            jwk = method.get("publicKeyJwk") or {}
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("x"):
                return str(jwk["x"])
            raise BadSignature(f"{kid} is not an Ed25519 key")
    raise BadSignature(f"the DID document lists no key {kid}")
