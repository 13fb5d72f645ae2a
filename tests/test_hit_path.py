"""The hit path (blog/http/hitpath.py) and the site version (blog/delivery/siteversion.py):
the same answers as the full path, nothing built on a hit, never a stale page, bounded memory."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import brotli
import pytest
import redis
from sqlalchemy import event
from werkzeug.http import http_date
from werkzeug.test import Client, TestResponse

from blog.extensions import db

from .conftest import ROOT, Api
from .support import live

LONG = "A paragraph that makes every answer long enough to be worth compressing. " * 12
PAGES = [
    "/", "/posts/hello", "/posts/hello.md", "/tags/news", "/authors/quill", "/archive",
    "/feed.xml", "/tags/news/atom.xml", "/feed.json", "/llms.txt", "/sitemap.xml",
    "/?utm_source=feed", "/posts/hello?ref=x", "/posts/nope", "/page/1", "/robots.txt",
]  # fmt: skip
ASKS: dict[str, dict[str, str]] = {
    "plain": {},
    "browser": {"Accept-Encoding": "gzip, deflate, br, zstd"},
    "odd q-values": {"Accept-Encoding": "br;q=0.2, gzip;q=0.9, zstd;q=0.5"},
    "q=0 refuses": {"Accept-Encoding": "br;q=0, gzip"},
    "unknown codings": {"Accept-Encoding": "x-foo, compress"},
    "any coding": {"Accept-Encoding": "*"},
    "identity only": {"Accept-Encoding": "identity;q=1, *;q=0"},
    "bad q": {"Accept-Encoding": "br;q=abc"},
    "markdown": {"Accept": "text/markdown", "Accept-Encoding": "br"},
    "markdown q": {"Accept": "text/html;q=0.5, text/markdown;q=0.9"},
    "range": {"Range": "bytes=0-10"},
    "if-match": {"If-Match": "*"},
    "inm star": {"If-None-Match": "*"},
    "inm other": {"If-None-Match": '"nope", W/"other"'},
    "ims future": {"If-Modified-Since": http_date(time.time() + 10**8)},
    "ims past": {"If-Modified-Since": http_date(0)},
}


PASSED = [  # what reaches Flask, where each view now raises (500) or none is routed (405)
    ("GET", "/", {"Authorization": "Bearer x"}, 500),
    ("GET", "/", {"Range": "bytes=0-1"}, 500),
    ("GET", "/", {"If-Match": "*"}, 500),
    ("POST", "/", {}, 405),
    ("GET", "/tags/news", {}, 500),  # not cached yet
]


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    # One host on PostgreSQL too: these tests are about the file version and the hit path.
    return {**settings, "API_WRITE_LIMIT": "10000 per minute", "SINGLE_HOST": True}


@pytest.fixture
def blog(make_post: Any) -> None:
    make_post(title="Hello", slug="hello", tags=["news"], content=LONG)
    make_post(title="Second", slug="second", tags=["news"], content=LONG)
    time.sleep(1.01 - time.time() % 1)  # the newest change's second is over: Last-Modified


@pytest.fixture
def paths(app: Any) -> tuple[Any, Any]:
    """(hit path, full path) clients of one app: through the middleware, and around it."""
    return app.test_client(), Client(app.wsgi_app.inner, TestResponse)


def answer(response: Any) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k != "Date"}
    return response.status_code, headers, response.get_data()


def test_the_hit_path_is_off_without_its_cache(build_app, settings) -> None:
    assert type(build_app(**settings).wsgi_app).__name__ == "HitPath"
    assert type(build_app(**settings, HIT_CACHE_BYTES=0).wsgi_app).__name__ == "method"


@pytest.mark.parametrize("ask", ASKS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_every_answer_is_the_full_paths(paths, blog, ask: str, method: str) -> None:
    hit, full = paths
    for path in PAGES:
        expected = answer(full.open(path, method=method, headers=ASKS[ask]))
        for attempt in ("miss", "hit", "again"):
            got = answer(hit.open(path, method=method, headers=ASKS[ask]))
            assert got == expected, (path, attempt)


@pytest.mark.parametrize("coding", ["identity", "gzip", "br", "zstd"])
def test_a_304_names_the_same_validator_as_the_full_path(paths, blog, coding: str) -> None:
    hit, full = paths
    for path in PAGES[:11]:
        etag = full.get(path, headers={"Accept-Encoding": coding}).headers["ETag"]
        for held in (etag, f'"x", {etag}', etag.removeprefix("W/"), "*"):
            asks = {"Accept-Encoding": coding, "If-None-Match": held}
            expected = answer(full.get(path, headers=asks))
            assert expected[0] == 304
            for _ in range(3):
                assert answer(hit.get(path, headers=asks)) == expected
        modified = full.get(path).headers["Last-Modified"]
        asks = {"Accept-Encoding": coding, "If-Modified-Since": modified}
        assert [answer(hit.get(path, headers=asks)) for _ in range(2)] == [
            answer(full.get(path, headers=asks))
        ] * 2


def test_a_hit_builds_nothing_and_touches_no_database(app, client, blog, monkeypatch) -> None:
    asks = [({}, "/"), ({"Accept-Encoding": "br"}, "/posts/hello"), ({}, "/feed.xml")]
    for headers, path in asks * 2:  # the first request after a write may reach Flask
        client.get(path, headers=headers)
    warm = {path: answer(client.get(path, headers=h)) for h, path in asks}
    etag = warm["/"][1]["ETag"]
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("built or queried on a hit")

    for endpoint in app.view_functions:
        monkeypatch.setitem(app.view_functions, endpoint, refuse)
    monkeypatch.setattr(app.jinja_env, "get_template", refuse)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", refuse)
    try:
        for headers, path in asks:
            assert answer(client.get(path, headers=headers)) == warm[path]
        assert client.get("/", headers={"If-None-Match": etag}).status_code == 304
        # Credentials, a session cookie, a write and a miss reach Flask (whose view now raises).
        client.set_cookie("session", "anything")
        assert client.get("/").status_code == 500
        client.delete_cookie("session")
        for method, path, headers, status in PASSED:
            assert client.open(path, method=method, headers=headers).status_code == status
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", refuse)


def test_every_write_is_read_by_another_process_at_once(build_app, settings, api, blog) -> None:
    """1,000 rounds: publish through 'worker' A, then home, tag page and feed through B."""
    reader = build_app(**settings).test_client()
    stale = []
    for n in range(1000):
        title = f"Round {n}"
        made = api.post(
            "/posts", json={"title": title, "content": "x", "tags": ["news"], "status": "published"}
        )
        assert made.status_code == 201
        for path in ("/", "/tags/news", "/feed.xml"):
            got = reader.get(path, headers={"Accept-Encoding": "br"})
            if title.encode() not in brotli.decompress(got.get_data()):
                stale.append((n, path))
    assert stale == []


KILLED_AFTER_COMMIT = """
import os, signal, sys
from blog.delivery import siteversion
from blog.extensions import db
from blog.models import Author
from blog import posts
from tests.support.factories import app_settings, make_app
from pathlib import Path

