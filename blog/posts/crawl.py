"""What crawlers and the about page list: every public post, tag and author, and the agents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from ..extensions import db
from ..models import Author, Post, Tag, post_tags
from .memo import remembered
from .reads import is_public


@dataclass(frozen=True)
class SitemapPost:
    slug: str
    lang: str
    updated_at: datetime
    group: int  # the original's id: posts sharing it are translations of each other
    canonical_url: str


def sitemap_posts(ids: range | None = None) -> list[SitemapPost]:
    """Return public posts' sitemap facts (those with an id in `ids`), without bodies."""
    query = _sitemap_query().order_by(Post.published_at, Post.id)
    if ids is not None:
        query = query.where(Post.id >= ids.start, Post.id < ids.stop)
    return _sitemap_rows(query)


def sitemap_group_members(groups: set[int]) -> list[SitemapPost]:
    """Return the public posts of these translation groups (by their original's id)."""
    members = or_(Post.id.in_(groups), Post.translation_of_id.in_(groups))
    return _sitemap_rows(_sitemap_query().where(members)) if groups else []


def sitemap_buckets(size: int) -> list[tuple[int, datetime]]:
    """Return (n, newest change) for each run of `size` post ids that has public posts."""

    def compute() -> list[tuple[int, datetime]]:
        bucket = ((Post.id - 1) // size).label("bucket")
        query = (
            select(bucket, func.max(Post.updated_at), func.max(Post.published_at))
            .where(is_public())
            .group_by(bucket)
            .order_by(bucket)
        )
        return [(int(n), max(u, p)) for n, u, p in db.session.execute(query)]

    return remembered(("sitemap-buckets", size), compute)


def public_count() -> int:
    """Return how many posts are public (counted once per version)."""
    query = select(func.count(Post.id)).where(is_public())
    return remembered(("count", "public"), lambda: db.session.scalar(query) or 0)


def _sitemap_query() -> Select[Any]:
    return select(
        Post.slug, Post.lang, Post.updated_at, Post.published_at, Post.id,
        Post.translation_of_id, Post.canonical_url,
    ).where(is_public())  # fmt: skip


def _sitemap_rows(query: Select[Any]) -> list[SitemapPost]:
    return [
        SitemapPost(slug, lang, max(updated, published), original or id_, canonical)
        for slug, lang, updated, published, id_, original, canonical in db.session.execute(query)
    ]


def sitemap_tags() -> list[tuple[str, datetime]]:
    """Return (slug, newest change) of every tag that has public posts."""
    query = (
        select(Tag.slug, func.max(Post.updated_at))
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, and_(Post.id == post_tags.c.post_id, is_public()))
        .group_by(Tag.slug)
        .order_by(Tag.slug)
    )
    return [(slug, newest) for slug, newest in db.session.execute(query)]


def sitemap_authors() -> list[tuple[str, datetime]]:
    """Return (slug, newest change) of every author with public posts."""
    query = (
        select(Author.slug, func.max(Post.updated_at), Author.updated_at)
        .join(Post, and_(Post.author_id == Author.id, is_public()))
        .group_by(Author.slug, Author.updated_at)
        .order_by(Author.slug)
    )
    return [(slug, max(posted, changed)) for slug, posted, changed in db.session.execute(query)]


def authors() -> list[Author]:
    """Return every author, by name."""
    return list(db.session.scalars(select(Author).order_by(Author.name, Author.slug)))


def usage_overrides() -> list[tuple[str, str]]:
    """Return (slug, ai_usage) of every public post that overrides the blog's AI usage."""
    query = select(Post.slug, Post.ai_usage).where(is_public(), Post.ai_usage != "")
    return [(slug, value) for slug, value in db.session.execute(query.order_by(Post.slug))]
