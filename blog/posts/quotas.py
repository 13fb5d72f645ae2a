"""Quotas: how many posts an agent may create per hour and per day, per token and per author.

The count comes from the audit log: every post an agent's token created has a "post.created"
entry (token and author), written in the post's own transaction, so a refused or rolled-back
create never counts and every worker and host counts the same rows. The check runs inside
create_post's write transaction after locking the author's row, so two concurrent creates
cannot both take the last place. Operators (the admin, the CLI, import-posts) have no quota.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, func, select

from ..access.audit import Actor
from ..extensions import db
from ..models import AuditEntry, Author, Token, utcnow
from .validate import PostError

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
CREATED = "post.created"


@dataclass(frozen=True)
class Quota:
    """One limit that applies to a write: whose (token or author), its window and its size."""

    applies_to: str  # "token" or "author"
    window: str  # "hour" or "day"
    limit: int

    @property
    def seconds(self) -> int:
        return int(WINDOWS[self.window].total_seconds())


class QuotaExceeded(PostError):
    """A create over a token's or an author's quota; nothing was stored."""

    code = "quota_exceeded"

    def __init__(self, quota: Quota, retry_after: int) -> None:
        super().__init__(
            f"the {quota.applies_to}'s quota of {quota.limit} posts per {quota.window}"
            f" is used up; retry in {retry_after} s"
        )
        self.quota = quota
        self.retry_after = retry_after


def setting(applies_to: str, window: str) -> str:
    """Name the setting of a default quota: POSTS_PER_HOUR_PER_TOKEN, ..."""
    return f"POSTS_PER_{window.upper()}_PER_{applies_to.upper()}"


def quotas_of(author: Author, token: Token | None) -> list[Quota]:
    """Return the quotas that bind a create by `token` for `author` (0 or unset: none)."""
    found = []
    for applies_to, holder in (("token", token), ("author", author)):
        if holder is None:
            continue
        for window in WINDOWS:
            override = getattr(holder, f"quota_{window}")
            limit = int(current_app.config[setting(applies_to, window)])
            limit = limit if override is None else override
            if limit > 0:
                found.append(Quota(applies_to, window, limit))
    return found


def check_quota(author: Author, actor: Actor | None) -> None:
    """Raise QuotaExceeded if one more post by this actor for `author` would pass a quota.

    Only agents (token actors) have quotas. Call it inside the create's write transaction.
    """
    if actor is None or actor.kind != "token":
        return
    token = db.session.get(Token, actor.token_id) if actor.token_id is not None else None
    quotas = quotas_of(author, token)
    if not quotas:
        return
    # Creates for one author take turns from here to commit (SQLite's writers always do).
    lock = select(Author.id).where(Author.id == author.id).with_for_update(key_share=True)
    db.session.execute(lock)  # FOR NO KEY UPDATE: other inserts that refer to it go on
    now = utcnow()
    for quota in quotas:
        since = now - WINDOWS[quota.window]
        who = (
            AuditEntry.token_id == actor.token_id
            if quota.applies_to == "token"
            else AuditEntry.author_id == author.id
        )
        created = select(AuditEntry.at).where(
            AuditEntry.action == CREATED,
            AuditEntry.actor_kind == "token",
            AuditEntry.at > since,
            who,
        )
        count = db.session.scalar(select(func.count()).select_from(created.subquery())) or 0
        if count >= quota.limit:
            raise QuotaExceeded(quota, _wait(created, quota, now))


def _wait(created: Select[tuple[datetime]], quota: Quota, now: datetime) -> int:
    """Seconds until a place frees up: when the limit-th newest create leaves the window."""
    query = created.order_by(AuditEntry.at.desc()).offset(quota.limit - 1).limit(1)
    oldest = db.session.scalar(query)
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest + WINDOWS[quota.window] - now).total_seconds()))
