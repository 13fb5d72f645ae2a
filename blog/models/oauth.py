"""OAuth clients, the grants an operator approved, their codes and refresh tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .columns import UTCDateTime, utcnow
from .content import Author


class OAuthClient(db.Model):
    """A client: registered (RFC 7591) or known by its metadata document's URL (CIMD)."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(2000), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # "dcr" or "cimd"
    name: Mapped[str] = mapped_column(String(200), default="")
    client_uri: Mapped[str] = mapped_column(String(2000), default="")
    logo_uri: Mapped[str] = mapped_column(String(2000), default="")
    redirect_uris: Mapped[str] = mapped_column(Text, default="")  # one per line
    # "none" (public, PKCE only) or "client_secret_post"/"client_secret_basic" (DCR only).
    auth_method: Mapped[str] = mapped_column(String(40), default="none")
    secret_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # CIMD: the cached copy


class OAuthGrant(db.Model):
    """What an operator approved: this client may act as this author, with these scopes."""

    __tablename__ = "oauth_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    approved_by: Mapped[str] = mapped_column(String(320), default="")
    scopes: Mapped[str] = mapped_column(String(200))
    resource: Mapped[str] = mapped_column(String(20))  # "api", "mcp" or "micropub"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[OAuthClient] = relationship(lazy="joined")
    author: Mapped[Author] = relationship(lazy="joined")


class OAuthCode(db.Model):
    """An authorization code (its hash): single use, short-lived, bound to client and PKCE."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("oauth_grants.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    code_challenge: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    grant: Mapped[OAuthGrant] = relationship(lazy="joined")


class OAuthRefreshToken(db.Model):
    """A refresh token (its hash): each use replaces it; a second use revokes the grant."""

    __tablename__ = "oauth_refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("oauth_grants.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    grant: Mapped[OAuthGrant] = relationship(lazy="joined")
