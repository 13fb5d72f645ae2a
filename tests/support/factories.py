"""Test apps and what they hold: their settings, a fresh app, an author with a token, a count."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from blog import create_app, posts
from blog.access import tokens
from blog.extensions import db
from blog.models import Post

TEST_DATABASE_URL = os.environ.get("BLOG_TEST_DATABASE_URL", "")
BASE_URL = "https://blog.example"


def app_settings(folder: Path, **overrides: Any) -> dict[str, Any]:
    """Return the settings of a test app whose database lives in folder (or PostgreSQL)."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "BASE_URL": BASE_URL,
        "DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{folder / 'blog.sqlite'}",
        "POSTS_DIR": str(folder / "posts"),
        "WEBHOOK_WORKER": False,  # a test that needs the sender starts its own: sender.start_worker
    }
    settings.update(overrides)
    return settings


def make_app(instance: Path, **settings: Any) -> Flask:
    """Create the app with these settings and its instance folder at `instance`.

    Its sender thread stays off unless asked for (WEBHOOK_WORKER=True): an app a test makes
    beside a live gunicorn must not send that server's deliveries from the test's process, nor
    hold the shared test database while the next test drops its tables.
    """
    settings.setdefault("WEBHOOK_WORKER", False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BLOG_INSTANCE_PATH", str(instance))
        return create_app(settings)


def author_with_token(
    app: Flask, fields: dict[str, Any], name: str, lifetime: timedelta | None = None
) -> str:
    """Save an author and issue it a token with every scope; return the raw token."""
    with app.app_context():
        saved, _ = posts.save_author(fields)
        raw, _ = tokens.issue(saved, tokens.SCOPES, lifetime, name)
    return raw


def count_posts(app: Flask) -> int:
    """Return how many posts the app's database holds, whatever their state."""
    with app.app_context():
        return db.session.scalar(select(func.count(Post.id)))
