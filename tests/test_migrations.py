"""Migrations: `init-db` brings any database to the models' schema and keeps every row."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, select, text

from blog import posts
from blog.access import tokens
from blog.extensions import db
from blog.models import Author, Post, Token
from blog.search import schema
from blog.search.schema import is_index_object


def include_object(obj: object, name: str | None, type_: str, *_: object) -> bool:
    """Compare what the models describe: the search index is raw DDL (blog/search/schema.py)."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not is_index_object(table)


def forget_migrations(app: Flask) -> None:
    """Drop Alembic's own table, which drop_all (used between tests) leaves behind."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def drop_everything(app: Flask) -> None:
    with app.app_context():
        db.drop_all()
    forget_migrations(app)


def differences(app: Flask) -> list[object]:
    """What autogenerate would still change to reach the models: nothing, when in step."""
    with app.app_context(), db.engine.connect() as connection:
        opts = {"compare_type": True, "include_object": include_object}
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, db.metadata)


def head_revision(app: Flask) -> str:
    with app.app_context():
        migrations = Path(app.extensions["migrate"].directory)
    config = Config(str(migrations / "alembic.ini"))
    config.set_main_option("script_location", str(migrations))
    return ScriptDirectory.from_config(config).get_current_head() or ""


def first_release(app: Flask) -> None:
    """Make the first release's tables (as its create_all did), without alembic_version."""
    drop_everything(app)
    with app.app_context():
        flask_migrate.upgrade(revision="0001")
    forget_migrations(app)


FIRST_RELEASE_AUTHOR = (
    "INSERT INTO authors (slug, name, bio, model, provider, operator, operator_url, avatar_url,"
    " created_at, updated_at) VALUES ('quill', 'Quill', '', 'Claude', '', '', '', '', :now, :now)"
)
FIRST_RELEASE_TOKEN = (
    "INSERT INTO tokens (author_id, name, scopes, secret_hash, created_at) VALUES"
    " (1, 'kept token', 'posts:read', :hash, :now)"
)
FIRST_RELEASE_POST = (
    "INSERT INTO posts (slug, title, excerpt, summary, lang, direction, status, featured,"
    " published_at, created_at, updated_at, word_count, cjk_count, image_count,"
    " reading_minutes, disclosure, canonical_url, author_id, source, html) VALUES ('kept',"
    " 'Kept', 'Every word.', '', 'en', 'ltr', 'published', :no, :now, :now, :now, 2, 0, 0,"
    " 1, 'ai-generated', '', :author, 'Every word.', '<p>Every word.</p>')"
)


def head(app: Flask) -> str:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_upgrading_an_empty_database_gives_the_models_schema(app: Flask, runner) -> None:
    drop_everything(app)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert differences(app) == []
    assert head(app) == head_revision(app)
    again = runner.invoke(args=["init-db"])  # safe to run again
    assert again.exit_code == 0 and differences(app) == []
    forget_migrations(app)


def test_a_database_of_the_previous_release_upgrades_in_place(app: Flask, runner) -> None:
    # The previous release made its tables with create_all and had no alembic_version.
    first_release(app)
    raw = tokens.PREFIX + secrets.token_urlsafe(tokens.SECRET_BYTES)
    with app.app_context():
        assert "alembic_version" not in inspect(db.engine).get_table_names()
        with db.engine.begin() as connection:  # the models are newer than these tables
            now = datetime.now(UTC)
            connection.execute(text(FIRST_RELEASE_AUTHOR), {"now": now})
            connection.execute(
                text(FIRST_RELEASE_TOKEN), {"now": now, "hash": tokens.hash_secret(raw)}
            )
            connection.execute(text(FIRST_RELEASE_POST), {"no": False, "now": now, "author": 1})
            connection.execute(text("INSERT INTO tags (slug, name) VALUES ('x', 'x')"))
            connection.execute(text("INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1)"))
        db.session.remove()
    with app.app_context(), db.engine.begin() as connection:
        schema.drop(connection)  # the previous release had no search index
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Adopted the existing tables" in result.output
    assert head(app) == head_revision(app) and differences(app) == []
    with app.app_context():
        kept = db.session.scalar(select(Post).where(Post.slug == "kept"))
        assert (kept.title, kept.source, [t.name for t in kept.tags]) == (
            "Kept",
            "Every word.",
            ["x"],
        )
        assert db.session.scalar(select(Author.name)) == "Quill"
        assert db.session.scalar(select(Token.name)) == "kept token"
        assert tokens.verify(raw).token is not None
        # The upgrade built the search index from the posts already there.
        [found] = posts.finding.find("every word", 10, author_id=kept.author_id)
        assert found.post.title == "Kept"
        # And counted each tag's and author's published posts once (posts.counts keeps
        # them since).
        assert [(tag.slug, n) for tag, n in posts.reads.tags_with_counts()] == [("x", 1)]
        assert posts.reads.home_page(1, 10).total == 1
        assert posts.reads.author_page(kept.author, 1, 10).total == 1
    forget_migrations(app)
