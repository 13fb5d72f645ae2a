"""What readers and agents may see: the public reads pages, feeds and the API share.

A post is *public* when it is published and its publication time has come (the rule is
`Post.is_public_at`); drafts and scheduled posts are invisible to every reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select, union
from sqlalchemy.orm import defer, selectinload

from ..extensions import db
from ..models import Author, Event, Post, Tag, UTCDateTime, post_tags, utcnow
from ..models import is_public as is_public_post
from . import counts
from .memo import remembered


@dataclass(frozen=True)
class Page:
    items: list[Post]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def get_author(slug: str) -> Author | None:
    """Return the author with this slug, or None."""
    return db.session.scalar(select(Author).where(Author.slug == slug))


def get_post(slug: str) -> Post | None:
    """Return the post with this slug whatever its status, or None."""
    return db.session.scalar(select(Post).where(Post.slug == slug))


def is_public(now: datetime | ColumnElement[datetime] | None = None) -> ColumnElement[bool]:
    """Return the one definition of public: published, and its time has come."""
    return Post.is_public_at(utcnow() if now is None else now)


NEWEST_FIRST = (Post.published_at.desc(), Post.id.desc())
LISTING_OPTIONS = (defer(Post.source), defer(Post.html), selectinload(Post.tags))


def _paginate(
    key: tuple[Any, ...],
    where: list[Any],
    order: tuple[Any, ...],
    number: int,
    per_page: int,
    counter: Callable[[], int] | None = None,
) -> Page | None:
    count = select(func.count(Post.id)).where(*where)
    total = remembered(("count", *key), counter or (lambda: db.session.scalar(count) or 0))
    page = Page([], number, per_page, total)
    if number < 1 or number > page.pages:
        return None
    # Ids first: that query walks an index (an offset into it); then only a page of rows.
    ids_query = select(Post.id).where(*where).order_by(*order)
    ids = list(db.session.scalars(ids_query.limit(per_page).offset((number - 1) * per_page)))
    rows = db.session.scalars(select(Post).where(Post.id.in_(ids)).options(*LISTING_OPTIONS))
    by_id = {post.id: post for post in rows}
    return Page([by_id[i] for i in ids], number, per_page, total)


def home_page(number: int, per_page: int) -> Page | None:
    """Return page `number` of public posts, featured first, then newest; None if past the end."""
    order = (Post.featured.desc(), *NEWEST_FIRST)
    counter = partial(counts.public_total, utcnow())
    return _paginate(("home",), [is_public()], order, number, per_page, counter)


def _tagged(tag: Tag) -> ColumnElement[bool]:
    # The tag's post ids come from its index; an EXISTS per post makes PostgreSQL walk the
    # newest public posts one by one (400 ms for a tag on 1.5% of 100,000 posts).
    return Post.id.in_(select(post_tags.c.post_id).where(post_tags.c.tag_id == tag.id))


def recent_posts(limit: int, tag: Tag | None = None, with_html: bool = True) -> list[Post]:
    """Return the newest public posts, optionally with one tag, with their HTML and source."""
    options = (selectinload(Post.tags),) if with_html else LISTING_OPTIONS
    query = select(Post).where(is_public()).options(*options)
    if tag is not None:
        query = query.where(_tagged(tag))
    return list(db.session.scalars(query.order_by(*NEWEST_FIRST).limit(limit)).all())


def public_post(slug: str) -> Post | None:
    """Return the public post with this slug, or None."""
    query = select(Post).where(Post.slug == slug, is_public()).options(selectinload(Post.tags))
    return db.session.scalar(query)


def tag_page(tag: Tag, number: int, per_page: int) -> Page | None:
    """Return page `number` of a tag's public posts, newest first."""
    where = [is_public(), _tagged(tag)]
    counter = partial(_public_in_tag, tag)
    return _paginate(("tag", tag.id), where, NEWEST_FIRST, number, per_page, counter)


def author_page(author: Author, number: int, per_page: int) -> Page | None:
    """Return page `number` of an author's public posts, newest first."""
    where = [is_public(), Post.author_id == author.id]
    counter = partial(counts.public_by_author, author.id, utcnow())
    return _paginate(("author", author.id), where, NEWEST_FIRST, number, per_page, counter)


def get_tag(slug: str) -> Tag | None:
    """Return the tag with this slug, or None."""
    return db.session.scalar(select(Tag).where(Tag.slug == slug))


def tags_with_counts() -> list[tuple[Tag, int]]:
    """Return every tag that has public posts, with how many, by name (counted per version)."""
    rows = remembered(("tags",), _tag_counts)
    return [(Tag(id=id_, slug=slug, name=name), n) for id_, slug, name, n in rows]


def _tag_counts() -> list[tuple[int, str, str, int]]:
    # The kept counts (posts.counts) less each tag's posts scheduled ahead: a read of
    # the tags and of the scheduled posts, never of every post.
    ahead = counts.tags_ahead(utcnow())
    query = select(Tag.id, Tag.slug, Tag.name, Tag.published_count)
    rows = db.session.execute(query.where(Tag.published_count > 0).order_by(Tag.name))
    counted = [(id_, slug, name, n - ahead.get(id_, 0)) for id_, slug, name, n in rows]
    return [row for row in counted if row[3] > 0]


