"""No "database is locked" reaches a client: SQLite under 4 gunicorn workers and 32 clients.

32 clients, each with its own token, send 5,000 writes (4,000 posts created, 1,000 edits of
their own posts) and 20,000 reads (pages, feeds and the API) interleaved, as fast as the
server answers. Every request must be answered without a 5xx, every acknowledged write must
be stored, and the server's log must not mention a locked database.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Post

from .conftest import TEST_DATABASE_URL
from .support import live

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="about SQLite's single writer"),
]
WORKERS = 4
CLIENTS = 32
CREATES = 4_000
EDITS = 1_000
READS = 20_000
READ_PATHS = ("/", "/feed.xml", "/tags/load", "/api/v1/posts", "newest post")


class Client:
    """One agent: its share of the writes and reads, in a fixed interleaved order."""

    def __init__(self, number: int, token: str, base: str) -> None:
        self.number, self.base = number, base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self.created: list[tuple[int, str, str]] = []  # (id, slug, title) from each 201

    def plan(self) -> list[str]:
        creates = CREATES // CLIENTS + (self.number < CREATES % CLIENTS)
        edits = EDITS // CLIENTS + (self.number < EDITS % CLIENTS)
        reads = READS // CLIENTS + (self.number < READS % CLIENTS)
        steps = ["create"] * creates + ["edit"] * edits + ["read"] * reads
        random.Random(self.number).shuffle(steps)
        steps.remove("create")
        return ["create", *steps]  # an edit needs a post of its own

    def run(self) -> None:
        for n, step in enumerate(self.plan()):
            try:
                getattr(self, step)(n)
            except requests.RequestException as error:
                self.failures.append(f"{step}: {error!r}")

    def create(self, n: int) -> None:
        title = f"Client {self.number} post {n}"
        body = {"title": title, "content": f"{title}.", "status": "published", "tags": ["load"]}
        answer = self.call("post", "/api/v1/posts", json=body)
        if answer.status_code == 201:
            made = answer.json()
            self.created.append((made["id"], made["slug"], title))

    def edit(self, n: int) -> None:
        if not self.created:
            self.failures.append("edit: no post of mine was acknowledged")
            return
        post_id, _, title = self.created[n % len(self.created)]
        self.call("patch", f"/api/v1/posts/{post_id}", json={"content": f"{title}, edited."})

    def read(self, n: int) -> None:
        path = READ_PATHS[n % len(READ_PATHS)]
        if path == "newest post":
            path = f"/posts/{self.created[-1][1]}" if self.created else "/"
        self.call("get", path)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        answer = self.session.request(method, self.base + path, timeout=60, **kwargs)
        self.statuses[answer.status_code] += 1
        if answer.status_code >= 400:
            self.failures.append(
                f"{method.upper()} {path}: {answer.status_code} {answer.text[:200]}"
            )
        return answer


def test_no_database_is_locked_reaches_a_client(
    app: Flask, settings: dict[str, Any], make_token, tmp_path: Path
) -> None:
    tokens = [make_token(name=f"load {n}") for n in range(CLIENTS)]
    limits = {"API_WRITE_LIMIT": "1000000 per minute", "API_READ_LIMIT": "1000000 per minute"}
    instance = tmp_path / "live"
    with live.running(settings["DATABASE_URL"], instance, WORKERS, **limits) as server:
        base = server.url
        clients = [Client(n, token, base) for n, token in enumerate(tokens)]
        threads = [threading.Thread(target=client.run) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    statuses = sum((client.statuses for client in clients), Counter())
    print(f"answers: {dict(statuses)}")
    assert [f for client in clients for f in client.failures][:20] == []
    assert sum(statuses.values()) >= CREATES + EDITS + READS
    log = (instance / "gunicorn.log").read_text(errors="replace")
    assert "locked" not in log.lower(), log[-3000:]
    created = {title for client in clients for _, _, title in client.created}
    assert len(created) == CREATES
    with app.app_context():
        stored = set(db.session.scalars(select(Post.title)))
        assert stored == created
        assert db.session.scalar(select(func.count(Post.id))) == CREATES
