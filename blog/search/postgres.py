"""The search index on PostgreSQL: a tsvector per post under a GIN index, ranked by ts_rank."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from . import terms as t
from .schema import TABLE, Among

idx = table(
    TABLE, *(column(name) for name in ("post_id", "title", "tags", "body", "related", "document"))
)
KEY = idx.c.post_id  # the post's id: index.py reads bodies and related by it
_ENGLISH = literal_column("'english'::regconfig")
_SIMPLE = literal_column("'simple'::regconfig")

_UPSERT = text(
    f"INSERT INTO {TABLE} (post_id, title, tags, body, related, document)"
    " VALUES (:id, :title, :tags, :body, :related,"
    " setweight(to_tsvector('english', :title), 'A')"
    " || setweight(to_tsvector('english', :tags), 'A')"
    " || setweight(to_tsvector('english', :body), 'B')"
    " || setweight(to_tsvector('simple', :pairs), 'C'))"
    " ON CONFLICT (post_id) DO UPDATE SET title = excluded.title, tags = excluded.tags,"
    " body = excluded.body, related = excluded.related, document = excluded.document"
)


def upsert(connection: Connection, rows: list[dict[str, Any]], replace: bool = True) -> None:
    """Store posts' index rows, replacing any earlier ones."""
    connection.execute(_UPSERT, rows)


def delete(connection: Connection, post_id: int) -> None:
    """Remove one post's index row."""
    connection.execute(text(f"DELETE FROM {TABLE} WHERE post_id = :id"), {"id": post_id})


def _parts(found: t.Terms) -> list[Any]:
    parts: list[Any] = [
        func.plainto_tsquery(_ENGLISH, bindparam(f"w{i}", word, type_=Text))
        for i, word in enumerate(found.words)
    ]
    parts += [
        func.phraseto_tsquery(_SIMPLE, bindparam(f"r{i}", " ".join(t.run_tokens(run)), Text))
        for i, run in enumerate(found.runs)
    ]
    return parts


def ranked(
    found: t.Terms, post_id: ColumnElement[int], where: ColumnElement[bool], newest: int
) -> Select[Any]:
    """Return (post id, score) of the `newest` newest rows having every term and passing
    `where`, best first.

    The GIN index finds the matches, sorted newest first; each is checked against `where`
    by its key until `newest` pass (a subquery per row, which PostgreSQL keeps: as a join,
    it hashes the matches and scans every public post's entry in ix_posts_listing, 14 ms
    at 100,000 posts against 3 ms), and only those get a ts_rank, which reads each one's
    whole tsvector.
    """
    parts = _parts(found)
    tsquery = parts[0]
    for part in parts[1:]:
        tsquery = tsquery.op("&&")(part)
    matches = idx.alias("matches")
    # "+ 0": a walk of the primary key backwards, testing each row, would stop early for a
    # common word but read the whole table for a rare one. OFFSET 0 keeps the subquery
    # whole, so the check below runs on its rows in order and stops at the limit.
    key = (matches.c.post_id + 0).label("newest")
    ordered = (
        select(matches.c.post_id, key)
        .where(matches.c.document.op("@@")(tsquery))
        .order_by(key.desc())
        .offset(0)
        .subquery("ordered")
    )
    passes = select(where).where(post_id == ordered.c.post_id).scalar_subquery()
    latest = select(ordered.c.post_id).where(passes).order_by(ordered.c.newest.desc())
    score = func.ts_rank(idx.c.document, tsquery)
    return (
        select(idx.c.post_id, score.label("score"))
        .where(idx.c.post_id.in_(latest.limit(newest)))
        .order_by(score.desc(), idx.c.post_id.desc())
    )


def candidates(
    connection: Connection,
    found: t.Terms,
    among: Among,
    limit: int,
) -> list[tuple[int, str, str]]:
    """Return (id, title, tags) of the newest other public posts having any term.

    `among` is (the post's own id, the posts' id column, the rule of public in SQL)."""
    own, post_id, public = among
    parts = _parts(found)
    tsquery = parts[0]
    for part in parts[1:]:
        tsquery = tsquery.op("||")(part)
    query = (
        select(idx.c.post_id, idx.c.title, idx.c.tags)
        .select_from(idx.join(post_id.table, post_id == idx.c.post_id))
        .where(idx.c.document.op("@@")(tsquery), idx.c.post_id != own, public)
        .order_by(idx.c.post_id.desc())
        .limit(limit)
    )
    return [(i, title, tags) for i, title, tags in connection.execute(query)]