def _public_in_tag(tag: Tag) -> int:
    return tag.published_count - counts.tags_ahead(utcnow()).get(tag.id, 0)


# Every public request asks this first, so it must not grow with the blog: each part is one
# index lookup. Every write that readers could see records an event in the outbox, in its own
# transaction (posts.py), so the newest event names the latest change, deletions included; a
# scheduled post coming due moves the newest public publication time; authors are few.
_NOW = bindparam("now", type_=UTCDateTime())
_NEWEST_EVENT = select(Event.id, Event.created_at).order_by(Event.id.desc()).limit(1).subquery()
_VERSION = select(
    select(_NEWEST_EVENT.c.id).scalar_subquery(),
    select(_NEWEST_EVENT.c.created_at).scalar_subquery(),
    select(Post.published_at)
    .where(is_public(_NOW))
    .order_by(Post.published_at.desc())
    .limit(1)
    .scalar_subquery(),
    select(func.max(Author.updated_at)).scalar_subquery(),
)


def public_version() -> tuple[str, datetime | None]:
    """Return (revision, newest change) of what readers can see: a cheap validator for ETags."""
    event, changed, published, author_updated = db.session.execute(
        _VERSION, {"now": utcnow()}
    ).one()
    moments = [m for m in (changed, published, author_updated) if m is not None]
    # The newest publication time counts on its own: a post coming due is a change even
    # when a later write (of a post still scheduled) is the newest moment.
    revision = f"{event or 0}:{published.timestamp() if published else ''}"
    return revision, max(moments) if moments else None


@dataclass(frozen=True)
class Translation:
    id: int
    slug: str
    lang: str
    translation_of_id: int | None


def translations(post: Post) -> list[Translation]:
    """Return the other public posts of `post`'s translation group, by language tag."""
    root = post.translation_of_id or post.id
    # The group's rows come from the primary key and the translation_of index; publicity is
    # then checked on those few rows (the same rule, in Python): with is_public() in the
    # WHERE, SQLite without statistics walks every public post through ix_posts_public.
    group = union(
        select(Post.id).where(Post.id == root),
        select(Post.id).where(Post.translation_of_id == root),
    )
    ids = [i for i in db.session.scalars(group) if i != post.id]
    if not ids:
        return []
    columns = (Post.id, Post.slug, Post.lang, Post.translation_of_id, Post.status)
    rows = db.session.execute(select(*columns, Post.published_at).where(Post.id.in_(ids)))
    now = utcnow()
    found = [
        Translation(id_, slug, lang, original)
        for id_, slug, lang, original, status, published_at in rows
        if is_public_post(status, published_at, now)
    ]
    return sorted(found, key=lambda t: (t.lang, t.id))


def public_authors() -> list[Author]:
    """Return the authors who have at least one public post, by name."""
    has_public = select(Post.id).where(Post.author_id == Author.id, is_public()).exists()
    return list(db.session.scalars(select(Author).where(has_public).order_by(Author.name)))


def post_by_id(post_id: int) -> Post | None:
    """Return the post with this id whatever its status, or None."""
    return db.session.get(Post, post_id)


def author_posts(
    author_id: int,
    status: str | None,
    tag: str | None,
    before_id: int | None,
    limit: int,
    slug: str | None = None,
) -> list[Post]:
    """Return an author's posts of any status, newest first, below `before_id` if given."""
    query = select(Post).where(Post.author_id == author_id).options(selectinload(Post.tags))
    if slug:
        query = query.where(Post.slug == slug)
    # A deleted post is listed only when asked for by its status.
    query = query.where(Post.status == status) if status else query.where(Post.status != "deleted")
    if tag:
        query = query.where(Post.tags.any(Tag.slug == tag))
    if before_id:
        query = query.where(Post.id < before_id)
    return list(db.session.scalars(query.order_by(Post.id.desc()).limit(limit)))


def tag_names(containing: str = "", limit: int = 100) -> list[str]:
    """Return the names of tags that hold `containing` (any case), by name."""
    query = select(Tag.name).order_by(Tag.name).limit(limit)
    if containing:
        query = query.where(func.lower(Tag.name).contains(containing.lower(), autoescape=True))
    return list(db.session.scalars(query))


def posts_for_review(status: str | None, author_id: int | None, limit: int = 200) -> list[Post]:
    """Return posts of any status for the operator, newest change first, filtered if asked."""
    query = select(Post).options(selectinload(Post.tags))
    if status:
        query = query.where(Post.status == status)
    if author_id:
        query = query.where(Post.author_id == author_id)
    return list(
        db.session.scalars(query.order_by(Post.updated_at.desc(), Post.id.desc()).limit(limit))
    )


def all_authors() -> list[Author]:
    """Return every author, by slug."""
    return list(db.session.scalars(select(Author).order_by(Author.slug)))
