"""PostgreSQL in production: the pool and the statement timeout come from the settings."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from blog import config
from blog.extensions import db

from .support.factories import TEST_DATABASE_URL

postgres_only = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="needs BLOG_TEST_DATABASE_URL"
)


@postgres_only
def test_a_statement_past_the_timeout_is_cancelled(build_app, settings) -> None:
    app = build_app(**settings, DB_STATEMENT_TIMEOUT=0.2)
    with app.app_context():
        assert db.session.scalar(text("SHOW statement_timeout")) == "200ms"
        with pytest.raises(OperationalError, match="statement timeout"):
            db.session.execute(text("SELECT pg_sleep(2)"))
        db.session.rollback()
        assert db.session.scalar(text("SELECT 1")) == 1  # the connection serves on


@postgres_only
def test_the_pool_follows_the_settings(build_app, settings) -> None:
    app = build_app(**settings, DB_POOL_SIZE=3, DB_MAX_OVERFLOW=2, DB_POOL_RECYCLE=60)
    with app.app_context():
        pool = db.engine.pool
        assert (pool.size(), pool._max_overflow, pool._recycle) == (3, 2, 60)
        assert pool._pre_ping


@postgres_only
def test_zero_means_no_statement_timeout(build_app, settings) -> None:
    app = build_app(**settings, DB_STATEMENT_TIMEOUT=0)
    with app.app_context():
        assert db.session.scalar(text("SHOW statement_timeout")) == "0"


def test_sqlite_keeps_its_own_pool(tmp_path) -> None:
    options = config.engine_options(
        {**config.DEFAULTS, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'b.sqlite'}"}
    )
    assert options == {"pool_pre_ping": True}
