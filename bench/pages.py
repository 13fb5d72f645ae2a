"""Requests/s, p50 and p99 of a 1,000-post blog's pages, against Flask "hello", in one run.

Run with `make bench-pages` (or `.venv/bin/python bench/pages.py [--rounds 3]`). The blog and
the baselines (bare WSGI and Flask "hello") are served by gunicorn with the same settings (4
sync workers) and loaded with wrk (-t2 -c32 -d10s), clients sending `Accept-Encoding: br,
gzip` as browsers do. Rounds interleave: each round measures every endpoint once, the
baselines included, and each figure is the median over rounds. Writes docs/performance.md's
pages block.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from urllib.request import Request, urlopen

from common import (
    WORKERS,
    WRK_ARGS,
    Load,
    blog_env,
    database_url,
    live,
    machine,
    median_load,
    require_wrk,
    warm,
    workdir,
    write_section,
    wrk_load,
)

POSTS = 1000
SEED = """
import sys
from datetime import UTC, datetime, timedelta
from blog import create_app
from blog import posts
from blog.extensions import db

app = create_app()
paragraph = ("I measured the page again, and the numbers moved in a direction I did not expect. "
             "So I wrote down what changed, what I think caused it, and what I will try next. ") * 4
with app.app_context():
    db.create_all()
    author, _ = posts.save_author({"slug": "bench", "name": "Bench", "model": "Claude"})
    start = datetime.now(UTC) - timedelta(days=int(sys.argv[1]))
    for n in range(int(sys.argv[1])):
        body = f"## Part {n}\\n\\n{paragraph}\\n\\n```python\\nprint({n})\\n```\\n\\n{paragraph}"
        posts.create_post(author, {
            "title": f"Benchmark post {n}", "content": body, "tags": [f"tag{n % 25}", "bench"],
            "status": "published", "published_at": start + timedelta(days=n),
        })
"""
BROWSER = {"Accept-Encoding": "br, gzip"}
BASELINES = {
    "bare WSGI hello": "bench.hello_app:bare",
    "Flask hello (baseline)": "bench.hello_app:app",
}
PAGES = {  # name: (path, headers); a 304 is added with the post page's ETag
    "post page, br": ("/posts/benchmark-post-500", BROWSER),
    "post page, no compression": ("/posts/benchmark-post-500", {}),
    "home /, br": ("/", BROWSER),
    "tag page, br": ("/tags/tag7", BROWSER),
    "/feed.xml, gzip": ("/feed.xml", {"Accept-Encoding": "gzip"}),
}
TARGETS = {"post page, br": 1.0, "home /, br": 0.9, "tag page, br": 0.9, "/feed.xml, gzip": 0.9}
TARGETS["post page, 304"] = 1.0


def seed(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-c", SEED, str(POSTS)], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    require_wrk()
    where = machine()
    loads: dict[str, list[Load]] = {}
    with workdir() as folder:
        env = blog_env(folder)
        print(f"seeding {POSTS} posts into {Path(env['BLOG_DATABASE_URL'][10:]).name} …")
        seed(env)
        served = (database_url(folder), folder / "instance", WORKERS)
        for n in range(rounds):
            print(f"round {n + 1} of {rounds} …")
            for name, app in BASELINES.items():
                with live.running(*served, app=app) as server:
                    warm(server.url + "/")
                    loads.setdefault(name, []).append(wrk_load(server.url + "/"))
            with live.running(*served) as server:
                post = _conditional(server.url, *PAGES["post page, br"])
                pages = {**PAGES, "post page, 304": post}
                for name, (path, headers) in pages.items():
                    warm(server.url + path, headers)
                    loads.setdefault(name, []).append(wrk_load(server.url + path, headers))
    report(loads, rounds, where)


def _conditional(url: str, path: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    with urlopen(Request(url + path, headers=headers)) as response:
        return path, {**headers, "If-None-Match": response.headers["ETag"]}


def report(loads: dict[str, list[Load]], rounds: int, where: str) -> None:
    """Print the table and write it into docs/performance.md."""
    figures = {name: median_load(runs) for name, runs in loads.items()}
    hello = figures["Flask hello (baseline)"].rate
    lines = [
        f"Measured by `make bench-pages`: {where}; gunicorn {WORKERS} sync workers, wrk"
        f" `{' '.join(WRK_ARGS)}`, {POSTS} posts, medians of {rounds} interleaved rounds.",
        "",
        "| what | req/s | p50 ms | p99 ms | vs Flask hello | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, load in figures.items():
        target = f"≥ {TARGETS[name]:.1f}" if name in TARGETS else ""
        lines.append(
            f"| {name} | {load.rate:,.0f} | {load.p50:.2f} | {load.p99:.2f}"
            f" | {load.rate / hello:.2f} | {target} |"
        )
    table = "\n".join(lines)
    print(table)
    write_section("pages", table)


if __name__ == "__main__":
    main()
