"""Redis for shared state: BLOG_REDIS_URL, and a Redis that goes away while the blog serves.

Pages and feeds never touch Redis; a rate-limited API request answers 503
`shared_state_unavailable` within about 2 × BLOG_REDIS_TIMEOUT, never hangs, and changes
nothing; once Redis is back, writes work again without a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .support import live
from .support.factories import count_posts
from .support.services import RedisServer, redis_server

# A hang shows up as this timeout expiring; a fail-fast answer comes well within it.
CLIENT_TIMEOUT = 10


def test_redis_url_is_where_limits_live_unless_storage_is_set(build_app, settings) -> None:
    redis = "redis://127.0.0.1:6379/8"
    assert build_app(**settings).config["RATELIMIT_STORAGE_URI"] == "memory://"
    shared = build_app(**settings, REDIS_URL=redis).config
    assert shared["RATELIMIT_STORAGE_URI"] == shared["RATE_LIMIT_STORAGE"] == redis
    explicit = build_app(**settings, REDIS_URL=redis, RATE_LIMIT_STORAGE="memory://").config
    assert explicit["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
def blog(app, settings, tmp_path: Path, redis: RedisServer) -> Iterator[live.Server]:
    options = {"REDIS_URL": redis.url, "API_WRITE_LIMIT": "1000 per minute"}
    with live.running(settings["DATABASE_URL"], tmp_path / "live", **options) as server:
        yield server


def publish(server: live.Server, token: str, title: str) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/posts",
        json={"title": title, "content": f"{title}, in full.", "status": "published"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=CLIENT_TIMEOUT,
    )


def assert_unavailable(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    problem = response.json()
    assert problem["code"] == "shared_state_unavailable", problem
    return problem


def assert_pages_served(server: live.Server, slug: str) -> None:
    for path in ("/", f"/posts/{slug}", "/feed.xml", "/atom.xml", "/sitemap.xml"):
        status, body = server.get(path)
        assert status == 200, (path, body[:300])
    assert b"Before the outage" in server.get(f"/posts/{slug}")[1]


def test_a_killed_redis_stops_limited_calls_fast_and_never_pages(
    app, blog, redis, make_token
) -> None:
    token = make_token()
    made = publish(blog, token, "Before the outage")
    assert made.status_code == 201, made.text
    slug = made.json()["slug"]

    redis.kill()
    assert_pages_served(blog, slug)
    assert_unavailable(publish(blog, token, "During the outage"))
    headers = {"Authorization": f"Bearer {token}"}
    listed = requests.get(f"{blog.url}/api/v1/posts", headers=headers, timeout=CLIENT_TIMEOUT)
    assert_unavailable(listed)
    wrong = {"Authorization": "Bearer blog_wrong"}  # the bad-token limiter needs Redis too
    assert_unavailable(requests.get(f"{blog.url}/api/v1/me", headers=wrong, timeout=10))
    assert count_posts(app) == 1  # the refused write left nothing behind

    redis.start()
    assert publish(blog, token, "After the outage").status_code == 201
    assert count_posts(app) == 2
    assert "Traceback" not in blog.log.read_text()


def test_a_frozen_redis_is_a_timeout_not_a_hang(app, blog, redis, make_token) -> None:
    token = make_token()
    made = publish(blog, token, "Before the outage")
    assert made.status_code == 201, made.text

    redis.freeze()  # accepts connections, answers nothing
    try:
        assert_unavailable(publish(blog, token, "During the freeze"))
        assert_pages_served(blog, made.json()["slug"])
        assert count_posts(app) == 1
    finally:
        redis.thaw()
    assert publish(blog, token, "After the freeze").status_code == 201
    assert count_posts(app) == 2
