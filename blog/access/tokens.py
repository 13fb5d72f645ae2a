"""Issue, verify and revoke API tokens; only a SHA-256 hash of each secret is stored.

A token is ``ab_`` followed by 43 URL-safe characters (256 random bits). The prefix
makes a leaked token easy to grep for. Verifying looks the hash up (the hash of a
256-bit secret reveals nothing, so an index lookup is safe) and compares it again
in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..extensions import db, write_transaction
from ..models import Author, Token, utcnow
from . import audit
from .audit import Actor

PREFIX = "ab_"
SECRET_BYTES = 32
SCOPES = ("posts:read", "posts:write", "posts:publish", "posts:delete")
TOKEN_RE = re.compile(r"^ab_[A-Za-z0-9_-]{43}$")
LIFETIME_RE = re.compile(r"^(\d{1,5})([dhm])$")
LIFETIME_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
# Recording every use would make each read a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token we refuse to issue; the message says why."""


@dataclass(frozen=True)
class Verdict:
    """What verify() found: the token if it may be used, else why not."""

    token: Token | None
    problem: str = ""  # "", "invalid", "expired", "revoked" or "wrong_resource"


def hash_secret(raw: str) -> str:
    """Return the stored form of a raw token."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(text: str) -> tuple[str, ...]:
    """Split "posts:write,posts:publish" into known scopes; raise TokenError on others."""
    scopes = tuple(dict.fromkeys(s.strip() for s in text.replace(" ", ",").split(",") if s))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise TokenError(f"unknown or no scopes {unknown}; choose from {', '.join(SCOPES)}")
    return scopes


def parse_lifetime(text: str) -> timedelta | None:
    """Read "90d", "12h", "30m" or "never" (None)."""
    if text.strip().lower() == "never":
        return None
    match = LIFETIME_RE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise TokenError(
            f"lifetime {text!r}: use a number of days, hours or minutes (90d) or never"
        )
    return timedelta(**{LIFETIME_UNITS[match.group(2)]: int(match.group(1))})


def issue(
    author: Author,
    scopes: tuple[str, ...],
    lifetime: timedelta | None,
    name: str = "",
    actor: Actor | None = None,
    quotas: tuple[int | None, int | None] = (None, None),
) -> tuple[str, Token]:
    """Create a token for `author`; return the raw secret (shown once) and the stored row.

    `quotas` are its posts per hour and per day (None: the setting, 0: no limit).
    """
    raw = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    with write_transaction():
        token = Token(
            author_id=author.id,
            name=name,
            scopes=" ".join(parse_scopes(",".join(scopes))),
            secret_hash=hash_secret(raw),
            expires_at=utcnow() + lifetime if lifetime else None,
            quota_hour=quotas[0],
            quota_day=quotas[1],
        )
        db.session.add(token)
        db.session.flush()
        audit.record(actor, "token.issued", f"token {token.id} ({name or 'unnamed'})", author.slug)
    return raw, token


def verify(raw: str, now: datetime | None = None, resource: str = "api") -> Verdict:
    """Find the usable token for a raw secret, noting its use; else say what is wrong.

    A token issued through OAuth serves one resource ("api", "mcp", "micropub"; RFC 8707)
    and is refused by the others; a token made by the CLI serves any.
    """
    if not TOKEN_RE.match(raw):
        return Verdict(None, "invalid")
    digest = hash_secret(raw)
    token = db.session.scalar(select(Token).where(Token.secret_hash == digest))
    if token is None or not hmac.compare_digest(token.secret_hash, digest):
        return Verdict(None, "invalid")
    now = now or utcnow()
    if token.revoked_at is not None:
        return Verdict(None, "revoked")
    if token.expires_at is not None and token.expires_at <= now:
        return Verdict(None, "expired")
    if token.resource is not None and token.resource != resource:
        _record_wrong_resource(token, resource)
        return Verdict(None, "wrong_resource")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        with write_transaction():
            db.session.execute(update(Token).where(Token.id == token.id).values(last_used_at=now))
        token.last_used_at = now
    return Verdict(token)


def _record_wrong_resource(token: Token, resource: str) -> None:
    """Audit an OAuth token shown to a resource it was not issued for (RFC 8707)."""
    who = Actor(kind="token", token_id=token.id, author_id=token.author_id, label=token.name)
    why = f"invalid_target: a token for {token.resource} shown to {resource}"
    with write_transaction():
        audit.record(who, "oauth.refused", f"token {token.id} of grant {token.grant_id}", why)


def scopes_of(token: Token) -> frozenset[str]:
    """Return the scopes a token carries."""
    return frozenset(token.scopes.split())


def revoke(token_id: int, actor: Actor | None = None) -> Token | None:
    """Revoke a token from its next request on; return it, or None if there is none."""
    with write_transaction():
        token = db.session.get(Token, token_id)
        if token is not None and token.revoked_at is None:
            token.revoked_at = utcnow()
            audit.record(actor, "token.revoked", f"token {token.id} ({token.name or 'unnamed'})")
    return token


def all_tokens() -> list[Token]:
    """Return every token, newest first."""
    return list(db.session.scalars(select(Token).order_by(Token.id.desc())))


def status(token: Token, now: datetime | None = None) -> str:
    """Say whether a token is active, expired or revoked."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= (now or utcnow()):
        return "expired"
    return "active"
