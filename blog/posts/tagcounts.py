"""How many public posts each tag has, without counting them on a read.

The tag index and each tag page show a count of public posts. Counting scans every post of
a tag (of every tag, for the index), and any write starts a new version whose first request
counts again: at 100,000 posts that is a scan after each write. So the writer keeps
`Tag.published_count` (the tag's posts with status published, scheduled ones included) in
each write's transaction, and a read subtracts the published posts whose time has not come,
which an index range finds (they are few: the posts scheduled ahead).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select, update

from ..extensions import db
from ..models import Post, Tag, post_tags


def counted(post: Post) -> frozenset[int]:
    """Return the ids of the tags the post counts toward: its tags if published, else none."""
    if post.status != "published" or post.published_at is None:
        return frozenset()
    db.session.flush()  # a tag made by this write gets its id
    return frozenset(tag.id for tag in post.tags)


def record(before: frozenset[int], post: Post) -> None:
    """Move the counts of the tags a write added the post to, or took it from."""
    after = counted(post)
    added, removed = after - before, before - after
    if added or removed:
        # One statement for both: every writer locks the tag rows it touches in one scan,
        # in the same order, so two writes sharing tags wait for each other, never deadlock.
        step = case((Tag.id.in_(added), 1), else_=-1)
        change = {"published_count": Tag.published_count + step}
        db.session.execute(update(Tag).where(Tag.id.in_(added | removed)).values(change))


def ahead(now: datetime) -> dict[int, int]:
    """Per tag, how many of its counted posts are not public yet: scheduled after `now`."""
    query = (
        select(post_tags.c.tag_id, func.count())
        .join(Post, Post.id == post_tags.c.post_id)
        .where(Post.status == "published", Post.published_at > now)
        .group_by(post_tags.c.tag_id)
    )
    return {tag_id: n for tag_id, n in db.session.execute(query)}


def recount() -> None:
    """Count every tag's published posts again: after rows were written past the writer."""
    counts = (
        select(func.count())
        .select_from(post_tags.join(Post, Post.id == post_tags.c.post_id))
        .where(post_tags.c.tag_id == Tag.id, Post.status == "published")
        .where(Post.published_at.is_not(None))
        .scalar_subquery()
    )
    db.session.execute(update(Tag).values(published_count=counts))
