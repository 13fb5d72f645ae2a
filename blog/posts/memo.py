"""Aggregates (counts, the years of the archive) kept per version of what readers see.

A count over every public post grows with the blog; its value only changes when the public
version does (reads.public_version: every visible write, a post coming due). So each is
computed once per version, database and process, and a new version starts an empty memo.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from ..extensions import db

T = TypeVar("T")
MAX_ENTRIES = 10_000  # one per tag and author at most, and a few listings: a bound, not a target


@dataclass
class _Memo:
    revision: str = ""
    values: dict[Hashable, Any] = field(default_factory=dict)


_lock = threading.Lock()
_memos: weakref.WeakKeyDictionary[Engine, _Memo] = weakref.WeakKeyDictionary()


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """Return compute()'s value for `key` at the current public version, computed once."""
    from .reads import public_version  # reads builds on this module

    revision = public_version()[0]
    with _lock:
        memo = _memos.setdefault(db.engine, _Memo())
        if memo.revision != revision:
            memo.revision, memo.values = revision, {}
        values = memo.values
        if key in values:
            return values[key]
    value = compute()
    with _lock:
        if memo.revision == revision and len(values) < MAX_ENTRIES:
            values[key] = value
    return value
