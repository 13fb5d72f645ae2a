"""Full-text search over posts, kept by `posts` inside the write transaction.

SQLite: FTS5 (`sqlite`); PostgreSQL: a tsvector under a GIN index (`postgres`). Chinese,
Japanese and Korean text is indexed as overlapping character pairs (`terms`), so any
two-character word is found on both.
"""

from . import schema, terms
from .index import RANKED, Hit, forget, rebuild, record, refresh_related, related_ids, search

__all__ = [
    "RANKED",
    "Hit",
    "forget",
    "rebuild",
    "record",
    "refresh_related",
    "related_ids",
    "schema",
    "search",
    "terms",
]
