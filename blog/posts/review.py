"""Review: hold a review-policy author's published posts as pending; approve, send back, reject.

The one rule: a write that would leave a post of an author with policy "review" published
makes it "pending" instead, unless the actor is an operator. Pending, changes_requested
and rejected are never public (Post.is_public_at needs "published"). Each decision is one
transaction on the locked row, so of two operators deciding at once exactly one wins and
the other gets NotPending.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..access import audit
from ..access.audit import Actor
from ..delivery import outbox
from ..extensions import db, write_transaction
from ..models import Author, Post, utcnow
from . import counts
from .authors import POLICIES
from .validate import FieldError, InvalidPost, PostError, check_text

MAX_NOTE = 5000


class NotPending(PostError):
    """A decision on a post that is not (or no longer) waiting for review."""

    code = "not_pending"

    def __init__(self, post: Post) -> None:
        super().__init__(f"post {post.id} is {post.status.replace('_', ' ')}, not pending review")
        self.status = post.status


def hold(post: Post, actor: Actor | None) -> None:
    """Make a published post of a review-policy author pending, unless an operator writes."""
    if post.status != "published" or (actor is not None and actor.reviews):
        return
    if post.author.policy == "review":
        post.status = "pending"


def record(before: outbox.PostState | None, post: Post) -> None:
    """Record post.pending when a write has just put the post in the review queue."""
    if post.status == "pending" and (before is None or before.status != "pending"):
        outbox.record_review("post.pending", post)


def pending_posts() -> list[Post]:
    """Return the posts waiting for review, oldest first."""
    query = select(Post).where(Post.status == "pending").order_by(Post.updated_at, Post.id)
    return list(db.session.scalars(query))


def approve_post(
    post: Post, actor: Actor | None = None, published_at: datetime | None = None
) -> Post:
    """Publish a pending post, at its own publication time or at `published_at`."""
    with write_transaction():
        locked = _pending(post.id)
        before = outbox.state_of(locked)
        now = utcnow()
        locked.status = "published"
        locked.published_at = published_at or locked.published_at or now
        locked.review_note = ""
        locked.updated_at = now
        outbox.record_write(before, locked)
        outbox.record_review("post.approved", locked)
        audit.keep_revision(locked, actor)
        audit.record(actor, "post.approved", audit.post_target(locked))
        counts.record(counts.NOTHING, locked)  # a pending post counts toward nothing
    return locked


def request_changes(post: Post, note: str, actor: Actor | None = None) -> Post:
    """Send a pending post back to its agent with a note saying what to change."""
    _check_note(note, required=True)
    return _decide(post, "changes_requested", note, actor)


def reject_post(post: Post, note: str = "", actor: Actor | None = None) -> Post:
    """Refuse a pending post for good (the agent sees it rejected, with the note)."""
    _check_note(note, required=False)
    return _decide(post, "rejected", note, actor)


def _decide(post: Post, status: str, note: str, actor: Actor | None) -> Post:
    with write_transaction():
        locked = _pending(post.id)
        locked.status = status
        locked.review_note = note.strip()
        locked.updated_at = utcnow()
        if status == "rejected":
            outbox.record_review("post.rejected", locked)
        audit.keep_revision(locked, actor)
        action = "post.rejected" if status == "rejected" else "post.changes_requested"
        audit.record(actor, action, audit.post_target(locked), note.strip())
    return locked


def _pending(post_id: int) -> Post:
    """Lock the post's row and return it if it is pending; raise LookupError or NotPending."""
    locked = db.session.get(Post, post_id, with_for_update={"of": Post}, populate_existing=True)
    if locked is None:
        raise LookupError(post_id)
    if locked.status != "pending":
        raise NotPending(locked)
    return locked


def _check_note(note: str, required: bool) -> None:
    errors: list[FieldError] = []
    check_text("note", note, errors, MAX_NOTE)
    if required and not errors and not note.strip():
        errors.append(FieldError("note", "is required: tell the agent what to change"))
    if errors:
        raise InvalidPost(errors)


def set_policy(author: Author, policy: str, actor: Actor | None = None) -> Author:
    """Set the author's publishing policy: publish or review."""
    if policy not in POLICIES:
        raise InvalidPost([FieldError("policy", "must be publish or review")])
    with write_transaction():
        found = db.session.get(Author, author.id, populate_existing=True)
        if found is None:
            raise LookupError(author.id)
        found.policy = policy
        found.updated_at = utcnow()
        audit.record(actor, "author.changed", f"author {found.slug}", f"policy {policy}")
    return found
