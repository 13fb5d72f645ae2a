"""Start-up: gunicorn's start to the first 200 of `/`, at 1,000 and at 100,000 posts.

Run with `make bench-startup` (or `.venv/bin/python bench/startup.py [--sizes 1000,100000]
[--rounds 4]`). Each database is bulk-inserted by bench/scale.py's generator (search index
included); gunicorn (4 sync workers, preloaded, as live.serve starts it) is started and `/`
asked every 10 ms until it answers 200. Each size keeps one instance folder, as a deployment
does: the first start is the first after a deploy (templates compiled), the others are
restarts, whose median is the figure; each round starts every size once. The target: at most
1.5 s at 100,000 posts. Writes docs/performance.md's startup block.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import ROOT, WORKERS, live, machine, workdir, write_section
from scale import fill

from blog import create_app
from blog.extensions import db

TARGET_SECONDS = 1.5


def seed(folder: Path, count: int) -> str:
    url = f"sqlite:///{folder / f'posts-{count}.sqlite'}"
    os.environ["BLOG_INSTANCE_PATH"] = str(folder / "seed")
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        db.create_all()
        fill(count)
        db.session.remove()
        db.engine.dispose()
    return url


def first_200(url: str, instance: Path) -> float:
    """Start gunicorn, return the seconds until `/` answers 200, stop it."""
    port = live.free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "-c", live.HOOKS, "--preload"]
    command += ["--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "blog:create_app()"]
    env = live._environment(url, instance, base, {})
    instance.mkdir(parents=True, exist_ok=True)
    with (instance / "gunicorn.log").open("ab") as log:
        began = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
    server = live.Server(process, base, instance / "gunicorn.log")
    try:
        while time.perf_counter() - began < 60:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {server.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/", timeout=10) as response:
                    if response.status == 200:
                        return time.perf_counter() - began
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.01)
        raise RuntimeError("no 200 within 60 s")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--rounds", type=int, default=4)
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    where = machine()
    times: dict[int, list[float]] = {size: [] for size in sizes}
    with workdir() as folder:
        urls = {}
        for size in sizes:
            began = time.perf_counter()
            urls[size] = seed(folder, size)
            print(f"{size:,} posts inserted and indexed in {time.perf_counter() - began:.0f} s")
        for n in range(options.rounds):
            for size in sizes:
                times[size].append(first_200(urls[size], folder / f"instance-{size}"))
                print(f"round {n + 1}: {size:,} posts, {times[size][-1]:.2f} s")
    report(times, options.rounds, where)


def report(times: dict[int, list[float]], rounds: int, where: str) -> None:
    """Print the table and write it into docs/performance.md; exit 1 past the target."""
    medians = {size: statistics.median(found[1:] or found) for size, found in times.items()}
    smallest = medians[min(medians)]
    lines = [
        f"Measured by `make bench-startup`: {where}; gunicorn {WORKERS} sync workers"
        f" (preloaded), SQLite; a restart is the median of {max(1, rounds - 1)}.",
        "",
        "| posts | first start, s | restart to first 200 of /, s | vs the smallest | target |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, seconds in medians.items():
        lines.append(
            f"| {size:,} | {times[size][0]:.2f} | {seconds:.2f} | {seconds / smallest:.2f}"
            f" | ≤ {TARGET_SECONDS} |"
        )
    table = "\n".join(lines)
    print(table)
    write_section("startup", table)
    if max(medians.values()) > TARGET_SECONDS:
        raise SystemExit(f"FAIL: start-up past {TARGET_SECONDS} s")


if __name__ == "__main__":
    main()
