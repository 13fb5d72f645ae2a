"""The authorization server's records: grants, codes, token pairs, rotation, revocation.

An operator's approval is a grant (client, author, scopes, resource). Its codes are single
use: a second use revokes the grant and everything issued under it (RFC 6749 §10.5). Its
access tokens are ordinary API tokens (hashed, scoped, expiring) bound to one resource;
its refresh tokens rotate on every use, and a reused one revokes the whole grant (OAuth 2.1
§4.3.1). Secrets are stored as SHA-256 hashes only.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ..extensions import db, write_transaction
from ..models import Author, OAuthClient, OAuthCode, OAuthGrant, OAuthRefreshToken, Token
from ..models import utcnow as utcnow
from . import audit
from .audit import Actor
from .tokens import PREFIX, SECRET_BYTES, hash_secret

log = logging.getLogger("blog.oauth")
REFRESH_PREFIX = "abr_"
CODE_LIFETIME = timedelta(minutes=10)
RESOURCES = ("api", "mcp", "micropub")


class GrantError(ValueError):
    """A code or refresh token we refuse; the message says why (RFC 6749 invalid_grant)."""


@dataclass(frozen=True)
class Lifetimes:
    access: timedelta
    refresh: timedelta


@dataclass(frozen=True)
class Issued:
    """A new token pair, raw secrets shown once."""

    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    grant: OAuthGrant


def client_actor(client_id: str, address: str) -> Actor:
    """Name an OAuth client, by its client_id, as the actor of what it asks for."""
    return Actor(kind="client", address=address, label=client_id[:300])


def record_refusal(actor: Actor, target: str, error: str, why: str) -> None:
    """Write the audit entry of a refused OAuth request: the only thing a refusal writes."""
    with write_transaction():
        audit.record(actor, "oauth.refused", target, f"{error}: {why}"[:2000])


def record_denial(actor: Actor, target: str, redirect_uri: str) -> None:
    """Write the audit entry of a consent the operator denied (nothing is issued)."""
    with write_transaction():
        audit.record(actor, "oauth.consent.denied", target, f"sent back to {redirect_uri}")


def grant_target(grant: OAuthGrant) -> str:
    """Name a grant in the audit log: its id and its client."""
    return f"grant {grant.id} of client {grant.client.client_id}"


def approve(
    client: OAuthClient,
    author: Author,
    scopes: str,
    resource: str,
    approved_by: str,
    actor: Actor | None = None,
) -> OAuthGrant:
    """Record an operator's approval."""
    with write_transaction():
        grant = OAuthGrant(
            client_id=client.id,
            author_id=author.id,
            scopes=scopes,
            resource=resource,
            approved_by=approved_by,
        )
        db.session.add(grant)
        db.session.flush()
        detail = f"author {author.slug}, resource {resource}, scopes {scopes}"
        audit.record(actor, "oauth.consent.approved", f"grant {grant.id} of client "
                     f"{client.client_id}", detail)  # fmt: skip
    log.info("oauth grant %s approved by %s for %s", grant.id, approved_by, client.client_id)
    return grant


def save_code(code: str, grant: OAuthGrant, redirect_uri: str, challenge: str) -> None:
    """Store an authorization code's hash with its redirect URI and PKCE challenge."""
    with write_transaction():
        db.session.add(
            OAuthCode(
                code_hash=hash_secret(code),
                grant_id=grant.id,
                redirect_uri=redirect_uri,
                code_challenge=challenge,
                expires_at=utcnow() + CODE_LIFETIME,
            )
        )


def find_code(code: str, client: OAuthClient, actor: Actor | None = None) -> OAuthCode:
    """Return a usable code of this client; a reused one revokes its grant."""
    row = db.session.scalar(select(OAuthCode).where(OAuthCode.code_hash == hash_secret(code)))
    if row is None or row.grant.client_id != client.id:
        raise GrantError("the code is unknown or was issued to another client")
    if row.used_at is not None:
        revoke_grant(row.grant_id, "authorization code used twice", actor, "oauth.code.reused")
        raise GrantError("the code was already used; what it issued is revoked")
    if row.expires_at <= utcnow() or row.grant.revoked_at is not None:
        raise GrantError("the code has expired")
    return row


def spend_code(row: OAuthCode) -> bool:
    """Mark a code used; return False if another request spent it first."""
    with write_transaction():
        done = db.session.execute(
            update(OAuthCode)
            .where(OAuthCode.id == row.id, OAuthCode.used_at.is_(None))
            .values(used_at=utcnow())
        )
    return done.rowcount == 1


def issue(
    grant: OAuthGrant,
    lifetimes: Lifetimes,
    actor: Actor | None = None,
    action: str = "oauth.token.issued",
) -> Issued:
    """Issue an access token (an ordinary API token) and a refresh token for a grant."""
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    now = utcnow()
    with write_transaction():
        access = _add_access_token(
            grant, "OAuth", grant.scopes, now + lifetimes.access, grant.resource
        )
        db.session.add(
            OAuthRefreshToken(
                secret_hash=hash_secret(refresh),
                grant_id=grant.id,
                expires_at=now + lifetimes.refresh,
            )
        )
        audit.record(actor, action, grant_target(grant), f"scopes {grant.scopes}")
    seconds = int(lifetimes.access.total_seconds())
    return Issued(access, refresh, seconds, grant.scopes, grant)


