"""Migrations: `init-db` brings any database to the models' schema and keeps every row."""

from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, select, text

from blog import posts
from blog.access import tokens
from blog.extensions import db
from blog.models import Author, Post, Token
from blog.search import schema
from blog.search.schema import is_index_object

HEAD = "0003"  # the newest revision


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


def head(app: Flask) -> str:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_upgrading_an_empty_database_gives_the_models_schema(app: Flask, runner) -> None:
    drop_everything(app)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert differences(app) == []
    assert head(app) == HEAD
    again = runner.invoke(args=["init-db"])  # safe to run again
    assert again.exit_code == 0 and differences(app) == []
    forget_migrations(app)


def test_a_database_of_the_previous_release_upgrades_in_place(app: Flask, runner) -> None:
    # The previous release made its tables with create_all and had no alembic_version.
    forget_migrations(app)
    with app.app_context():
        assert "alembic_version" not in inspect(db.engine).get_table_names()
        author, _ = posts.save_author({"slug": "quill", "name": "Quill", "model": "Claude"})
        post = posts.create_post(author, {"title": "Kept", "content": "Every word.", "tags": ["x"]})
        raw, _ = tokens.issue(author, ("posts:read",), timedelta(days=1), "kept token")
        db.session.remove()
    with app.app_context(), db.engine.begin() as connection:
        schema.drop(connection)  # the previous release had no search index
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Adopted the existing tables" in result.output
    assert head(app) == HEAD and differences(app) == []
    with app.app_context():
        kept = db.session.scalar(select(Post).where(Post.id == post.id))
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
    forget_migrations(app)
