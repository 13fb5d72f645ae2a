"""Each author's Ed25519 key pairs: made on first use, rotated, private halves encrypted.

The private half is stored only as a Fernet token under a key derived (HKDF-SHA256) from
SECRET_KEY, so every host sharing the database and SECRET_KEY signs alike, and neither a
database dump nor an export holds a usable key. Nothing here returns or logs it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Author, AuthorKey, utcnow

if TYPE_CHECKING:  # cryptography is imported where a key is used: ~9 MB a worker otherwise
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

_INFO = b"agentblog author signing keys v1"


class KeyUnavailable(RuntimeError):
    """A private key SECRET_KEY cannot decrypt (the secret changed): nothing can be signed."""


def b64url(data: bytes) -> str:
    """Encode bytes as unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _fernet(secret: str | None = None) -> Fernet:
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret = secret if secret is not None else str(current_app.config["SECRET_KEY"])
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    derived = hkdf.derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def public_jwk(key: AuthorKey) -> dict[str, str]:
    """Return the public key as a JWK (RFC 8037 OKP, Ed25519)."""
    return {"kty": "OKP", "crv": "Ed25519", "x": key.public_key}


def thumbprint(x: str) -> str:
    """Return the RFC 7638 thumbprint of an Ed25519 public key (base64url x)."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


def _make(author: Author) -> AuthorKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    x = b64url(raw_public)
    key = AuthorKey(
        author_id=author.id,
        thumbprint=thumbprint(x),
        public_key=x,
        private_key=_fernet().encrypt(raw_private).decode(),
        created_at=utcnow(),
    )
    db.session.add(key)
    db.session.flush()
    return key


def keys_of(author: Author) -> list[AuthorKey]:
    """Return every key of an author, current and retired, oldest first."""
    query = select(AuthorKey).where(AuthorKey.author_id == author.id).order_by(AuthorKey.id)
    return list(db.session.scalars(query))


def current_key(author: Author) -> AuthorKey:
    """Return the author's current key, making one on first use (in the caller's transaction)."""
    query = (
        select(AuthorKey)
        .where(AuthorKey.author_id == author.id, AuthorKey.retired_at.is_(None))
        .order_by(AuthorKey.id.desc())
        .limit(1)
    )
    return db.session.scalar(query) or _make(author)


def rotate(author: Author) -> AuthorKey:
    """Retire the author's current keys and make a new one; old signatures stay verifiable."""
    now = utcnow()
    for key in keys_of(author):
        if key.retired_at is None:
            key.retired_at = now
    author.updated_at = now  # the DID document changed: every validator must change too
    return _make(author)


def sign(key: AuthorKey, data: bytes) -> bytes:
    """Sign data with the key's private half (Ed25519: the same bytes, the same signature)."""
    secret = str(current_app.config["SECRET_KEY"])
    return _private_key(secret, key.private_key, key.thumbprint).sign(data)


@lru_cache(maxsize=64)
def _private_key(secret: str, token: str, thumbprint: str) -> Ed25519PrivateKey:
    """Decrypt a private half once per process (HKDF and Fernet were ~0.2 ms a signature).

    Kept in memory beside SECRET_KEY, which decrypts it anyway; a new secret is a new entry.
    """
    from cryptography.fernet import InvalidToken
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        raw = _fernet(secret).decrypt(token.encode())
    except InvalidToken:
        raise KeyUnavailable(f"the key {thumbprint} cannot be decrypted") from None
    return Ed25519PrivateKey.from_private_bytes(raw)
