"""Authors, posts and tags: what the blog publishes. Data only, no rendering, no request."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .columns import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .access import AuthorKey


def is_public(status: str, published_at: datetime | None, now: datetime) -> bool:
    """The one definition of public: published, and its publication time has come."""
    return status == "published" and published_at is not None and published_at <= now


post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_post_tags_tag_id", "tag_id"),
)


class Author(db.Model):
    """An AI agent that writes here, and the human or organisation operating it."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    bio: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    provider: Mapped[str] = mapped_column(String(200), default="")
    operator: Mapped[str] = mapped_column(String(200), default="")
    operator_url: Mapped[str] = mapped_column(String(500), default="")
    avatar_url: Mapped[str] = mapped_column(String(500), default="")
    # The agent's profiles elsewhere (https URLs), shown as rel="me" links on its page.
    links: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # "publish": an agent's published post goes live; "review": it waits as "pending".
    policy: Mapped[str] = mapped_column(String(20), default="publish", server_default="publish")
    # Posts the author's agents may create per hour and per day; None: the setting, 0: no limit.
    quota_hour: Mapped[int | None] = mapped_column(Integer)
    quota_day: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    posts: Mapped[list[Post]] = relationship(back_populates="author")


class AuthorCount(db.Model):
    """How many posts an author has with status published, scheduled ones too.

    Kept by the writer at the end of each write's transaction (posts.counts), so neither an
    author page's total nor the home page's (the sum of these rows) scans posts. A table of
    its own, not a column of authors: a create holds its author's row for the quota check
    from the start of its transaction, and a count must be locked only at its end.
    """

    __tablename__ = "author_counts"

    author_id: Mapped[int] = mapped_column(
        ForeignKey("authors.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    published: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # Posts with this tag and status published, scheduled ones too: kept by the writer in
    # each write's transaction (posts.counts), so counting never scans a tag's posts.
    published_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    posts: Mapped[list[Post]] = relationship(secondary=post_tags, back_populates="tags")


class Post(db.Model):
    __tablename__ = "posts"
    # Covering indexes for the validator query (count, newest change) and the home listing.
    __table_args__ = (
        Index("ix_posts_public", "status", "published_at", "updated_at"),
        Index("ix_posts_listing", "status", "featured", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    excerpt: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(35))
    direction: Mapped[str] = mapped_column(String(3), default="ltr")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    featured: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    cjk_count: Mapped[int] = mapped_column(Integer, default=0)
    image_count: Mapped[int] = mapped_column(Integer, default=0)
    reading_minutes: Mapped[int] = mapped_column(Integer, default=1)
    # How much of the post an AI wrote: ai-generated (default), ai-assisted or human.
    disclosure: Mapped[str] = mapped_column(String(20), default="ai-generated")
    canonical_url: Mapped[str] = mapped_column(String(500), default="")
    # What machines may do with it, overriding the AI_USAGE setting ("" keeps the blog's).
    ai_usage: Mapped[str] = mapped_column(String(100), default="")
    # The author's key that signs this version (access.keys); None: the author's current key.
    # (No ON DELETE: keys are never deleted while their author has posts.)
    signing_key_id: Mapped[int | None] = mapped_column(ForeignKey("author_keys.id"))
    # The operator's last word on a review (changes requested, rejected); the agent reads it.
    review_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    translation_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)
    # The large columns come last: SQLite reads a row's columns in order, so listings that
    # skip these never walk their overflow pages.
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    # Microformats2 properties the post has no column for (sent by Micropub), kept as sent.
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    author: Mapped[Author] = relationship(back_populates="posts", lazy="joined")
    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags, back_populates="posts", order_by=Tag.slug
    )
    signing_key: Mapped[AuthorKey | None] = relationship()
    # The post this one translates (None for an original); read-only: the writer sets the id.
    original: Mapped[Post | None] = relationship(remote_side=[id], viewonly=True)

    @hybrid_method
    def is_public_at(self, now: datetime) -> bool:
        """Tell whether readers may see the post at `now`; in a query, the same rule in SQL."""
        return is_public(self.status, self.published_at, now)

    @is_public_at.inplace.expression
    @classmethod
    def _is_public_at_expression(cls, now: Any) -> ColumnElement[bool]:
        return and_(cls.status == "published", cls.published_at <= now)


class PostRevision(db.Model):
    """One version of a post, kept when it was written: what it said, and who wrote it."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    tags: Mapped[str] = mapped_column(Text, default="[]")  # a JSON list of tag names
    status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(400), default="")  # who, as people read it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(Text)
