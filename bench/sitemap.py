"""How long /sitemap.xml takes to build for many posts, against pages measured in the same run.

    .venv/bin/python bench/sitemap.py [POSTS]      (default 20,000 posts, SQLite in a temp dir)

Prints the median time of a full sitemap build, of its 304 answer, of one post part of an index,
and of a home page and /robots.txt as baselines, with the ratios between them.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blog import create_app, posts  # noqa: E402
from blog.extensions import db  # noqa: E402
from blog.models import Post, Tag, post_tags  # noqa: E402
from blog.posts import counts  # noqa: E402


def fill(count: int) -> None:
    """Insert `count` public posts straight into the tables (the writer is not measured here)."""
    author, _ = posts.save_author({"slug": "bench", "name": "Bench", "model": "M"})
    tags = [Tag(slug=f"tag-{n}", name=f"Tag {n}") for n in range(50)]
    db.session.add_all(tags)
    db.session.commit()
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": n + 1,
            "slug": f"post-{n}",
            "title": f"Post {n}",
            "source": "x",
            "html": "<p>x</p>",
            "lang": "zh-Hans" if n % 10 == 1 else "en",
            # every tenth pair is a translation: post-1 translates post-0, and so on
            "translation_of_id": n if n % 10 == 1 else None,
            "status": "published",
            "published_at": start + timedelta(hours=n),
            "updated_at": start + timedelta(hours=n),
            "created_at": start,
            "author_id": author.id,
        }
        for n in range(count)
    ]
    db.session.execute(insert(Post), rows)
    links = [{"post_id": n + 1, "tag_id": tags[n % 50].id} for n in range(count)]
    db.session.execute(insert(post_tags), links)
    counts.recount()  # rows written past the writer: count the authors' and tags' posts once
    db.session.commit()


def median_ms(client, path: str, runs: int, headers: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(path, headers=headers or {})
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code in (200, 304), (path, response.status_code)
    return statistics.median(times)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    folder = Path(tempfile.mkdtemp(prefix="bench-sitemap-"))
    os.environ["BLOG_INSTANCE_PATH"] = str(folder)
    settings = {
        "SECRET_KEY": "bench",
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
        "RESPONSE_CACHE_BYTES": 0,  # measure builds, not the per-process cache of built pages
        "HIT_CACHE_BYTES": 0,  # nor the hit path's replayed answers
    }
    app = create_app(settings)
    with app.app_context():
        db.create_all()
        fill(count)
    client = app.test_client()
    size = len(client.get("/sitemap.xml").data)
    etag = client.get("/sitemap.xml").headers["ETag"]
    full = median_ms(client, "/sitemap.xml", 5)
    fresh = median_ms(client, "/sitemap.xml", 20, {"If-None-Match": etag})
    home = median_ms(client, "/", 20)
    robots = median_ms(client, "/robots.txt", 20)

    indexed = create_app({**settings, "SITEMAP_MAX_URLS": 5_000}).test_client()
    part = median_ms(indexed, "/sitemap-2.xml", 5)  # part 1 is the listings, tags and authors

    print(f"{count} posts, sitemap.xml {size / 1e6:.1f} MB")
    print(f"sitemap.xml full build   {full:8.1f} ms  = {full / home:5.1f} x the home page")
    print(f"sitemap-2.xml (of 5,000) {part:8.1f} ms  = {part / home:5.1f} x the home page")
    print(f"sitemap.xml 304          {fresh:8.2f} ms  = {fresh / robots:5.2f} x robots.txt")
    print(f"home page (baseline)     {home:8.2f} ms")
    print(f"robots.txt (baseline)    {robots:8.2f} ms")


if __name__ == "__main__":
    main()
