"""docs/deploy.md's layout, run: its nginx server block in front of gunicorn with its config.

Clients connect from different loopback addresses (127.0.0.2, 127.0.0.3): nginx sees each,
forwards it in X-Forwarded-For, and the blog (BLOG_TRUSTED_PROXIES=1) counts each apart.
"""

from __future__ import annotations

import http.client
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest

from .support import live
from .support.services import (
    key_prefix_config,
    nginx,
    nginx_available,
    shared_redis_answers,
    shared_redis_url,
)

DEPLOY = live.ROOT / "docs" / "deploy.md"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nginx_available(), reason="no nginx: `make nginx` installs it"),
    pytest.mark.skipif(os.geteuid() != 0, reason="runs nginx as root, as its package does"),
]
Answer = tuple[int, dict[str, str], bytes]


def documented(first_line: str) -> str:
    """Return the fenced code block of docs/deploy.md that starts with this line."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", DEPLOY.read_text(), re.DOTALL | re.MULTILINE)
    found = [block for block in blocks if block.startswith(first_line + "\n")]
    assert len(found) == 1, f"docs/deploy.md has no single block starting {first_line!r}"
    return found[0]


@pytest.fixture
def front(app, settings, tmp_path: Path) -> Iterator[str]:
    """nginx (docs/deploy.md) in front of gunicorn (docs/deploy.md's gunicorn.conf.py)."""
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(documented("# /etc/agentblog/gunicorn.conf.py"))
    blog = {"TRUSTED_PROXIES": "1", "BAD_TOKEN_LIMIT": "2 per minute"}
    if shared_redis_answers():
        key_prefix_config(tmp_path / "live")
        blog["REDIS_URL"] = shared_redis_url()
    options: dict[str, Any] = {"gunicorn_config": config, **blog}
    with live.running(settings["DATABASE_URL"], tmp_path / "live", 2, **options) as server:
        upstream = urlsplit(server.url).netloc
        block = documented("# /etc/nginx/conf.d/agentblog.conf")
        assert "server 127.0.0.1:8000;" in block and "listen 80;" in block
        with nginx(tmp_path / "nginx", block.replace("127.0.0.1:8000", upstream)) as url:
            yield url


def call(base: str, method: str, path: str, source: str = "127.0.0.2", **kwargs: Any) -> Answer:
    """Send one request to base from the loopback address `source`."""
    address = urlsplit(base)
    conn = http.client.HTTPConnection(
        address.hostname, address.port, timeout=30, source_address=(source, 0)
    )
    try:
        conn.request(method, path, **kwargs)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_the_documented_layout_serves_pages_feeds_and_writes(front, make_token) -> None:
    token = make_token()
    post = {"title": "Through nginx", "content": "Proxied.", "status": "published"}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, _, body = call(front, "POST", "/api/v1/posts", body=json.dumps(post), headers=headers)
    assert status == 201, body
    slug = json.loads(body)["slug"]

    status, _, page = call(front, "GET", f"/posts/{slug}")
    assert status == 200 and b"Through nginx" in page
    status, _, home = call(front, "GET", "/")
    assert status == 200 and b"Through nginx" in home
    status, head, feed = call(front, "GET", "/feed.xml")
    parsed = feedparser.parse(feed)
    assert status == 200 and not parsed.bozo and head["Content-Type"].startswith("application/rss")
    assert parsed.entries[0].title == "Through nginx"


def test_the_client_address_reaches_the_limiter_through_nginx(front) -> None:
    bad = {"Authorization": "Bearer blog_not-a-token"}

    def refused(source: str, forged: str = "") -> int:
        headers = {**bad, "X-Forwarded-For": forged} if forged else bad
        return call(front, "GET", "/api/v1/me", source=source, headers=headers)[0]

    assert [refused("127.0.0.2") for _ in range(3)] == [401, 401, 429]
    assert refused("127.0.0.3") == 401  # another client: its own budget
    assert refused("127.0.0.2", forged="198.51.100.7") == 429  # nginx appends the real one
