"""copy-db: every row of every table moves to an empty database and back, SQLite <-> PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from blog.delivery import sender
from blog.extensions import db

from .support.factories import TEST_DATABASE_URL, app_settings, make_app

ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
FILLED = ("authors", "posts", "tags", "post_tags", "tokens", "idempotency_keys", "events")
FILLED += ("webhooks", "deliveries", "delivery_attempts")


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return app_settings(tmp_path, WEBHOOK_ALLOW_PRIVATE=True)


@pytest.fixture(autouse=True)
def no_migration_history(app: Flask) -> Iterator[None]:
    """Start and end without Alembic's table, which drop_all (between tests) leaves behind."""
    forget = text("DROP TABLE IF EXISTS alembic_version")
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(forget)
    yield
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(forget)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model table at `url`, in primary-key order."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in db.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def fill(app: Flask, api: Any, runner: Any, make_post: Any, receiver: Any) -> None:
    """Put rows in every table through the blog's own entry points."""
    runner.invoke(args=["init-db"])
    later = make_post(title="Translated later", slug="later", lang="zh", tags=["one", "two"])
    make_post(title="Original", slug="original", tags=["two"], featured=True)
    # A row pointing at a higher id of its own table: the copy must link it after inserting.
    assert api.patch(f"/posts/{later.id}", json={"translation_of": "original"}).status_code == 200
    made = api.post(
        "/posts", json={"title": "Kept", "content": "é 中文"}, headers={"Idempotency-Key": "k1"}
    )
    assert made.status_code == 201
    assert runner.invoke(args=["webhook", "add", receiver.url]).exit_code == 0
    make_post(title="Announced", slug="announced")
    with app.app_context():
        now = datetime.now(UTC)
        assert sender.fan_out(now) and sender.send_next(now)


def copy(app: Flask, target: str) -> str:
    result = app.test_cli_runner().invoke(args=["copy-db", "--to", target])
    assert result.exit_code == 0, result.output
    return result.output


def postgres_copy_url() -> str:
    """A second PostgreSQL database beside the test one (made if missing), emptied."""
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_copy"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        known = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        if known.first() is None:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    target = url.set(database=name).render_as_string(hide_password=False)
    empty(target)
    return target


def empty(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in reversed(inspect(connection).get_table_names()):
            connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    engine.dispose()


def test_every_row_moves_there_and_back(app, api, runner, make_post, receiver, tmp_path) -> None:
    fill(app, api, runner, make_post, receiver)
    original = snapshot(app.config["SQLALCHEMY_DATABASE_URI"])
    assert all(original[name] for name in FILLED), {n: len(original[n]) for n in FILLED}
    there = f"sqlite:///{tmp_path / 'there.sqlite'}"
    # On the PostgreSQL run: PostgreSQL -> SQLite -> PostgreSQL; else SQLite all the way.
    back = postgres_copy_url() if ON_POSTGRES else f"sqlite:///{tmp_path / 'back.sqlite'}"

    output = copy(app, there)
    assert f"posts: {len(original['posts'])} rows" in output
    assert snapshot(there) == original
    far = make_app(tmp_path / "far", **app_settings(tmp_path, DATABASE_URL=there))
    copy(far, back)
    assert snapshot(back) == original

    moved = make_app(
        tmp_path / "moved", **app_settings(tmp_path, DATABASE_URL=back, WEBHOOK_ALLOW_PRIVATE=True)
    )
    client = moved.test_client()
    assert client.get("/posts/original").status_code == 200
    assert "Translated later" in client.get("/tags/one").get_data(as_text=True)
    # Ids go on from the highest copied one: a new post is not refused as a duplicate key.
    created = client.post(
        "/api/v1/posts",
        json={"title": "After the move", "content": "New."},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["id"] == 1 + max(row[0] for row in original["posts"])
    for command in (
        ["create-author", "--slug", "newcomer", "--name", "Newcomer"],
        ["token", "create", "--author", "newcomer", "--scopes", "posts:read"],
        ["webhook", "add", receiver.url],
    ):
        result = moved.test_cli_runner().invoke(args=command)
        assert result.exit_code == 0, result.output
    for made in (far, moved):
        with made.app_context():
            db.session.remove()
            db.engine.dispose()
    if ON_POSTGRES:
        empty(back)


def test_a_target_with_rows_is_refused_and_left_alone(app, make_post, tmp_path) -> None:
    make_post(title="Here", slug="here")
    app.test_cli_runner().invoke(args=["init-db"])
    target = f"sqlite:///{tmp_path / 'full.sqlite'}"
    copy(app, target)
    before = snapshot(target)
    again = app.test_cli_runner().invoke(args=["copy-db", "--to", target])
    assert again.exit_code != 0 and "already holds rows in" in again.output
    assert snapshot(target) == before


def test_a_source_behind_the_migrations_is_refused(app, make_post, tmp_path) -> None:
    make_post(title="Here", slug="here")  # tables from create_all: no migration history
    result = app.test_cli_runner().invoke(
        args=["copy-db", "--to", f"sqlite:///{tmp_path / 'x.sqlite'}"]
    )
    assert result.exit_code != 0 and "run init-db first" in result.output
    assert (
        not (tmp_path / "x.sqlite").exists()
        or not inspect(create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")).get_table_names()
    )


def test_micropub_properties_survive_the_copy(app, runner, make_token, tmp_path) -> None:
    from .support.micropub import Micropub

    runner.invoke(args=["init-db"])
    extras = {
        "location": [{"type": ["h-geo"], "properties": {"latitude": ["45.5"]}}],
        "x-looks-typed": ["2026-12-01", "yes", "中文"],
    }
    mp = Micropub(app.test_client(), make_token())
    url = mp.create(json={"type": ["h-entry"], "properties": {"content": ["Note"], **extras}})
    before = mp.source(url)
    there = f"sqlite:///{tmp_path / 'there.sqlite'}"
    copy(app, there)
    far = make_app(tmp_path / "far", **app_settings(tmp_path, DATABASE_URL=there))
    back = postgres_copy_url() if ON_POSTGRES else f"sqlite:///{tmp_path / 'back.sqlite'}"
    copy(far, back)  # and back again: SQLite's JSON to PostgreSQL's, on the PostgreSQL run
    moved = make_app(tmp_path / "moved", **app_settings(tmp_path, DATABASE_URL=back))
    for made in (far, moved):
        assert Micropub(made.test_client(), mp.token).source(url) == before
        with made.app_context():
            db.session.remove()
            db.engine.dispose()
    if ON_POSTGRES:
        empty(back)
