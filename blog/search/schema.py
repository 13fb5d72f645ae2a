"""The search index's tables, which SQLAlchemy's metadata does not describe.

SQLite keeps an FTS5 virtual table, PostgreSQL a table with a tsvector and a GIN index.
They are made by revision 0003 and, for databases made with create_all (the tests), by an
`after_create` event on the posts table; `drop_all` drops them first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, event, text
from sqlalchemy.engine import Connection

from ..models import Post

# Whom a related-posts query looks among: (the post's own id, the posts' id column, the
# rule of public in SQL); both dialects' `candidates` take it.
Among = tuple[int, ColumnElement[int], ColumnElement[bool]]

TABLE = "post_search"

SQLITE = [
    # rowid is the post's id; `related` holds the ids of up to three related posts.
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "title, tags, body, pairs, related UNINDEXED,"
    " tokenize = 'porter unicode61 remove_diacritics 2')",
]
POSTGRESQL = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " post_id integer PRIMARY KEY, title text NOT NULL, tags text NOT NULL,"
    " body text NOT NULL, related text NOT NULL DEFAULT '', document tsvector NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_document ON {TABLE} USING gin (document)",
]


def is_index_object(name: str | None) -> bool:
    """Tell whether a table belongs to the search index (FTS5 adds shadow tables)."""
    return name is not None and (name == TABLE or name.startswith(TABLE + "_"))


def create(connection: Connection) -> None:
    """Create the index's tables on this connection's database, if missing."""
    for statement in SQLITE if connection.dialect.name == "sqlite" else POSTGRESQL:
        connection.execute(text(statement))


def drop(connection: Connection) -> None:
    """Drop the index's tables."""
    connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))


@event.listens_for(Post.__table__, "after_create")
def _after_create(_table: Any, connection: Connection, **_kw: Any) -> None:
    create(connection)


@event.listens_for(Post.__table__, "before_drop")
def _before_drop(_table: Any, connection: Connection, **_kw: Any) -> None:
    drop(connection)
