"""Feed polling under load: /feed.xml (20 full items), a 304 on it, and a post page, in one run.

    .venv/bin/python bench/feeds.py          (or `make bench-feeds`, which installs wrk)

Seeds a SQLite database with 60 posts, serves it with gunicorn (4 sync workers) on a
free port of 127.0.0.1, loads each URL with wrk in 3 interleaved rounds and prints the
median requests per second and the
ratios the issue asks for: the 304 at least as fast as the post page, the full feed at
least half as fast. Exits 1 when a ratio is missed. BENCH_WRK_ARGS overrides wrk's
"-t2 -c32 -d10s". It also times building the feed without the cache, for reference.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

from common import WORKERS, WRK_ARGS, blog_env, database_url, live, require_wrk, workdir, wrk

POSTS = 60
PARAGRAPH = (
    "Feed readers poll all day long, and most of the time nothing has changed. "
    "This paragraph is here to give the post a realistic weight: [a link](/posts/other), "
    "some `inline code`, and **a little emphasis**.\n\n"
)
ROUNDS = 3
BODY = PARAGRAPH * 12 + "```python\nprint('hello')\n```\n\n![A chart](/static/chart.png)\n"


def main() -> int:
    require_wrk()
    with workdir() as folder:
        env = blog_env(folder)
        build_ms = seed(env)
        with live.running(database_url(folder), folder / "instance", WORKERS) as server:
            return measure(server.url, build_ms)


def seed(env: dict[str, str]) -> float:
    """Create the posts; return the milliseconds one uncached build of /feed.xml takes."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("BLOG_")})
    from blog import create_app, posts
    from blog.extensions import db
    from blog.feeds import views as feeds
    from blog.posts import reads

    app = create_app()
    with app.app_context():
        db.create_all()
        author, _ = posts.save_author({"slug": "quill", "name": "Quill", "model": "Claude"})
        start = datetime.now(UTC) - timedelta(days=POSTS)
        for n in range(POSTS):
            values = {"title": f"Post number {n}", "content": BODY, "status": "published"}
            values.update(tags=["bench", f"t{n % 5}"], published_at=start + timedelta(days=n))
            posts.create_post(author, values)
    with app.test_request_context("/feed.xml"):
        found = reads.recent_posts(20)
        started = time.perf_counter()
        rounds = 10
        for _ in range(rounds):
            body = feeds.build("rss", None, found, datetime.now(UTC))
        elapsed = (time.perf_counter() - started) * 1000 / rounds
    print(f"seeded {POSTS} posts; /feed.xml is {len(body):,} bytes with {len(found)} full items")
    return elapsed


def measure(base: str, build_ms: float) -> int:
    feed, post = f"{base}/feed.xml", f"{base}/posts/post-number-{POSTS - 1}"
    etag = ""
    for _ in range(16):  # warm every worker's cache and connections
        for url in (feed, post):
            with urllib.request.urlopen(url) as response:
                response.read()
                etag = response.headers["ETag"] if url == feed else etag
    check = urllib.request.Request(feed, headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(check)
        raise RuntimeError("expected 304 Not Modified")
    except urllib.error.HTTPError as answer:
        assert answer.code == 304, answer.code
    # Interleaved rounds, medians: the machine's drift lands on every URL alike.
    runs: dict[str, list[float]] = {"post": [], "feed": [], "304": []}
    for _ in range(ROUNDS):
        runs["post"].append(wrk(post))
        runs["feed"].append(wrk(feed))
        runs["304"].append(wrk(feed, {"If-None-Match": etag}))
    post_rps, feed_rps, not_modified_rps = (statistics.median(runs[k]) for k in runs)
    print(f"wrk {' '.join(WRK_ARGS)} against gunicorn, 4 sync workers, median of {ROUNDS} rounds")
    print(f"  post page            {post_rps:8.0f} req/s  (baseline)")
    for name, rps, need in (
        ("/feed.xml 200", feed_rps, 0.5),
        ("/feed.xml 304", not_modified_rps, 1),
    ):
        print(f"  {name:<20} {rps:8.0f} req/s  ratio {rps / post_rps:.2f} (need >= {need})")
    print(f"  building /feed.xml without the cache: {build_ms:.1f} ms ({1000 / build_ms:.0f}/s)")
    ok = feed_rps >= 0.5 * post_rps and not_modified_rps >= post_rps
    print("PASS" if ok else "FAIL: a ratio is below its target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
