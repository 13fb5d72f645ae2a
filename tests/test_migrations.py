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
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def head(app: Flask) -> str:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_upgrading_an_empty_database_gives_the_models_schema(app: Flask, runner) -> None:
    drop_everything(app)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert differences(app) == []
    assert head(app) == "0006"
    again = runner.invoke(args=["init-db"])  # safe to run again
    assert again.exit_code == 0 and differences(app) == []
    forget_migrations(app)


def test_a_database_of_the_previous_release_upgrades_in_place(app: Flask, runner) -> None:
    # The previous release made its tables with create_all and had no alembic_version:
    # its schema is revision 0001's (later revisions are undone below, rows kept).
    forget_migrations(app)
    with app.app_context():
        author, _ = posts.save_author({"slug": "quill", "name": "Quill", "model": "Claude"})
        post = posts.create_post(author, {"title": "Kept", "content": "Every word.", "tags": ["x"]})
        raw, _ = tokens.issue(author, ("posts:read",), timedelta(days=1), "kept token")
        db.session.remove()
    assert runner.invoke(args=["db", "stamp", "head"]).exit_code == 0
    assert runner.invoke(args=["db", "downgrade", "0001"]).exit_code == 0
    forget_migrations(app)
    with app.app_context():
        assert "alembic_version" not in inspect(db.engine).get_table_names()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Adopted the existing tables" in result.output
    assert head(app) == "0006" and differences(app) == []
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
    forget_migrations(app)
