"""Idempotency-Key records (IETF httpapi draft): claim a key, store its response, replay it.

A request first *claims* its key in a short transaction of its own, so a second request
with the same key sees it is taken (409) while the first runs. The response is then
stored by complete() inside the transaction that writes the post: both are saved, or
neither. A failed request releases its key, so a corrected retry may use it again.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db, write_transaction
from ..models import IdempotencyKey, utcnow

# A holder that has not finished by then died with its worker: its key may be taken over
# (IDEMPOTENCY_TAKEOVER_SECONDS). A holder still alive then finds its claim gone (KeyLost).
ABANDONED_AFTER = timedelta(minutes=2)
CLAIM_ATTEMPTS = 3


class KeyLost(RuntimeError):
    """The key was taken over while this request ran: its write must not happen."""


@dataclass(frozen=True)
class Claim:
    """The outcome of claim(): "new" (go ahead), "replay", "in_progress" or "mismatch"."""

    outcome: str
    record_id: int = 0
    holder: str = ""
    status_code: int = 0
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def fingerprint(method: str, path: str, payload: Any) -> str:
    """Hash a request's method, path and JSON payload, whatever its key order or spacing."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def claim(
    token_id: int, key: str, print_: str, keep: timedelta, abandoned: timedelta = ABANDONED_AFTER
) -> Claim:
    """Take `key` for this token, or report the stored response or the request holding it."""
    for attempt in range(CLAIM_ATTEMPTS):
        try:
            return _claim_once(token_id, key, print_, keep, abandoned)
        except IntegrityError:
            # Another request inserted the same key first; read what it left.
            if attempt == CLAIM_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _claim_once(
    token_id: int, key: str, print_: str, keep: timedelta, abandoned: timedelta
) -> Claim:
    now = utcnow()
    holder = secrets.token_hex(16)
    with write_transaction():
        # Every token's expired keys, by the created_at index: asked per token, SQLite walked
        # all of the token's keys, so each claim cost more than the last (13.6 ms a keyed
        # publish, 20.9 ms after 2,000 keys), and a token that stopped writing kept its own.
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - keep))
        record = db.session.scalar(
            select(IdempotencyKey)
            .where(IdempotencyKey.token_id == token_id, IdempotencyKey.key == key)
            .with_for_update()
        )
        if record is None:
            record = IdempotencyKey(token_id=token_id, key=key, fingerprint=print_, holder=holder)
            db.session.add(record)
        elif record.holder is not None and record.created_at < now - abandoned:
            record.fingerprint, record.holder, record.created_at = print_, holder, now
        elif record.fingerprint != print_:
            return Claim("mismatch", record.id)
        elif record.holder is not None:
            return Claim("in_progress", record.id)
        else:
            headers = json.loads(record.headers or "{}")
            return Claim(
                "replay", record.id, "", record.status_code or 200, record.response, headers
            )
        db.session.flush()
        return Claim("new", record.id, holder)


def complete(claim: Claim, status_code: int, body: str, headers: dict[str, str]) -> None:
    """Store the response under the claimed key; call inside the write's transaction."""
    result = db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim.record_id, IdempotencyKey.holder == claim.holder)
        .values(holder=None, status_code=status_code, response=body, headers=json.dumps(headers))
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise KeyLost(claim.record_id)


def release(claim: Claim) -> None:
    """Forget a claimed key whose request failed, so a corrected retry may use it."""
    with write_transaction():
        db.session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == claim.record_id, IdempotencyKey.holder == claim.holder
            )
        )
