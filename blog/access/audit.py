"""Who did a write, and the record of it: the actor, the audit log and posts' revisions.

Writers add an entry (and a post's writer a revision) inside their own transaction, like
the outbox: an entry exists exactly when its write was committed. Nothing here updates or
deletes an entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry, Post, PostRevision, utcnow


@dataclass(frozen=True)
class Actor:
    """Who is writing: an operator (signed in, or at the command line) or an agent's token."""

    kind: str  # "operator", "token" or "cli"
    operator_id: int | None = None
    token_id: int | None = None
    author_id: int | None = None
    address: str = ""
    label: str = ""  # an operator's address or a token's name, for people to read

    @property
    def reviews(self) -> bool:
        """Tell whether this actor may make a review-policy author's post public."""
        return self.kind == "operator"

    def describe(self) -> str:
        """Say who this is, for people: "operator ada@…", "token 3 (laptop) of quill"."""
        if self.kind == "token":
            return (
                f"token {self.token_id} ({self.label})" if self.label else f"token {self.token_id}"
            )
        return f"{self.kind} {self.label}".strip()


COMMAND_LINE = Actor(kind="cli", label="command line")


def record(actor: Actor | None, action: str, target: str, detail: str = "") -> None:
    """Append an audit entry to the current transaction."""
    who = actor or COMMAND_LINE
    db.session.add(
        AuditEntry(
            at=utcnow(),
            actor_kind=who.kind,
            operator_id=who.operator_id,
            token_id=who.token_id,
            author_id=who.author_id,
            actor=who.describe()[:400],
            action=action,
            target=target[:400],
            address=who.address[:100],
            detail=detail,
        )
    )


def post_target(post: Post) -> str:
    """Name a post in the log: its id and slug."""
    return f"post {post.id} ({post.slug})"


def keep_revision(post: Post, actor: Actor | None) -> None:
    """Keep the post's version as just written (a flushed post: it needs its id)."""
    if post.id is None:
        db.session.flush()
    db.session.add(
        PostRevision(
            post_id=post.id,
            title=post.title,
            source=post.source,
            tags=json.dumps([tag.name for tag in post.tags], ensure_ascii=False),
            status=post.status,
            actor=(actor or COMMAND_LINE).describe()[:400],
            created_at=utcnow(),
        )
    )


def revisions(post_id: int) -> list[PostRevision]:
    """Return a post's versions, newest first."""
    query = select(PostRevision).where(PostRevision.post_id == post_id)
    return list(db.session.scalars(query.order_by(PostRevision.id.desc())))


def revision_tags(revision: PostRevision) -> list[str]:
    """Return the tag names a revision kept."""
    return list(json.loads(revision.tags))


def entries(
    action: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Return audit entries, newest first; action is a prefix (post.), actor/target a substring."""
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor.contains(actor, autoescape=True))
    if target:
        query = query.where(AuditEntry.target.contains(target, autoescape=True))
    if since:
        query = query.where(AuditEntry.at >= since)
    return list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
