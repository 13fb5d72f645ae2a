"""Publishes per second through the JSON API, on SQLite under gunicorn, 1 and 8 clients.

Run: .venv/bin/python bench/publish.py [--seconds 5] [--workers 4]
Prints requests/s and p50/p99 latency for GET /api/v1/me (the baseline: auth and JSON, no
write), POST /api/v1/posts, and POST /api/v1/posts with an Idempotency-Key; then each
publish figure as a ratio of the baseline at the same concurrency. Exits 1 on any error.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import requests
from common import live, machine, write_section

from blog.extensions import db
from tests.support.factories import author_with_token, make_app

CONTENT = "\n\n".join(
    f"Paragraph {n}: an agent writes about *rendering once* and `code`, with a "
    f"[link](https://example.com/{n}) and enough words to be a real post." * 3
    for n in range(12)
)
BASELINE = "GET /api/v1/me (baseline)"
# Limits no client reaches: the figures must be the server's, not a wall of 429s.
LIMITS = {"API_WRITE_LIMIT": "1000000 per minute", "API_READ_LIMIT": "1000000 per minute"}


def prepare(folder: Path) -> tuple[str, str]:
    """Create the SQLite database, an author and a token; return (database URL, token)."""
    url = f"sqlite:///{folder / 'bench.sqlite'}"
    app = make_app(folder, SECRET_KEY="bench", DATABASE_URL=url)
    with app.app_context():
        db.create_all()
    author = {"slug": "bench", "name": "Bench"}
    return url, author_with_token(app, author, "bench", timedelta(hours=1))


# One count for every measurement: each title and Idempotency-Key is new, so every request is a
# create (a reused key would be a replay, a reused title a walk past taken slugs).
counter = itertools.count()


def busy_seconds() -> float:
    """Return the CPU time every core of the machine has spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run(clients: int, seconds: float, call) -> tuple[float, list[float], int, float]:
    """Call `call(session, n)` from `clients` threads for `seconds`; return (rate, ms, errors,
    CPU ms a request: the whole machine's, so the client, gunicorn and the sender alike)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal errors
        with requests.Session() as session:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                ok = call(session, next(counter))
                took = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(took)
                    errors += not ok

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began, busy = time.perf_counter(), busy_seconds()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_ms = (busy_seconds() - busy) * 1000 / len(latencies)
    return len(latencies) / (time.perf_counter() - began), latencies, errors, cpu_ms


def floor(folder: Path, samples: int = 200) -> dict[str, float]:
    """Median ms of what a publish cannot skip, in-process: rendering the bench's body
    (markdown-it alone, then the blog's whole render with sanitizing) and one SQLite commit
    of a post-sized row with the blog's PRAGMAs (blog/extensions.py)."""
    from markdown_it import MarkdownIt

    from blog.content import markup
    from blog.extensions import SQLITE_BUSY_TIMEOUT_MS

    def median_ms(work) -> float:
        times = []
        for _ in range(samples):
            began = time.perf_counter()
            work()
            times.append((time.perf_counter() - began) * 1000)
        return statistics.median(times)

    parser = MarkdownIt("commonmark")
    html = markup.render(CONTENT).html
    connection = sqlite3.connect(folder / "floor.sqlite", isolation_level=None)
    try:
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "foreign_keys=ON",
        ):
            connection.execute(f"PRAGMA {pragma}")
        synchronous = ("OFF", "NORMAL", "FULL", "EXTRA")[
            connection.execute("PRAGMA synchronous").fetchone()[0]
        ]
        connection.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, source TEXT, html TEXT)")

        def commit() -> None:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO posts (source, html) VALUES (?, ?)", (CONTENT, html))
            connection.execute("COMMIT")

        return {
            "markdown-it render of the body": median_ms(lambda: parser.render(CONTENT)),
            "the blog's render (markdown-it, Pygments, nh3 twice)": median_ms(
                lambda: markup.render(CONTENT)
            ),
            f"one SQLite commit (WAL, synchronous={synchronous})": median_ms(commit),
        }
    finally:
        connection.close()


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    options = parser.parse_args()
    run_id = uuid.uuid4().hex[:8]
    where = machine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, token = prepare(folder)
        floors = floor(folder)
        server = live.serve(url, folder, options.workers, **LIMITS)
        base = server.url
        auth = {"Authorization": f"Bearer {token}"}

        def me(session: requests.Session, n: int) -> bool:
            return session.get(f"{base}/api/v1/me", headers=auth, timeout=60).status_code == 200

        def publish(session: requests.Session, n: int, keyed: bool = False) -> bool:
            body = {"title": f"Bench {run_id} {n}", "content": CONTENT, "tags": ["bench"]}
            body["status"] = "published"
            headers = {**auth, "Idempotency-Key": f"{run_id}-{n}"} if keyed else auth
            answer = session.post(f"{base}/api/v1/posts", json=body, headers=headers, timeout=60)
            return answer.status_code == 201

        cases = [
            (BASELINE, me),
            ("POST /api/v1/posts", publish),
            ("POST /api/v1/posts + Idempotency-Key", lambda s, n: publish(s, n, keyed=True)),
        ]
        results: dict[tuple[int, str], list[tuple[float, float, float]]] = {}
        failed = 0
        try:
            for n in range(options.rounds):
                print(f"round {n + 1} of {options.rounds} …")
                for clients in (1, 8):
                    for name, call in cases:
                        rate, ms, errors, cpu = run(clients, options.seconds, call)
                        failed += errors
                        figures = (rate, percentile(ms, 50), percentile(ms, 99), cpu)
                        results.setdefault((clients, name), []).append(figures)
        finally:
            server.stop()
    report(results, options, failed, where, floors)
    if failed:
        raise SystemExit(f"{failed} requests failed")