def rotate(
    raw: str, client: OAuthClient, lifetimes: Lifetimes, actor: Actor | None = None
) -> Issued:
    """Spend a refresh token for a new pair; a reused one revokes the whole grant."""
    row = db.session.scalar(
        select(OAuthRefreshToken).where(OAuthRefreshToken.secret_hash == hash_secret(raw))
    )
    if row is None or row.grant.client_id != client.id:
        raise GrantError("the refresh token is unknown or was issued to another client")
    if row.grant.revoked_at is not None:
        raise GrantError("the grant was revoked")
    with write_transaction():
        spent = db.session.execute(
            update(OAuthRefreshToken)
            .where(OAuthRefreshToken.id == row.id, OAuthRefreshToken.used_at.is_(None))
            .values(used_at=utcnow())
        )
    if spent.rowcount != 1:
        revoke_grant(row.grant_id, "refresh token reused", actor, "oauth.refresh.reused")
        raise GrantError("the refresh token was already used; the grant is revoked")
    if row.expires_at <= utcnow():
        raise GrantError("the refresh token has expired")
    return issue(row.grant, lifetimes, actor, "oauth.token.refreshed")


def revoke_grant(
    grant_id: int, why: str, actor: Actor | None = None, action: str = "oauth.grant.revoked"
) -> bool:
    """Revoke a grant, its access tokens and its refresh tokens; False if it was not active."""
    now = utcnow()
    with write_transaction():
        done = db.session.execute(
            update(OAuthGrant)
            .where(OAuthGrant.id == grant_id, OAuthGrant.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        db.session.execute(
            update(Token)
            .where(Token.grant_id == grant_id, Token.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if done.rowcount == 1:
            grant = db.session.get(OAuthGrant, grant_id)
            assert grant is not None
            audit.record(actor, action, grant_target(grant), why)
    log.warning("oauth grant %s revoked: %s", grant_id, why)
    return done.rowcount == 1


def find_token(raw: str) -> tuple[str, Token | OAuthRefreshToken] | None:
    """Find an access or refresh token by its raw secret: ("access", row) or ("refresh", row)."""
    digest = hash_secret(raw)
    if raw.startswith(REFRESH_PREFIX):
        row = db.session.scalar(
            select(OAuthRefreshToken).where(OAuthRefreshToken.secret_hash == digest)
        )
        return ("refresh", row) if row else None
    token = db.session.scalar(select(Token).where(Token.secret_hash == digest))
    return ("access", token) if token else None


def is_active(token: Token, now: datetime | None = None) -> bool:
    """Tell whether an access token may still be used."""
    now = now or utcnow()
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


def all_grants() -> list[OAuthGrant]:
    """Return every grant, newest first."""
    return list(db.session.scalars(select(OAuthGrant).order_by(OAuthGrant.id.desc())))


def get_grant(grant_id: int) -> OAuthGrant | None:
    """Return a grant by its id."""
    return db.session.get(OAuthGrant, grant_id)


def grant_of(token: Token) -> OAuthGrant | None:
    """Return the grant an access token was issued under, if any."""
    return db.session.get(OAuthGrant, token.grant_id) if token.grant_id else None


def authors() -> list[Author]:
    """Return the authors a client may be allowed to write as, by name."""
    return list(db.session.scalars(select(Author).order_by(Author.name)))


def exchange(subject: Token, lifetime: timedelta) -> tuple[str, int]:
    """Issue a JSON API token for an active OAuth token's grant (RFC 8693).

    Same author, same scopes, same grant (revoking the grant ends both), no longer life
    than the subject token; return the raw token and its lifetime in seconds.
    """
    grant = grant_of(subject)
    if grant is None or grant.revoked_at is not None or not is_active(subject):
        raise GrantError("the subject token is not active")
    now = utcnow()
    expires = min(now + lifetime, subject.expires_at or now + lifetime)
    with write_transaction():
        raw = _add_access_token(grant, "OAuth exchange", subject.scopes, expires, "api")
    return raw, max(1, int((expires - now).total_seconds()))


def _add_access_token(
    grant: OAuthGrant, kind: str, scopes: str, expires: datetime, resource: str
) -> str:
    """Add an API token of the grant's author to the session; return its raw secret."""
    raw = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    name = f"{kind}: {grant.client.name or grant.client.client_id}"[:200]
    db.session.add(
        Token(
            author_id=grant.author_id,
            name=name,
            scopes=scopes,
            secret_hash=hash_secret(raw),
            expires_at=expires,
            grant_id=grant.id,
            resource=resource,
        )
    )
    return raw


def active_token_counts() -> dict[int, int]:
    """Return, per grant id, how many of its access tokens may still be used."""
    now = utcnow()
    query = (
        select(Token.grant_id, func.count(Token.id))
        .where(Token.grant_id.is_not(None), Token.revoked_at.is_(None), Token.expires_at > now)
        .group_by(Token.grant_id)
    )
    return {grant_id: number for grant_id, number in db.session.execute(query)}
