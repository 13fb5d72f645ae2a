"""The search index on SQLite: an FTS5 table whose rowid is the post's id, ranked by bm25."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, column, func, literal_column, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Join, Select

from . import terms as t
from .schema import TABLE, Among

fts = table(TABLE, *(column(name) for name in ("rowid", "title", "tags", "body", "related")))
KEY = fts.c.rowid  # the post's id: index.py reads bodies and related by it
# Weights per column (title, tags, body, pairs, related): a title or tag hit counts most.
_RANK = func.bm25(literal_column(TABLE), 8.0, 6.0, 1.0, 1.0, 0.0)


def upsert(connection: Connection, rows: list[dict[str, Any]], replace: bool = True) -> None:
    """Store posts' index rows, replacing any earlier ones (none for a new post)."""
    if replace:
        connection.execute(text(f"DELETE FROM {TABLE} WHERE rowid = :id"), rows)
    connection.execute(
        text(
            f"INSERT INTO {TABLE} (rowid, title, tags, body, pairs, related)"
            " VALUES (:id, :title, :tags, :body, :pairs, :related)"
        ),
        rows,
    )


def delete(connection: Connection, post_id: int) -> None:
    """Remove one post's index row."""
    connection.execute(text(f"DELETE FROM {TABLE} WHERE rowid = :id"), {"id": post_id})


class _CrossJoin(Join):
    """A join SQLite may not reorder: the index drives, posts are looked up by id."""

    inherit_cache = True


@compiles(_CrossJoin, "sqlite")
def _cross_join(element: _CrossJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    left = compiler.process(element.left, **kw)
    right = compiler.process(element.right, **kw)
    return f"{left} CROSS JOIN {right} ON {compiler.process(element.onclause, **kw)}"


def ranked(
    found: t.Terms, post_id: ColumnElement[int], where: ColumnElement[bool], newest: int
) -> Select[Any]:
    """Return (post id, score) of the `newest` newest rows having every term and passing
    `where`, best first.

    FTS5 walks the matches by rowid, newest first, each post looked up by its id, and
    stops at the limit; the oldest of those bounds the ranked query (`rowid >= …`, a range
    FTS5 uses), so only as many rows are ranked. Without CROSS JOIN, SQLite (with no
    statistics) may walk every public post through its listing index and probe the FTS
    table for each: seconds at 100,000 posts.
    """
    match = text(f"{TABLE} MATCH :expression").bindparams(expression=t.fts5_query(found))
    joined = _CrossJoin(fts, post_id.table, fts.c.rowid == post_id)
    latest = (
        select(fts.c.rowid.label("id"))
        .select_from(joined)
        .where(match, where)
        .order_by(fts.c.rowid.desc())
        .limit(newest)
        .subquery()
    )
    bound = select(func.min(latest.c.id)).correlate(None).scalar_subquery()
    return (
        select(fts.c.rowid, (-_RANK).label("score"))
        .select_from(joined)
        .where(match, where, fts.c.rowid >= bound)
        .order_by(_RANK, fts.c.rowid.desc())
    )


def candidates(
    connection: Connection, found: t.Terms, among: Among, limit: int
) -> list[tuple[int, str, str]]:
    """Return (id, title, tags) of the newest other public posts having any term.

    `among` is (the post's own id, the posts' id column, the rule of public in SQL)."""
    own, post_id, public = among
    phrases = [f'"{w}"' for w in found.words] + [
        '"' + " ".join(t.run_tokens(run)) + '"' for run in found.runs
    ]
    expression = text(f"{TABLE} MATCH :expression").bindparams(expression=" OR ".join(phrases))
    statement = (
        select(fts.c.rowid, fts.c.title, fts.c.tags)
        .select_from(_CrossJoin(fts, post_id.table, fts.c.rowid == post_id))
        .where(expression, fts.c.rowid != own, public)
        .order_by(fts.c.rowid.desc())
        .limit(limit)
    )
    return [(i, title, tags) for i, title, tags in connection.execute(statement)]