def report(
    results: dict, options: argparse.Namespace, failed: int, where: str, floors: dict[str, float]
) -> None:
    """Print the medians and write docs/performance.md's publish block."""
    lines = [
        f"Measured by `make bench-publish`: {where}; SQLite (WAL), gunicorn {options.workers}"
        f" sync workers, {options.seconds:g} s a measurement, medians of {options.rounds}"
        f" interleaved rounds; {failed} errors. CPU is the whole machine's busy time (client,"
        " gunicorn, sender) over the requests answered.",
        "",
        "| clients | request | req/s | p50 ms | p99 ms | CPU ms a request | vs baseline |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    medians: dict[tuple[int, str], tuple[float, ...]] = {}
    for clients in (1, 8):
        baseline = 0.0
        for (count, name), runs in results.items():
            if count != clients:
                continue
            rate, p50, p99, cpu = (statistics.median(run[i] for run in runs) for i in range(4))
            medians[count, name] = (rate, p50, p99, cpu)
            baseline = baseline or rate
            lines.append(
                f"| {clients} | {name} | {rate:,.1f} | {p50:.1f} | {p99:.1f} | {cpu:.1f}"
                f" | {rate / baseline:.2f} |"
            )
    lines += ["", "The floor, in-process (median of 200):", ""]
    lines += [f"- {name}: {ms:.2f} ms" for name, ms in floors.items()]
    least = sum(list(floors.values())[1:])
    lines.append(f"- the blog's render and one commit: {least:.2f} ms, the least a publish takes")
    lines += ["", *ceiling(medians, least)]
    table = "\n".join(lines)
    print(table)
    write_section("publish", table)


def ceiling(medians: dict[tuple[int, str], tuple[float, ...]], least: float) -> list[str]:
    """What a publish doing nothing but the baseline's round trip, a render and a commit
    would reach here: the bound the targets meet before any of the writer's own work."""
    _, me_p50, _, _ = medians[1, BASELINE]
    _, _, _, me_cpu = medians[8, BASELINE]
    cores = os.cpu_count() or 1
    rate = cores * 1000 / (me_cpu + least)
    return [
        "The ceiling, from this run: a publish costs at least the baseline's authenticated"
        " round trip and the render and commit.",
        "",
        f"- 8 clients: {cores} cores / ({me_cpu:.1f} ms of CPU for `GET /api/v1/me` +"
        f" {least:.2f} ms) = at most **{rate:,.0f} posts/s**, were a publish nothing more",
        f"- 1 client: `GET /api/v1/me`'s p50 {me_p50:.1f} ms + {least:.2f} ms = a p50 of at"
        f" least **{me_p50 + least:.1f} ms**",
    ]


if __name__ == "__main__":
    main()
