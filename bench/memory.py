"""A worker's memory after 10,000 requests over 1,000 pages, then 100,000 distinct URLs.

Run with `make bench-memory` (or `.venv/bin/python bench/memory.py [--posts 1000]
[--requests 10000] [--distinct 100000]`). gunicorn serves with the default settings (the
caches' bounds included), 4 sync workers, a 1,000-post blog bulk-inserted by
bench/scale.py's generator; 8 client threads ask for every post page in turn, cycling
through `Accept-Encoding: br, gzip`, `gzip` and none, so the caches hold every coding;
then for 100,000 distinct URLs (post pages with a query string the page ignores, so each
is a miss that both caches store). Each worker's RSS (and PSS, its share of the pages it
shares with the others) is read from /proc after start and after each stage, against the
100 MB bound and against a worker of Flask "hello" (bench/hello_app.py) measured in the
same run. Writes docs/performance.md's memory block; exits 1 past the bound.
"""

from __future__ import annotations

import argparse
import itertools
import os
import threading
import urllib.request
from pathlib import Path

from common import WORKERS, database_url, live, machine, workdir, write_section
from scale import fill

from blog import create_app
from blog.extensions import db

BOUND_MB = 100.0
CLIENTS = 8
CODINGS = ("br, gzip", "gzip", "")


def seed(folder: Path, count: int) -> None:
    os.environ["BLOG_INSTANCE_PATH"] = str(folder / "instance")
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": database_url(folder)})
    with app.app_context():
        db.create_all()
        fill(count)
        db.session.remove()
        db.engine.dispose()


def memory(pid: int) -> tuple[float, float]:
    """Return (RSS, PSS) of a process in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            found[name] = int(rest.split()[0]) / 1024
    return found["Rss"], found["Pss"]


def load(url: str, paths: list[str], total: int) -> None:
    """Send `total` GETs over `paths` from CLIENTS threads; raise on any status but 200."""
    numbers = itertools.count()
    failures: list[str] = []

    def client() -> None:
        while (n := next(numbers)) < total and not failures:
            coding = CODINGS[(n // len(paths)) % len(CODINGS)]
            request = urllib.request.Request(url + paths[n % len(paths)])
            if coding:
                request.add_header("Accept-Encoding", coding)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
            except OSError as error:
                failures.append(f"{request.full_url}: {error}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])


def snapshot(server: live.Server) -> list[tuple[float, float]]:
    return sorted((memory(pid) for pid in server.workers()), reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--distinct", type=int, default=100_000, help="URLs, each asked once")
    options = parser.parse_args()
    where = machine()
    paths = [f"/posts/post-{n}" for n in range(options.posts)]
    with workdir() as folder:
        print(f"seeding {options.posts:,} posts …")
        seed(folder, options.posts)
        served = (database_url(folder), folder / "instance", WORKERS)
        with live.running(*served, app="bench.hello_app:app", gunicorn_config=None) as server:
            load(server.url, ["/"], options.requests)
            hello = snapshot(server)
        stages = {}
        with live.running(*served) as server:
            stages["after start"] = snapshot(server)
            load(server.url, paths, len(paths))
            stages[f"after {len(paths):,} requests"] = snapshot(server)
            load(server.url, paths, options.requests)
            stages[f"after {options.requests:,} more"] = snapshot(server)
            # Every URL new to both caches (a query string the page ignores): a miss each,
            # stored each, so only the caches' bounds keep a worker from growing with them.
            fresh = [f"/posts/post-{n % options.posts}?utm={n}" for n in range(options.distinct)]
            load(server.url, fresh, len(fresh))
            stages[f"after {options.distinct:,} distinct URLs more"] = snapshot(server)
    report(hello, stages, options, where)


def report(
    hello: list[tuple[float, float]],
    stages: dict[str, list[tuple[float, float]]],
    options: argparse.Namespace,
    where: str,
) -> None:
    """Print the table and write it into docs/performance.md; exit 1 past the bound."""
    base = max(rss for rss, _ in hello)
    lines = [
        f"Measured by `make bench-memory`: {where}; gunicorn {WORKERS} sync workers (preloaded),"
        f" default settings, {options.posts:,} posts, {options.requests:,} requests over"
        f" {options.posts:,} distinct post pages (codings br, gzip and none in turn), then"
        f" {options.distinct:,} distinct URLs (post pages with a query string each, br).",
        "",
        "| worker | largest RSS MB | PSS MB | vs Flask hello RSS | bound |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| Flask hello, after {options.requests:,} requests (baseline)"
        f" | {base:.1f} | {max(p for _, p in hello):.1f} | 1.00 | |",
    ]
    for name, workers in stages.items():
        rss, pss = workers[0]
        lines.append(
            f"| blog, {name} | {rss:.1f} | {pss:.1f} | {rss / base:.2f} | ≤ {BOUND_MB:.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    write_section("memory", table)
    final = list(stages.values())[-1]
    if final[0][0] > BOUND_MB:
        raise SystemExit(f"FAIL: a worker holds {final[0][0]:.1f} MB, past {BOUND_MB:.0f} MB")


if __name__ == "__main__":
    main()
