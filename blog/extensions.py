"""Extensions, created unbound and attached to the app in create_app()."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Objects stay readable after commit: a request ends soon after, and reloading costs queries.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# zstd, brotli or gzip as the client's Accept-Encoding asks; off when COMPRESS_RESPONSES is False.
compress = Compress()

SQLITE_BUSY_TIMEOUT_MS = 30_000

# Schema changes: Alembic revisions in blog/migrations, applied by `flask --app blog db upgrade`.
MIGRATIONS = str(Path(__file__).parent / "migrations")

# Interface strings and dates; catalogs live in blog/translations (see the Makefile).
babel = Babel()
# Limits are declared on the API's routes; counters live at RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address)
# Operators' sessions (/admin) and the CSRF tokens of their forms: see blog/http/signin.py.
login = LoginManager()
csrf = CSRFProtect()


def init_limiter(app: Flask) -> None:
    """Bind the limiter; a Redis store answers within REDIS_TIMEOUT or raises StorageError."""
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis", "rediss", "unix")):
        timeout = app.config["REDIS_TIMEOUT"]
        options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        # redis-py retries 3 times with up to 10 s of backoff by default: that is a hang to a
        # client. One immediate retry still heals a connection Redis closed (a restart).
        from redis.backoff import NoBackoff  # only with Redis: the package costs a worker ~5 MB
        from redis.retry import Retry

        options.update(retry=Retry(NoBackoff(), 1), wrap_exceptions=True)
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", options)
    limiter.init_app(app)


def init_db(app: Flask) -> None:
    """Bind the database to the app and tune SQLite for several writers."""
    db.init_app(app)
    app.extensions["migrate"] = LazyMigrations(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)


class LazyMigrations:
    """app.extensions["migrate"] until something reads it: Flask-Migrate imports Alembic,
    about 11 MB in every worker, and serving never migrates."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(migrations(self._app), name)


def migrations(app: Flask) -> Any:
    """Bind Flask-Migrate to the app (once) and return its app.extensions["migrate"]."""
    if isinstance(app.extensions.get("migrate"), LazyMigrations):
        from flask_migrate import Migrate

        # batch: SQLite alters by copying tables
        Migrate(app, db, directory=MIGRATIONS, render_as_batch=True)
    return app.extensions["migrate"]


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling emits a deferred BEGIN that cannot wait for a
    # writer's lock once it has read; take over BEGIN so writes can ask for IMMEDIATE.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run the block in one write transaction: committed on success, rolled back on error.

    On SQLite the transaction starts with BEGIN IMMEDIATE, so a concurrent writer makes
    it wait (busy timeout) instead of failing with "database is locked"; before that, the
    writers of one host queue on a file lock, so they wait their turn rather than sleep in
    SQLite's busy handler, whose backoff grows to 100 ms a step.
    """
    db.session.commit()  # end any read transaction first: it could not be upgraded safely
    with _writers_queue():
        db.session.connection(execution_options={"write": True})
        try:
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


_queues: dict[tuple[int, str], tuple[threading.RLock, int]] = {}


@contextmanager
def _writers_queue() -> Iterator[None]:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    key = (os.getpid(), url.database)  # a flock belongs to an open file: one per process
    if key not in _queues:
        fd = os.open(f"{url.database}.writers", os.O_RDWR | os.O_CREAT, 0o644)
        _queues[key] = threading.RLock(), fd
    thread_lock, fd = _queues[key]
    with thread_lock:  # the threads of one process share its flock, so they queue here first
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
