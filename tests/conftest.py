"""Fixtures: a fresh app and database per test, on SQLite or BLOG_TEST_DATABASE_URL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from blog import posts
from blog.access import tokens
from blog.delivery import sender
from blog.extensions import db
from blog.models import Author, Post

from .support.documents import DocumentServer
from .support.factories import BASE_URL, TEST_DATABASE_URL, app_settings, make_app
from .support.live import ROOT
from .support.oauth import Flow
from .support.receiver import Receiver

__all__ = ["BASE_URL", "ROOT", "TEST_DATABASE_URL"]  # for the test modules that import them
# The browser fixtures (one Chromium, one live site) are shared by every module that needs them.
pytest_plugins = ["tests.support.browsing"]


@pytest.fixture(autouse=True)
def no_sender_left_running() -> Iterator[None]:
    """A test stops every sender thread it started: a leftover one polls the next test's
    database (on PostgreSQL, the same one) and deadlocks its teardown's DROP TABLE."""
    yield
    left = [worker for worker in list(sender._running) if worker.is_alive()]
    for worker in left:
        worker.stop()
    assert not left, f"{len(left)} sender thread(s) still running after the test"


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return app_settings(tmp_path)


@pytest.fixture
def app(build_app: Any, settings: dict[str, Any]) -> Flask:
    """The test's app, on a fresh database; build_app(**settings) makes another on it."""
    return build_app(**settings)


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


# ---------------------------------------------------------------- the authoring API


@pytest.fixture
def make_token(app: Flask, author: Author) -> Any:
    """Issue a real token through tokens.py; return the raw secret."""

    def make(
        scopes: tuple[str, ...] = tokens.SCOPES,
        owner: Author | None = None,
        lifetime: timedelta | None = timedelta(days=1),
        name: str = "test agent",
    ) -> str:
        with app.app_context():
            who = db.session.get(Author, (owner or author).id)
            raw, _ = tokens.issue(who, scopes, lifetime, name)
            return raw

    return make


class Api:
    """Call /api/v1 through the test client with a bearer token: api.post("/posts", json=…)."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.token = client, token

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        headers.setdefault("Authorization", f"Bearer {token or self.token}")
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def api(client: FlaskClient, make_token: Any) -> Api:
    """The API as seen by an agent whose token carries every scope."""
    return Api(client, make_token())


@pytest.fixture
def build_app(tmp_path: Path) -> Iterator[Any]:
    """Build apps on one test database with these settings (several: one per 'process')."""
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        built = make_app(tmp_path / "instance", **app_settings(tmp_path, **overrides))
        with built.app_context():
            if not made:
                db.drop_all()
            db.create_all()
        made.append(built)
        return built

    yield build
    for built in made:
        extension = built.extensions.get("push")
        if extension is not None:
            extension.stop()
    for built in reversed(made):
        with built.app_context():
            db.session.remove()
            if built is made[0]:
                db.drop_all()
            db.engine.dispose()


@pytest.fixture
def documents() -> Iterator[DocumentServer]:
    """A local HTTP server of the documents the blog fetches (client metadata, key directories)."""
    server = DocumentServer()
    yield server
    server.stop()


@pytest.fixture
def flow(client: FlaskClient, author: Author) -> Flow:
    """An OAuth client registered by DCR on the test's app, with an author to consent as."""
    made = Flow(client)
    assert made.register().status_code == 201
    return made


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server on 127.0.0.1 that records what webhooks and hubs send it."""
    found = Receiver()
    yield found
    found.close()
