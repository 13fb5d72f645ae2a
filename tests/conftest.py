"""Fixtures: a fresh app and database per test, on SQLite or BLOG_TEST_DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from blog import create_app, posts
from blog.extensions import db
from blog.models import Author, Post

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("BLOG_TEST_DATABASE_URL", "")
BASE_URL = "https://blog.example"


def test_settings(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """Return the settings of a test app whose database lives in tmp_path (or PostgreSQL)."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "BASE_URL": BASE_URL,
        "DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'blog.sqlite'}",
        "POSTS_DIR": str(tmp_path / "posts"),
        "WEBHOOK_WORKER": False,  # a test that needs the sender starts its own: push.start_worker
    }
    settings.update(overrides)
    return settings


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return test_settings(tmp_path)


@pytest.fixture
def app(
    settings: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(settings)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def author(app: Flask) -> Author:
    with app.app_context():
        made, _ = posts.save_author(
            {
                "slug": "quill",
                "name": "Quill",
                "model": "Claude",
                "operator": "Ada Operator",
                "operator_url": "https://operator.example",
            }
        )
        return made


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


@pytest.fixture
def make_post(app: Flask, author: Author) -> Any:
    """Create a post through posts.py; defaults give a public English post."""
    counter = iter(range(1, 10_000))

    def make(**values: Any) -> Post:
        n = next(counter)
        fields = {
            "title": f"Post number {n}",
            "content": f"Body of post {n}.",
            "status": "published",
            "published_at": days_ago(100 - n),
        }
        fields.update(values)
        with app.app_context():
            by = db.session.get(Author, author.id) if "author" not in values else values["author"]
            fields.pop("author", None)
            post = posts.create_post(by, fields)
            return post

    return make
