"""The site version: a counter that every write readers could see advances, read without a query.

A memory-mapped file in instance/ holds (seq, pending, done, due). A committing write that
readers could see adds one to `pending` before its COMMIT and one to `done` after it, so the
version is `done` only while the two agree; while they differ a write is in flight and the
version is unknown. `due` is the earliest time a scheduled post comes due (0: unknown); once it
has passed the version is unknown too, until one reader asks the database again (`refresh`).
Unknown means "ask the database": the hit path hands the request to Flask, never serves a page.

A writer killed between its COMMIT and `done` leaves `pending` ahead for good; every writer
holds a shared lock on a second file while in flight, so whoever gets that lock exclusively
knows no write is in flight on this host and may set `done` to `pending` (`repair`).
Writers change the file under an exclusive flock on it and bump `seq` around the change
(odd while changing), so a reader that sees `seq` odd or moving knows its read was torn.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Post, utcnow

if TYPE_CHECKING:  # imported when configured: the redis package costs a worker ~5 MB
    from .sharedversion import RedisVersion

# session.info keys: this transaction changed what readers see; the earliest post it scheduled.
CHANGED = "site_version_changed"
DUE = "site_version_due"
_BEGUN = "site_version_begun"
# Tables whose rows readers see, directly or through the version's newest event.
VISIBLE = frozenset({"posts", "authors", "tags", "post_tags", "events", "author_keys"})
_RECORD = struct.Struct("<QQQd")  # seq, pending, done, due (epoch seconds; 0 = unknown)
_SEQ = struct.Struct("<Q")
NEVER = float("inf")
log = logging.getLogger(__name__)


class FileVersion:
    """The site version of one host, shared by its processes through a memory-mapped file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writers_path = path.with_name(path.name + ".writers")
        self._thread_lock = threading.RLock()
        self._in_flight = 0
        self._pid = -1
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_size < _RECORD.size:
            os.write(fd, _RECORD.pack(0, 0, 0, 0.0))
        fcntl.flock(fd, fcntl.LOCK_UN)
        self.map = mmap.mmap(fd, _RECORD.size)
        os.close(fd)

    def current(self) -> int | None:
        """Return the version, or None while a write is in flight or a scheduled post is due."""
        seq, pending, done, due = _RECORD.unpack_from(self.map)
        if seq & 1 or pending != done or due <= time.time():
            return None
        return done if _SEQ.unpack_from(self.map)[0] == seq else None

    def begin(self) -> None:
        """Announce a write about to commit: the version is unknown until `finish`."""
        with self._thread_lock:
            if self._in_flight == 0:
                fcntl.flock(self._fds()[1], fcntl.LOCK_SH)
            self._in_flight += 1
        self._change(lambda p, d, due: (p + 1, d, due))

    def finish(self, due: float = NEVER) -> None:
        """Count a write as done (committed or rolled back); note the post it scheduled."""
        self._change(lambda p, d, old: (p, d + 1, min(old, due)))
        with self._thread_lock:
            self._in_flight -= 1
            if self._in_flight == 0:
                fcntl.flock(self._fds()[1], fcntl.LOCK_UN)

    def repair(self) -> None:
        """Catch `done` up with `pending` if no write is in flight on this host (a writer died)."""
        writers = self._fds()[1]
        with self._thread_lock:
            if self._in_flight:
                return
            try:
                fcntl.flock(writers, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            try:  # the dead writer may have scheduled a post: ask the database for `due`
                self._change(lambda p, d, due: (p, p, 0.0) if p != d else (p, d, due))
            finally:
                fcntl.flock(writers, fcntl.LOCK_UN)

    def refresh(self, next_due: Callable[[], float]) -> None:
        """Advance the version past a due time and ask `next_due` (the database) for the next."""
        after = self._change(lambda p, d, due: (p + 1, d + 1, due))

        def settle(p: int, d: int, due: float) -> tuple[int, int, float]:
            # A write that began or ended meanwhile may have scheduled a post this query missed.
            return (p, d, next_due_value) if (p, d) == after[:2] else (p, d, due)

        next_due_value = next_due()
        self._change(settle)

    def settle(self) -> None:
        """Make an unknown version known again if nothing holds it so: a dead writer, a due post."""
        _, pending, done, due = _RECORD.unpack_from(self.map)
        if pending != done:
            self.repair()
        elif due <= time.time():
            self.refresh(next_due)

    def _change(
        self, change: Callable[[int, int, float], tuple[int, int, float]]
    ) -> tuple[int, int, float]:
        lock = self._fds()[0]
        with self._thread_lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                seq, pending, done, due = _RECORD.unpack_from(self.map)
                _SEQ.pack_into(self.map, 0, seq + 1)
                values = change(pending, done, due)
                _RECORD.pack_into(self.map, 0, seq + 1, *values)
                _SEQ.pack_into(self.map, 0, seq + 2)
                return values
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _fds(self) -> tuple[int, int]:
        # flock belongs to an open file: a forked worker must not share its parent's.
        if self._pid != os.getpid():
            self._lock_fd = os.open(self.path, os.O_RDWR)
            self._writers_fd = os.open(self.writers_path, os.O_RDWR | os.O_CREAT, 0o644)
            self._pid, self._in_flight = os.getpid(), 0
        return self._lock_fd, self._writers_fd


def next_due() -> float:
    """Return when the next scheduled post comes due (epoch seconds): NEVER if none, 0 if unsure."""
    query = select(func.min(Post.published_at)).where(
        Post.status == "published", Post.published_at > utcnow()
    )
    try:
        found = db.session.scalar(query)
    except SQLAlchemyError:
        return 0.0  # still unknown: the next reader asks again, pages come from the database
    finally:
        db.session.rollback()  # end the read: this runs outside any request's transaction
    return NEVER if found is None else found.timestamp()


def note_due(session: Session, due_at: datetime) -> None:
    """Remember in the transaction that a post it scheduled comes due at `due_at`."""
    session.info[DUE] = min(session.info.get(DUE, NEVER), due_at.timestamp())


def of(app: Flask) -> FileVersion | RedisVersion | None:
    """Return the app's site version, or None when it has none (no hit path then)."""
    return app.extensions.get("site_version")


def init_app(app: Flask) -> None:
    """Keep the site version in Redis (SITE_VERSION_URL) or in SITE_VERSION_FILE; or none."""
    url, name = app.config["SITE_VERSION_URL"], app.config["SITE_VERSION_FILE"]
    if url:  # one blog, one key space: the hosts of a blog share its database URL
        digest = hashlib.blake2b(app.config["SQLALCHEMY_DATABASE_URI"].encode(), digest_size=6)
        prefix = f"agentblog:site-version:{digest.hexdigest()}"
        from .sharedversion import RedisVersion

        app.extensions["site_version"] = RedisVersion(url, prefix, next_due)
    elif name and not _one_host(app):
        log.warning(
            "the hit path is off: a site version in a file is this host's alone, and other"
            " hosts may write to the same %s database; set BLOG_SITE_VERSION_URL (several hosts) or"
            " BLOG_SINGLE_HOST=true (this host only)",
            _backend(app),
        )
    elif name:
        path = Path(app.instance_path, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        app.extensions["site_version"] = FileVersion(path)


def _backend(app: Flask) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]


def _one_host(app: Flask) -> bool:
    # A SQLite file is one host's; a database server may be shared by hosts that cannot see
    # each other's file: their hit paths would replay pages another host's write made stale.
    return _backend(app).startswith("sqlite") or bool(app.config["SINGLE_HOST"])


@sa_event.listens_for(Session, "after_flush")
def _note_visible(session: Session, _context: object) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(obj, "__tablename__", None) in VISIBLE:
            session.info[CHANGED] = True
            return


@sa_event.listens_for(Session, "before_commit")
def _begin(session: Session) -> None:
    session.flush()  # its after_flush decides whether readers could see this commit
    if session.info.pop(CHANGED, False) and has_app_context():
        version = of(current_app)
        if version is not None:
            version.begin()
            session.info[_BEGUN] = version


@sa_event.listens_for(Session, "after_commit")
def _finish(session: Session) -> None:
    version = session.info.pop(_BEGUN, None)
    due = session.info.pop(DUE, NEVER)
    if version is not None:
        version.finish(due)


@sa_event.listens_for(Session, "after_rollback")
def _abort(session: Session) -> None:
    session.info.pop(CHANGED, None)
    session.info.pop(DUE, None)
    version = session.info.pop(_BEGUN, None)
    if version is not None:
        version.finish()
