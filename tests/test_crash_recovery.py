"""Nothing acknowledged is lost: publishers keep writing while gunicorn is killed with -9.

16 publishers, each with its own token, send posts with Idempotency-Keys and retry every
unanswered request with the same key and body until it is answered. Meanwhile gunicorn's
workers and then the whole server (master and workers, as in a power cut) are killed with
SIGKILL at random moments and restarted, 10 times. Afterwards every post that got a 201 is
stored exactly once, nothing else is, and the database passes its integrity checks. Four
publishers also give up on each first attempt at once, so some retries always find their
post already made by the request they abandoned.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select, text

from blog.extensions import db
from blog.models import IdempotencyKey, Post, Tag

from .support import live

pytestmark = pytest.mark.slow
PUBLISHERS = 16
CYCLES = 10
WORKERS = 3
SEED = int(os.environ.get("CRASH_SEED", "0")) or random.SystemRandom().randrange(1, 10**6)


@dataclass
class Front:
    """Where the server currently listens, shared by the publishers."""

    base: str = ""
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class Publisher:
    """One agent: publishes its posts in order, each retried with its key until answered."""

    number: int
    token: str
    front: Front
    impatient: bool = False  # gives up on each first attempt at once: its write goes on
    acknowledged: dict[str, int] = field(default_factory=dict)  # title -> id from its 201
    answers: Counter[str] = field(default_factory=Counter)
    replays: int = 0
    wrong: list[str] = field(default_factory=list)

    def run(self) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        n = 0
        while not self.front.stop.is_set():
            title = f"Publisher {self.number} post {n}"
            self.publish(session, title, key=f"{self.number}-{n}")
            n += 1

    def publish(self, session: requests.Session, title: str, key: str) -> None:
        """Send one post until it gets a 201 (first or replayed); retry with the same key."""
        body = {"title": title, "content": f"{title}.", "status": "published", "tags": ["crash"]}
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = session.post(
                    f"{self.front.base}/api/v1/posts",
                    json=body,
                    headers={"Idempotency-Key": key},
                    timeout=(10, 0.001) if self.impatient and attempt == 1 else 30,
                )
            except requests.RequestException:
                self.answers["no answer"] += 1
                time.sleep(0.05)
                continue
            self.answers[str(answer.status_code)] += 1
            if answer.status_code == 201:
                made = answer.json()
                if title in self.acknowledged and self.acknowledged[title] != made["id"]:
                    self.wrong.append(f"{title}: ids {self.acknowledged[title]}, {made['id']}")
                self.acknowledged[title] = made["id"]
                self.replays += answer.headers.get("Idempotent-Replayed") == "true"
                return
            if answer.status_code == 409:  # the key's request died with its worker: wait
                time.sleep(float(answer.headers.get("Retry-After", "1")) / 4)
                continue
            self.wrong.append(f"{title}: {answer.status_code} {answer.text[:200]}")
            return


def kill_a_worker(server: live.Server, rng: random.Random) -> None:
    workers = server.workers()
    if workers:
        try:
            os.kill(rng.choice(workers), signal.SIGKILL)
        except ProcessLookupError:
            pass  # it had just exited


def test_nothing_acknowledged_is_lost_when_gunicorn_is_killed(
    app: Flask, settings: dict[str, Any], make_token, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    print(f"CRASH_SEED={SEED}")  # to replay a failing run's kill moments
    front = Front()
    publishers = [
        Publisher(n, make_token(name=f"publisher {n}"), front, impatient=n < 4)
        for n in range(PUBLISHERS)
    ]
    options = {
        "API_WRITE_LIMIT": "100000 per minute",
        "IDEMPOTENCY_TAKEOVER_SECONDS": "2",
        "WEBHOOK_WORKER": "false",
    }
    start = lambda: live.serve(  # noqa: E731
        settings["DATABASE_URL"], tmp_path / "live", WORKERS, timeout=30, **options
    )
    server = start()
    front.base = server.url
    threads = [threading.Thread(target=p.run) for p in publishers]
    for thread in threads:
        thread.start()
    try:
        for _ in range(CYCLES):
            time.sleep(rng.uniform(0.3, 1.2))
            kill_a_worker(server, rng)  # the master starts another
            time.sleep(rng.uniform(0.2, 1.0))
            server.crash()  # master and workers at once
            server = start()
            front.base = server.url
        time.sleep(3)  # let each publisher's request in flight be answered
    finally:
        front.stop.set()
        for thread in threads:
            thread.join(timeout=120)
        server.stop()
    assert not any(thread.is_alive() for thread in threads)

    wrong = [w for p in publishers for w in p.wrong]
    assert not wrong, wrong
    acknowledged = {t: i for p in publishers for t, i in p.acknowledged.items()}
    answers = sum((p.answers for p in publishers), Counter())
    replays = sum(p.replays for p in publishers)
    print(f"{len(acknowledged)} posts acknowledged, {replays} replayed; answers {dict(answers)}")
    assert len(acknowledged) >= CYCLES * PUBLISHERS, answers  # the publishers did work
    assert answers["no answer"] > 0, "no request was cut off: the kills missed"

    with app.app_context():
        stored = db.session.execute(select(Post.title, Post.id)).all()
        titles = Counter(title for title, _ in stored)
        assert [t for t, count in titles.items() if count > 1] == [], "a post was stored twice"
        assert dict(stored) == acknowledged, "stored and acknowledged posts differ"
        unfinished = db.session.scalar(
            select(func.count(IdempotencyKey.id)).where(IdempotencyKey.holder.is_not(None))
        )
        assert unfinished == 0
        assert db.session.scalar(select(func.count(Tag.id))) == 1
        check_integrity()
    assert replays > 0, "no retry found its post already made"


def check_integrity() -> None:
    """Run the database's own consistency checks."""
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        return
    db.session.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
    tables = list(db.metadata.tables)
    indexes = db.session.execute(
        text(
            "SELECT c.relname, bt_index_check(c.oid, true) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid"
            " JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' AND t.relname = ANY(:t)"
        ),
        {"t": tables},
    ).all()
    assert len(indexes) >= len(tables)  # every table's indexes were checked (an error raises)
    for table in tables:
        broken = db.session.execute(
            text("SELECT * FROM verify_heapam(CAST(:t AS regclass))"), {"t": table}
        ).all()
        assert broken == [], (table, broken)
    db.session.commit()
