"""Tokens, idempotency keys and operators: who may write, and what a retried write did."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .columns import UTCDateTime, utcnow
from .content import Author


class Token(db.Model):
    """An API token: only a hash of the secret is stored; it always acts as its author."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated, e.g. "posts:write"
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Issued through OAuth (blog/access/oauth.py): the grant, and the one resource it serves.
    grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("oauth_grants.id", ondelete="CASCADE", name="fk_tokens_grant_id"), index=True
    )
    resource: Mapped[str | None] = mapped_column(String(20))  # None: any (CLI tokens)
    # Posts this token may create per hour and per day; None: the setting, 0: no limit.
    quota_hour: Mapped[int | None] = mapped_column(Integer)
    quota_day: Mapped[int | None] = mapped_column(Integer)

    author: Mapped[Author] = relationship(lazy="joined")


class IdempotencyKey(db.Model):
    """A token's Idempotency-Key: held by a running request, then the response it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_idempotency_token_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Random id of the request working under this key; None once its response is stored.
    holder: Mapped[str | None] = mapped_column(String(32))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AuthorKey(db.Model):
    """An author's Ed25519 key pair: the private half only encrypted (access.keys)."""

    __tablename__ = "author_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"), index=True)
    thumbprint: Mapped[str] = mapped_column(String(64), unique=True)  # RFC 7638, the DID fragment
    public_key: Mapped[str] = mapped_column(String(64))  # base64url of the 32 raw bytes
    private_key: Mapped[str] = mapped_column(Text)  # Fernet token under a SECRET_KEY-derived key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<AuthorKey {self.thumbprint}>"


class Operator(db.Model):
    """A person who signs in to /admin: an argon2id hash, never the password."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(200))
    # Part of every session's id: bumping it (sign-out, new password, disable) ends them all.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):
    """One write, appended in the write's own transaction and never changed: who, what, where."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(20))  # operator, token, cli
    operator_id: Mapped[int | None] = mapped_column(Integer)
    token_id: Mapped[int | None] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(400), default="")  # who, as people read it
    action: Mapped[str] = mapped_column(String(50), index=True)  # e.g. post.approved
    target: Mapped[str] = mapped_column(String(400), default="")  # e.g. post 12 (hello-world)
    address: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