folder = Path(sys.argv[1])
app = make_app(folder / "instance", **app_settings(folder, SINGLE_HOST=True))
siteversion.FileVersion.finish = lambda *_: os.kill(os.getpid(), signal.SIGKILL)
with app.app_context():
    author = db.session.query(Author).one()
    posts.create_post(author, {"title": "Written then killed", "content": "x",
                               "status": "published", "tags": ["news"]})
"""


def test_a_writer_killed_between_commit_and_version_never_leaves_a_stale_page(
    app, client, blog, tmp_path
) -> None:
    for _ in range(2):
        assert b"Written then killed" not in client.get("/").data
    assert app.wsgi_app.version.current() is not None  # home is now served from memory
    child = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_COMMIT, str(tmp_path)], cwd=ROOT, check=False
    )
    assert child.returncode == -signal.SIGKILL
    for path in ("/", "/tags/news", "/feed.xml"):
        assert b"Written then killed" in client.get(path).data, path
    assert app.wsgi_app.version.current() is not None  # repaired: hits again, not the database


def test_a_scheduled_post_appears_when_it_comes_due(app, client, make_post) -> None:
    due = datetime.now(UTC) + timedelta(seconds=5)  # after the first reads, even when busy
    make_post(title="Scheduled", slug="scheduled", published_at=due)
    seen = [b"Scheduled" in client.get(path).data for path in ("/", "/feed.xml") * 2]
    assert seen == [False] * 4
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.05)
    assert [b"Scheduled" in client.get(path).data for path in ("/", "/feed.xml")] == [True] * 2
    assert app.wsgi_app.version.current() is not None  # known again: hits, not the database


def test_many_distinct_urls_never_grow_the_caches_past_their_bounds(
    build_app, settings, blog
) -> None:
    bound = 256 * 1024
    app = build_app(**settings, HIT_CACHE_BYTES=bound, RESPONSE_CACHE_BYTES=bound)
    client = app.test_client()
    for n in range(3000):
        path = ("/?utm=%d", "/posts/hello?ref=%d", "/feed.xml?x=%d")[n % 3] % n
        assert client.get(path, headers={"Accept-Encoding": "br"}).status_code == 200
    assert 0 < app.wsgi_app.entries.currsize <= bound
    assert 0 < app.extensions["responses"].lru.currsize <= bound
    # What the caches count is at least what their entries hold: the bound bounds memory.
    for lru in (app.wsgi_app.entries, app.extensions["responses"].lru):
        seen: set[int] = set()
        held = sum(_held(key, seen) + _held(value, seen) for key, value in lru.items())
        assert held <= lru.currsize


def _held(value: Any, seen: set[int]) -> int:
    """Bytes of an object and of the containers and strings it holds, each object once."""
    if id(value) in seen:
        return 0
    seen.add(id(value))
    inner = value if isinstance(value, tuple | list) else ()
    return sys.getsizeof(value) + sum(_held(item, seen) for item in inner)


@pytest.fixture
def own_redis(tmp_path) -> Any:
    """A redis-server of this test's own, on a free port, that the test may kill."""
    port = live.free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(url).ping()
            break
        time.sleep(0.05)
    yield server, url
    server.kill()
    server.wait()


def test_hosts_sharing_a_version_in_redis_read_every_write_and_survive_its_loss(
    build_app, settings, make_token, own_redis
) -> None:
    server, url = own_redis
    shared = {**settings, "SITE_VERSION_URL": url}
    writer, reader = build_app(**shared), build_app(**shared, SITE_VERSION_FILE="")
    api = Api(writer.test_client(), make_token())
    client = reader.test_client()

    def publish_and_read(title: str) -> list[str]:
        made = api.post("/posts", json={"title": title, "content": "x", "status": "published"})
        assert made.status_code == 201
        return [path for path in ("/", "/feed.xml") if title not in _text(client.get(path))]

    assert [publish_and_read(f"Round {n}") for n in range(100)] == [[]] * 100
    assert reader.wsgi_app.version.current() is not None  # a hit path on a version in Redis
    server.kill()
    server.wait()
    assert reader.wsgi_app.version.current() is None
    assert "Round 99" in _text(client.get("/"))  # from the database, not refused
    made = api.post("/posts", json={"title": "Unseen", "content": "x", "status": "published"})
    assert made.status_code >= 500  # a write no other host could learn of is not committed
    assert "Unseen" not in _text(client.get("/"))


def _text(response: Any) -> str:
    return response.get_data(as_text=True)
