"""A post's history: soft delete and restore, and going back to an earlier revision.

A deleted post keeps its row with status "deleted" (never public, hidden from the API's
lists); restore_post gives it back the status it had, through the same review rule as
any write. Every step keeps a revision and an audit entry in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..access import audit
from ..access.audit import Actor
from ..content.diff import Diff, line_diff
from ..delivery import outbox
from ..extensions import db, write_transaction
from ..models import Post, PostRevision, utcnow
from . import counts, review
from .validate import PostError
from .write import update_post

DELETED = "deleted"


class NotDeleted(PostError):
    """A restore of a post that is not deleted."""

    code = "not_deleted"


class WrongRevision(PostError):
    """A revision that does not exist, or belongs to another post."""

    code = "no_such_revision"


def delete_post(post: Post, actor: Actor | None = None) -> None:
    """Hide the post (status deleted) and keep it restorable; deleting twice does nothing."""
    with write_transaction():
        doomed = _locked(post.id)
        if doomed is None or doomed.status == DELETED:
            return
        outbox.record_delete(doomed)
        counted = counts.counted(doomed)
        doomed.status = DELETED
        doomed.updated_at = utcnow()
        audit.keep_revision(doomed, actor)
        audit.record(actor, "post.deleted", audit.post_target(doomed))
        counts.record(counted, doomed)  # last: see posts.counts


def restore_post(post: Post, actor: Actor | None = None) -> Post:
    """Bring a deleted post back with the status it had (a review author's waits as pending)."""
    with write_transaction():
        found = _locked(post.id)
        if found is None:
            raise LookupError(post.id)
        if found.status != DELETED:
            raise NotDeleted(f"post {found.id} is not deleted")
        before = outbox.state_of(found)
        found.status = _status_before_deletion(found.id)
        found.updated_at = utcnow()
        review.hold(found, actor)
        outbox.record_write(before, found)
        review.record(before, found)
        audit.keep_revision(found, actor)
        audit.record(actor, "post.restored", audit.post_target(found))
        counts.record(counts.NOTHING, found)  # a deleted post counts toward nothing
    return found


def restore_revision(post: Post, revision_id: int, actor: Actor | None = None) -> Post:
    """Make an earlier revision's title, text and tags the post's own (a new revision)."""
    revision = db.session.get(PostRevision, revision_id)
    if revision is None or revision.post_id != post.id:
        raise WrongRevision(f"post {post.id} has no revision {revision_id}")
    values = {
        "title": revision.title,
        "content": revision.source,
        "tags": audit.revision_tags(revision),
    }

    def note(current: Post) -> None:
        detail = f"revision {revision_id}"
        audit.record(actor, "post.revision_restored", audit.post_target(current), detail)

    return update_post(post, values, check=note, actor=actor)


@dataclass(frozen=True)
class Change:
    """What one revision changed: the revision, the one before it (None: the first) and the diff."""

    revision: PostRevision
    previous: PostRevision | None
    diff: Diff
    tags: list[str]
    previous_tags: list[str]


def revision_change(post: Post, revision_id: int) -> Change:
    """Compare a revision of `post` with the revision before it; WrongRevision if not its own."""
    revision = db.session.get(PostRevision, revision_id)
    if revision is None or revision.post_id != post.id:
        raise WrongRevision(f"post {post.id} has no revision {revision_id}")
    query = (
        select(PostRevision)
        .where(PostRevision.post_id == post.id, PostRevision.id < revision.id)
        .order_by(PostRevision.id.desc())
        .limit(1)
    )
    previous = db.session.scalar(query)
    return Change(
        revision=revision,
        previous=previous,
        diff=line_diff(previous.source if previous else "", revision.source),
        tags=audit.revision_tags(revision),
        previous_tags=audit.revision_tags(previous) if previous else [],
    )


def _locked(post_id: int) -> Post | None:
    return db.session.get(Post, post_id, with_for_update={"of": Post}, populate_existing=True)


def _status_before_deletion(post_id: int) -> str:
    query = (
        select(PostRevision.status)
        .where(PostRevision.post_id == post_id, PostRevision.status != DELETED)
        .order_by(PostRevision.id.desc())
        .limit(1)
    )
    return db.session.scalar(query) or "draft"
