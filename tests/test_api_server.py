"""The API under a real gunicorn with several workers: concurrency, body limits, shared limits."""

from __future__ import annotations

import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from .support import live
from .support.factories import count_posts
from .support.live import raw_request

pytestmark = pytest.mark.slow
CLIENTS = 8
BODY = {"title": "Sent twice at once", "content": "One post, however often it is sent."}


@pytest.fixture
def server(app: Flask, settings: dict[str, Any], tmp_path: Path):
    with live.running(settings["DATABASE_URL"], tmp_path / "live", workers=3) as server:
        yield server.url
    log = (tmp_path / "live" / "gunicorn.log").read_text()
    assert "Traceback" not in log.split("Handling signal")[0], log


def at_once(calls: list) -> list[requests.Response]:
    """Run the calls in threads released together."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_requests_with_one_key_make_one_post(app: Flask, server, make_token) -> None:
    headers = {"Authorization": f"Bearer {make_token()}", "Idempotency-Key": str(uuid.uuid4())}
    url = f"{server}/api/v1/posts"
    answers = at_once(
        [lambda: requests.post(url, json=BODY, headers=headers, timeout=60)] * CLIENTS
    )
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409} and 201 in statuses, statuses
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] == "idempotency_key_in_use"
    assert count_posts(app) == 1
    later = requests.post(url, json=BODY, headers=headers, timeout=60)
    assert later.status_code == 201 and later.json()["id"] in created


def test_concurrent_posts_with_one_title_all_get_their_own_slug(app, server, make_token):
    headers = {"Authorization": f"Bearer {make_token()}"}
    url = f"{server}/api/v1/posts"
    answers = at_once(
        [lambda: requests.post(url, json=BODY, headers=headers, timeout=60)] * CLIENTS
    )
    assert [a.status_code for a in answers] == [201] * CLIENTS
    slugs = {a.json()["slug"] for a in answers}
    assert len(slugs) == CLIENTS and "sent-twice-at-once" in slugs
    assert count_posts(app) == CLIENTS


def test_a_declared_oversized_body_is_refused_before_it_is_sent(app, server, make_token):
    head = (
        "POST /api/v1/posts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {make_token()}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
    ).encode()
    answer = raw_request(server, head, [b'{"title": "huge", "content": "'])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"application/problem+json" in answer
    assert count_posts(app) == 0


def test_a_chunked_body_is_cut_off_at_the_limit(app, server, make_token) -> None:
    head = (
        "POST /api/v1/posts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {make_token()}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b"x" * 65536
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 17  # 1.06 MiB, and never a last chunk
    answer = raw_request(server, head, parts)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert count_posts(app) == 0


def test_a_small_chunked_body_is_accepted(app, server, make_token) -> None:
    data = b'{"title": "Chunked", "content": "Streamed in."}'
    head = (
        "POST /api/v1/posts HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Authorization: Bearer {make_token()}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    answer = raw_request(server, head, [b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)])
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
    assert count_posts(app) == 1


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_every_worker_shares_one_budget(app, settings, tmp_path, make_token):
    instance = tmp_path / "redis-live"
    instance.mkdir()
    # Other test runs share this Redis: keep our counters apart.
    (instance / "config.py").write_text(f"RATELIMIT_KEY_PREFIX = 'test-{uuid.uuid4().hex}'\n")
    limits = {"RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/15", "API_WRITE_LIMIT": "5 per hour"}
    with live.running(settings["DATABASE_URL"], instance, workers=3, **limits) as server:
        base = server.url
        headers = {"Authorization": f"Bearer {make_token()}"}
        url = f"{base}/api/v1/preview"
        answers = [requests.post(url, json=BODY, headers=headers, timeout=60) for _ in range(7)]
        me = requests.get(f"{base}/api/v1/me", headers=headers, timeout=60).json()
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    assert me["limits"]["writes"] == {"limit": 5, "window_seconds": 3600, "remaining": 0}
