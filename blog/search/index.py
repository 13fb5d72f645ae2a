"""Keep the search index and ask it: called by `posts` inside the write transaction."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

from markupsafe import Markup
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from ..extensions import db
from ..models import Post, Tag, post_tags, utcnow
from . import postgres, sqlite
from . import terms as t

RELATED = 3
# Only the newest matches are ranked: ranking costs each match a read of its index row, and
# a word in 2% of 100,000 posts has 2,000. So a search reaches at most this many posts.
RANKED = 200


@dataclass(frozen=True)
class Hit:
    """One post a search found: its id, its score (higher is better) and a snippet."""

    post_id: int
    score: float
    snippet: Markup


def _dialect(connection: Connection) -> ModuleType:
    return sqlite if connection.dialect.name == "sqlite" else postgres


def _row(post_id: int, title: str, tags: list[str], html: str) -> dict[str, Any]:
    body = Markup(html).striptags()[: t.MAX_BODY_CHARS]
    tag_text = " ".join(tags)
    pairs = t.pairs(f"{title} {tag_text} {body}")
    return {"id": post_id, "title": title, "tags": tag_text, "body": body, "pairs": pairs,
            "related": ""}  # fmt: skip


def related_for(title: str, tags: list[str], post_id: int = 0) -> str:
    """Find the related posts of a post with this title and these tags (see `_related`).

    A read: the writer calls it before its write transaction, so the writers' queue does
    not wait on it, and passes what it returns to `record`.
    """
    return _related(db.session.connection(), post_id, title, tags)


def record(post: Post, related: str, new: bool = False) -> None:
    """Index `post` (new or changed) in the current transaction, with its related posts."""
    db.session.flush()
    connection = db.session.connection()
    row = _row(post.id, post.title, [tag.name for tag in post.tags], post.html)
    row["related"] = related
    _dialect(connection).upsert(connection, [row], replace=not new)


def forget(post_id: int) -> None:
    """Remove a post from the index in the current transaction."""
    connection = db.session.connection()
    _dialect(connection).delete(connection, post_id)


CANDIDATES = 200  # the newest posts sharing a word; ranking every match grows with the blog


def refresh_related(connection: Connection, post_id: int, title: str, tags: list[str]) -> None:
    """Store the related posts of an indexed post again (after a bulk insert)."""
    _set_related(connection, post_id, _related(connection, post_id, title, tags))


def _related(connection: Connection, post_id: int, title: str, tags: list[str]) -> str:
    """Return the ids of up to three public posts sharing the most tags and title words.

    Candidates are the newest public posts having any of the words (an index walk that
    stops at CANDIDATES), scored here: a shared tag word counts three, a shared title word one.
    """
    named, titled = t.parse(" ".join(tags)), t.telling(t.parse(title))
    words = tuple(dict.fromkeys(named.words + titled.words))
    found = t.Terms(words[: t.MAX_TERMS], tuple(dict.fromkeys(named.runs + titled.runs))[:4])
    if not found:
        return ""
    public = Post.is_public_at(utcnow())
    scored: list[tuple[int, int]] = []
    for other, other_title, other_tags in _dialect(connection).candidates(
        connection, found, (post_id, Post.id, public), CANDIDATES
    ):
        shared_tags = set(named.needles) & _needles(other_tags)
        shared_words = set(titled.needles) & _needles(other_title)
        scored.append((3 * len(shared_tags) + len(shared_words), other))
    best = [other for score, other in sorted(scored, reverse=True) if score > 0]
    return " ".join(map(str, best[:RELATED]))


@lru_cache(maxsize=1024)
def _needles(text: str) -> frozenset[str]:
    """Return the words and runs of a candidate's title or tags: parsed once, since the
    newest posts are the candidates of one publish after another (~200 parses a publish)."""
    return frozenset(t.parse(text).needles)


def related_ids(post_id: int) -> list[int]:
    """Return the related post ids stored for `post_id`, best first."""
    connection = db.session.connection()
    key = _dialect(connection).KEY
    stored = connection.execute(select(key.table.c.related).where(key == post_id)).scalar()
    return [int(i) for i in (stored or "").split()]


def _set_related(connection: Connection, post_id: int, ids: str) -> None:
    key = _dialect(connection).KEY
    connection.execute(update(key.table).where(key == post_id).values(related=ids))


def _bodies(connection: Connection, ids: list[int]) -> dict[int, str]:
    """Return the indexed plain text of these posts."""
    key = _dialect(connection).KEY
    rows = connection.execute(select(key, key.table.c.body).where(key.in_(ids)))
    return {post_id: body for post_id, body in rows}


def search(query: str, limit: int, offset: int = 0, author_id: int | None = None) -> list[Hit]:
    """Return ranked hits for `query`: public posts, or all of `author_id`'s posts if given.

    The hits are the best of the newest RANKED of those posts having every word.
    """
    found = t.parse(query)
    if not found:
        return []
    connection = db.session.connection()
    where = Post.is_public_at(utcnow()) if author_id is None else Post.author_id == author_id
    ranked = _dialect(connection).ranked(found, Post.id, where, RANKED)
    rows = connection.execute(ranked.limit(limit).offset(offset)).all()
    texts = _bodies(connection, [post_id for post_id, _ in rows]) if rows else {}
    return [Hit(i, float(score), t.snippet(texts.get(i, ""), found)) for i, score in rows]


def rebuild(connection: Connection, batch: int = 2000) -> int:
    """Index every post from scratch (a migration, a bulk import); return how many."""
    side = _dialect(connection)
    last, count = 0, 0
    while True:
        rows = connection.execute(
            select(Post.id, Post.title, Post.html)
            .where(Post.id > last).order_by(Post.id).limit(batch)
        ).all()  # fmt: skip
        if not rows:
            return count
        names: dict[int, list[str]] = {}
        tag_rows = connection.execute(
            select(post_tags.c.post_id, Tag.name)
            .join(Tag, Tag.id == post_tags.c.tag_id)
            .where(post_tags.c.post_id.in_([row.id for row in rows]))
        )
        for post_id, name in tag_rows:
            names.setdefault(post_id, []).append(name)
        side.upsert(connection, [_row(r.id, r.title, names.get(r.id, []), r.html) for r in rows])
        last, count = rows[-1].id, count + len(rows)
