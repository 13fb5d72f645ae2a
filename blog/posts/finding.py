"""What readers find: ranked search results and a post's related posts, from the index."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select

from .. import search
from ..extensions import db
from ..models import Post, utcnow
from .reads import LISTING_OPTIONS

MAX_RESULTS = 100


@dataclass(frozen=True)
class Found:
    """A search result: the post, its score and an escaped, highlighted snippet."""

    post: Post
    score: float
    snippet: Markup


def _posts(ids: list[int], public: bool) -> dict[int, Post]:
    """Return these posts by id (only the public ones if `public`), by primary key."""
    if not ids:
        return {}
    # Publicity is checked on the rows, not in the WHERE: with it there, SQLite without
    # statistics walks every public post through ix_posts_public instead of the ids.
    query = select(Post).where(Post.id.in_(ids)).options(*LISTING_OPTIONS)
    now = utcnow()
    found = db.session.scalars(query)
    return {post.id: post for post in found if not public or post.is_public_at(now)}


def find(query: str, limit: int, offset: int = 0, author_id: int | None = None) -> list[Found]:
    """Return public posts matching `query`, best first (all of `author_id`'s if given)."""
    limit = max(0, min(limit, MAX_RESULTS))
    hits = search.search(query, limit, offset, author_id)
    by_id = _posts([hit.post_id for hit in hits], public=author_id is None)
    return [Found(by_id[h.post_id], h.score, h.snippet) for h in hits if h.post_id in by_id]


def related(post: Post) -> list[Post]:
    """Return the public posts stored as related to `post` when it was saved, best first."""
    ids = search.related_ids(post.id)
    by_id = _posts(ids, public=True)
    return [by_id[i] for i in ids if i in by_id]
