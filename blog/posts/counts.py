"""How many public posts the blog, each author and each tag have, without counting on a read.

Listings show totals ("page 500 of 5,000", a tag index's counts). Counting scans every
post of the listing, and any write starts a new version whose first request counts again:
at 100,000 posts that is a scan after each write. So the writer keeps the number of posts
with status published (scheduled ones included) per author (`AuthorCount`; the blog's is
their sum) and per tag (`Tag.published_count`), and a read subtracts the published posts
whose time has not come, which an index range finds (they are few: those scheduled ahead).

Lock order, so that concurrent writers wait for each other and never deadlock: `record`
is the last statement of every write's transaction, and takes the author rows, then the
tag rows, each in id order. Whoever holds a count lock is at its commit and waits for
nothing but other count locks, taken in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, func, insert, select, update

from ..extensions import db
from ..models import AuthorCount, Post, Tag, post_tags


@dataclass(frozen=True)
class Counted:
    """What a post counts toward: its author and its tags when published, else nothing."""

    author_id: int | None = None
    tags: frozenset[int] = frozenset()


NOTHING = Counted()


def counted(post: Post) -> Counted:
    """Return what the post counts toward as it stands (call before a write changes it)."""
    if post.status != "published" or post.published_at is None:
        return NOTHING
    db.session.flush()  # a tag or author set by this write gets its id
    return Counted(post.author_id, frozenset(tag.id for tag in post.tags))


def record(before: Counted, post: Post) -> None:
    """Move the counts from what the post counted toward to what it counts toward now.

    Call it last in the write's transaction: its row locks are then held only to commit.
    """
    after = counted(post)
    steps: dict[int, int] = {}
    for author_id, step in ((before.author_id, -1), (after.author_id, 1)):
        if author_id is not None:
            steps[author_id] = steps.get(author_id, 0) + step
    _move_authors({author_id: n for author_id, n in steps.items() if n})
    _move_tags(after.tags - before.tags, before.tags - after.tags)


def _move_authors(steps: dict[int, int]) -> None:
    if steps:
        rows = [{"author_id": a, "published": n} for a, n in sorted(steps.items())]
        db.session.execute(_author_upsert(db.session.get_bind().dialect.name), rows)


def _move_tags(added: frozenset[int], removed: frozenset[int]) -> None:
    if not added and not removed:
        return
    if db.session.get_bind().dialect.name == "postgresql":  # SQLite has one writer
        db.session.execute(_TAG_LOCK, {"ids": sorted(added | removed)})
    for ids, step in ((added, 1), (removed, -1)):
        if ids:
            db.session.execute(_TAG_STEP, {"ids": sorted(ids), "step": step})


# Built once: a write runs these with new values only (building them took ~1 ms a write).
# PostgreSQL locks the rows of a SELECT … ORDER BY … FOR UPDATE in that order; an UPDATE
# takes them in whatever order its scan meets them.
_TAG_LOCK = (
    select(Tag.id)
    .where(Tag.id.in_(bindparam("ids", expanding=True)))
    .order_by(Tag.id)
    .with_for_update(key_share=True)
)
_tags = Tag.__table__.c
_TAG_STEP = (
    update(Tag.__table__)
    .where(_tags.id.in_(bindparam("ids", expanding=True)))
    .values(published_count=_tags.published_count + bindparam("step"))
)


@lru_cache(maxsize=2)
def _author_upsert(dialect: str) -> Any:
    """Add to an author's count, making its row with its first post (rows in id order)."""
    if dialect == "postgresql":  # imported here: 2 MB a worker
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    upsert = insert(AuthorCount.__table__).values(
        author_id=bindparam("author_id"), published=bindparam("published")
    )
    added = {"published": AuthorCount.__table__.c.published + upsert.excluded.published}
    return upsert.on_conflict_do_update(index_elements=["author_id"], set_=added)


def _scheduled(now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (Post.status == "published", Post.published_at > now)


def tags_ahead(now: datetime) -> dict[int, int]:
    """Per tag, how many of its counted posts are not public yet: scheduled after `now`."""
    query = (
        select(post_tags.c.tag_id, func.count())
        .join(Post, Post.id == post_tags.c.post_id)
        .where(*_scheduled(now))
        .group_by(post_tags.c.tag_id)
    )
    return {tag_id: n for tag_id, n in db.session.execute(query)}


def authors_ahead(now: datetime) -> dict[int, int]:
    """Per author, how many of their counted posts are scheduled after `now`."""
    query = select(Post.author_id, func.count()).where(*_scheduled(now)).group_by(Post.author_id)
    return {author_id: n for author_id, n in db.session.execute(query)}


def public_total(now: datetime) -> int:
    """Return how many posts are public at `now`: the authors' counts less those ahead."""
    kept = db.session.scalar(select(func.coalesce(func.sum(AuthorCount.published), 0))) or 0
    return kept - sum(authors_ahead(now).values())


def public_by_author(author_id: int, now: datetime) -> int:
    """Return how many of the author's posts are public at `now`."""
    query = select(AuthorCount.published).where(AuthorCount.author_id == author_id)
    return (db.session.scalar(query) or 0) - authors_ahead(now).get(author_id, 0)


def recount() -> None:
    """Count every author's and tag's published posts again: after rows written past the writer.

    One grouped pass over the posts each (a subquery per tag took longer than PostgreSQL's
    statement timeout at 100,000 posts).
    """
    published = (Post.status == "published", Post.published_at.is_not(None))
    per_tag = (
        select(post_tags.c.tag_id, func.count().label("n"))
        .join(Post, Post.id == post_tags.c.post_id)
        .where(*published)
        .group_by(post_tags.c.tag_id)
        .subquery()
    )
    db.session.execute(update(Tag).values(published_count=0))
    db.session.execute(
        update(Tag).where(Tag.id == per_tag.c.tag_id).values(published_count=per_tag.c.n)
    )
    db.session.execute(delete(AuthorCount))
    by_author = select(Post.author_id, func.count()).where(*published).group_by(Post.author_id)
    db.session.execute(insert(AuthorCount).from_select(["author_id", "published"], by_author))
