"""Page and search times at 100,000 posts against the same figures at 1,000, in-process.

    .venv/bin/python bench/scale.py [BIG] [SMALL]     (defaults 100,000 and 1,000)

Posts are bulk-inserted (not through the writer) and the search index is built with
`search.rebuild`; the response cache and the hit path are off (RESPONSE_CACHE_BYTES and
HIT_CACHE_BYTES 0), so every request builds its page. SQLite in a temporary folder always;
PostgreSQL too when BENCH_POSTGRES_URL names a database this may empty. Prints p50 and p99
of each path at both sizes and their ratio; the targets: no ratio above 2, search p99 at most 50 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blog import create_app, posts, search  # noqa: E402
from blog.extensions import db  # noqa: E402
from blog.models import Author, Post, Tag, post_tags  # noqa: E402
from blog.posts import counts, memo  # noqa: E402

SAMPLES = int(os.environ.get("BENCH_SAMPLES", "100"))
AUTHORS, TAGS, YEARS, BATCH = 20, 200, 10, 5_000
START = datetime(2016, 1, 1, tzinfo=UTC)
WORDS = (
    "measure page number moved direction expect change cause write test cache index "
    "query result server client request memory latency signal garden river window "
    "winter summer morning evening planet orbit engine wheel bridge tunnel harbour "
    "market letter story reader author system model agent token budget table column"
).split()
RARE = "lighthouse"  # in one post of fifty
HAN = "今天我们讨论系统设计缓存索引查询结果服务器客户端请求内存延迟信号花园河流窗户冬天夏天早晨晚上"
RARE_HAN = "天气"  # in one Chinese post of five (a tenth of the posts are Chinese)


def _body(rng: random.Random, n: int) -> tuple[str, str]:
    if n % 10 == 3:
        chars = "".join(rng.choice(HAN) for _ in range(160))
        if n % 50 == 3:
            chars = chars[:80] + RARE_HAN + chars[80:]
        return "zh", chars
    words = [rng.choice(WORDS) for _ in range(120)]
    if n % 50 == 0:
        words[rng.randrange(120)] = RARE
    return "en", " ".join(words).capitalize() + "."


def _post_row(rng: random.Random, n: int, count: int) -> dict[str, Any]:
    lang, body = _body(rng, n)
    moment = START + timedelta(seconds=n * (YEARS * 365 * 86400 // count))
    return {
        "id": n + 1, "slug": f"post-{n}", "title": f"Post {n}: {body[:40]}", "source": body,
        "html": f"<p>{body}</p>", "excerpt": body[:200], "summary": "", "lang": lang,
        "direction": "ltr", "status": "published", "featured": n == 7,
        "published_at": moment, "updated_at": moment, "created_at": moment,
        "word_count": 120, "cjk_count": 160 if lang == "zh" else 0, "image_count": 0,
        "reading_minutes": 1, "disclosure": "ai-generated", "canonical_url": "",
        "translation_of_id": None, "author_id": n % AUTHORS + 1,
    }  # fmt: skip


def fill(count: int) -> None:
    """Insert `count` public posts, their authors and tags, then build the search index."""
    rng = random.Random(17)
    db.session.execute(
        insert(Author),
        [{"id": a + 1, "slug": f"agent-{a}", "name": f"Agent {a}", "bio": "", "model": "M",
          "provider": "", "operator": "", "operator_url": "", "avatar_url": "",
          "created_at": START, "updated_at": START} for a in range(AUTHORS)],
    )  # fmt: skip
    db.session.execute(
        insert(Tag), [{"id": t + 1, "slug": f"tag-{t}", "name": f"Tag {t}"} for t in range(TAGS)]
    )
    for first in range(0, count, BATCH):
        numbers = range(first, min(first + BATCH, count))
        db.session.execute(insert(Post), [_post_row(rng, n, count) for n in numbers])
        links = {(n + 1, (n * k) % TAGS + 1) for n in numbers for k in (1, 7, 31)}
        db.session.execute(insert(post_tags), [{"post_id": p, "tag_id": t} for p, t in links])
    counts.recount()  # rows written past the writer: count the authors' and tags' posts once
    connection = db.session.connection()
    search.rebuild(connection)
    middle = count // 2
    found = db.session.get(Post, middle + 1)
    search.refresh_related(connection, found.id, found.title, [t.name for t in found.tags])
    db.session.commit()


def analyze(url: str) -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE" if url.startswith("sqlite") else "VACUUM ANALYZE"))


def paths(count: int) -> list[tuple[str, str]]:
    """Return (name, path) of what is measured; page 500 is page 50 at a small size."""
    page = 500 if count // 10 >= 500 else 50
    year = START.year + YEARS // 2
    return [
        ("home /", "/"),
        ("home page 500 (50 at 1k)", f"/page/{page}"),
        ("tag page", "/tags/tag-1"),
        ("author page", "/authors/agent-1"),
        ("tag index /tags/", "/tags/"),
        ("tag index" + COLD, "/tags/"),
        ("home page 500" + COLD, f"/page/{page}"),
        (f"/archive/{year}", f"/archive/{year}"),
        ("post page", f"/posts/post-{count // 2}"),
        ("feed /feed.xml", "/feed.xml"),
        (f"search '{RARE}'", f"/search?q={RARE}"),
        (f"search '{RARE_HAN}'", f"/search?q={RARE_HAN}"),
    ]


COLD = " (first after a write)"


def timings(client: Any, name: str, path: str) -> tuple[float, float]:
    """Return p50 and p99 in ms of SAMPLES requests of `path` (after three warm ones)."""
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(SAMPLES):
        if name.endswith(COLD):
            memo._memos.clear()  # what a write does: counts are computed again
        began = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - began) * 1000)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[98]


def measure(url: str, count: int) -> dict[str, tuple[float, float]]:
    """Fill a fresh database at `url` with `count` posts and time every path."""
    settings = {"SECRET_KEY": "bench", "DATABASE_URL": url, "RESPONSE_CACHE_BYTES": 0}
    settings["HIT_CACHE_BYTES"] = 0  # nor the replayed answers of the hit path
    app = create_app(settings)
    with app.app_context():
        db.drop_all()
        db.create_all()
        began = time.perf_counter()
        fill(count)
        print(f"  {count:,} posts inserted and indexed in {time.perf_counter() - began:.0f} s")
        analyze(url)
        hits = [len(posts.finding.find(q, 100)) for q in (RARE, RARE_HAN)]
        print(f"  first-page hits (of at most 100): {RARE} {hits[0]}, {RARE_HAN} {hits[1]}")
    client = app.test_client()
    return {name: timings(client, name, path) for name, path in paths(count)}


def report(title: str, small: int, big: int, url: str) -> list[str]:
    print(f"{title}: {small:,} posts …")
    low = measure(url, small)
    print(f"{title}: {big:,} posts …")
    high = measure(url, big)
    lines = [
        f"| {title} | {small:,} p50 | p99 | {big:,} p50 | p99 | ratio p50 | ratio p99 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (name, (a50, a99)), (b50, b99) in zip(low.items(), high.values(), strict=True):
        lines.append(
            f"| {name} | {a50:.1f} | {a99:.1f} | {b50:.1f} | {b99:.1f}"
            f" | {b50 / a50:.2f} | {b99 / a99:.2f} |"
        )
    return lines


def main() -> None:
    big = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    small = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    os.environ["BLOG_INSTANCE_PATH"] = str(folder)
    tables = report("SQLite", small, big, f"sqlite:///{folder / 'scale.sqlite'}")
    if pg := os.environ.get("BENCH_POSTGRES_URL"):
        tables += ["", *report("PostgreSQL", small, big, pg)]
    print("\ntimes in ms, in-process, response cache off\n")
    print("\n".join(tables))


if __name__ == "__main__":
    main()
