"""Requests/s, p50 and p99 of a 1,000-post blog's pages, against Flask "hello", in one run.

Run with `make bench-pages` (or `.venv/bin/python bench/pages.py [--rounds 3]`). The blog and
the baselines (bare WSGI and Flask "hello") are served by gunicorn with the same settings (4
sync workers) and loaded with wrk (-t2 -c32 -d10s), clients sending `Accept-Encoding: br,
gzip` as browsers do. Rounds interleave: each round measures every endpoint once, the
baselines included, and each figure is the median over rounds. Writes docs/performance.md's
pages block.
"""

from __future__ import annotations

from urllib.request import Request, urlopen

from common import (
    POSTS,
    WORKERS,
    WRK_ARGS,
    Baseline,
    Load,
    load_table,
    machine,
    measure,
    rounds,
    seeded_blog,
    write_section,
)

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
TARGETS = {"post page, br": "≥ 1.0", "home /, br": "≥ 0.9", "tag page, br": "≥ 0.9"}
TARGETS |= {"/feed.xml, gzip": "≥ 0.9", "post page, 304": "≥ 1.0"}


def main() -> None:
    count = rounds()
    where = machine()
    loads: dict[str, list[Load]] = {}
    with seeded_blog() as blog:
        for n in range(count):
            print(f"round {n + 1} of {count} …")
            for name, app in BASELINES.items():
                with blog.running(app=app, gunicorn_config=None) as server:
                    measure(loads, name, server.url + "/")
            with blog.running() as server:
                post = _conditional(server.url, *PAGES["post page, br"])
                pages = {**PAGES, "post page, 304": post}
                for name, (path, headers) in pages.items():
                    measure(loads, name, server.url + path, headers)
    report(loads, count, where)


def _conditional(url: str, path: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    with urlopen(Request(url + path, headers=headers)) as response:
        return path, {**headers, "If-None-Match": response.headers["ETag"]}


def report(loads: dict[str, list[Load]], rounds: int, where: str) -> None:
    """Print the table and write it into docs/performance.md."""
    head = (
        f"Measured by `make bench-pages`: {where}; gunicorn {WORKERS} sync workers, wrk"
        f" `{' '.join(WRK_ARGS)}`, {POSTS} posts, medians of {rounds} interleaved rounds."
    )
    table = load_table(head, loads, Baseline("Flask hello (baseline)", "Flask hello"), TARGETS)
    print(table)
    write_section("pages", table)


if __name__ == "__main__":
    main()
