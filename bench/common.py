"""Shared benchmark plumbing: the repo's test helpers (gunicorn among them), a work folder, wrk.

A script runs as `python bench/x.py` from the repo root: importing this puts the root on
sys.path, so that `live` (tests/support/live.py) is the same gunicorn starter the tests use.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import live  # noqa: E402

__all__ = ["POSTS", "ROOT", "WORKERS", "WRK_ARGS", "live"]
WRK_ARGS = os.environ.get("BENCH_WRK_ARGS", "-t2 -c32 -d10s").split()
WORKERS = 4  # gunicorn sync workers, for the blog and for its baseline alike
Headers = dict[str, str] | None


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


def database_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'bench.sqlite'}"


def blog_env(workdir: Path) -> dict[str, str]:
    """Environment for an app whose database and instance folder live in workdir."""
    env = dict(os.environ)
    env.update(
        BLOG_INSTANCE_PATH=str(workdir / "instance"),
        BLOG_DATABASE_URL=database_url(workdir),
        BLOG_SECRET_KEY="bench",
        PYTHONPATH=str(ROOT),
    )
    return env


@contextmanager
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="agentblog-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class Blog:
    """The benchmark blog in a work folder: POSTS posts, served by `running`."""

    folder: Path

    def running(self, **options: Any) -> AbstractContextManager[live.Server]:
        """Serve it with WORKERS sync workers (options as live.running takes them)."""
        return live.running(database_url(self.folder), self.folder / "instance", WORKERS, **options)


@contextmanager
def seeded_blog() -> Iterator[Blog]:
    """Make a work folder and write POSTS posts into its database, through the writer."""
    with workdir() as folder:
        env = blog_env(folder)
        print(f"seeding {POSTS} posts into {Path(env['BLOG_DATABASE_URL'][10:]).name} …")
        subprocess.run([sys.executable, "-c", SEED, str(POSTS)], env=env, check=True)
        yield Blog(folder)


def measure(loads: dict[str, list[Load]], name: str, url: str, headers: Headers = None) -> None:
    """Warm url, load it once with wrk, and add what it measured to loads[name]."""
    warm(url, headers)
    loads.setdefault(name, []).append(wrk_load(url, headers))


def warm(url: str, headers: dict[str, str] | None = None) -> None:
    """Load url for a few seconds so every worker has imported, compiled and cached it."""
    wrk(url, headers, args=["-t2", "-c8", "-d3s"])


@dataclass(frozen=True)
class Load:
    """What one wrk run measured: requests per second and latency percentiles in ms."""

    rate: float
    p50: float
    p99: float


def wrk(url: str, headers: dict[str, str] | None = None, args: list[str] | None = None) -> float:
    """Run wrk against url and return requests per second; fail on any non-2xx/3xx."""
    return wrk_load(url, headers, args).rate


def wrk_load(
    url: str, headers: dict[str, str] | None = None, args: list[str] | None = None
) -> Load:
    """Run wrk against url and return its rate and latencies; fail on any non-2xx/3xx."""
    command = ["wrk", *(args or WRK_ARGS), "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"errors while loading {url}:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return Load(float(match.group(1)), latency_ms(output, "50"), latency_ms(output, "99"))


def latency_ms(output: str, which: str) -> float:
    """Read one percentile ("50", "99") of wrk's `--latency` distribution, in ms."""
    found = re.search(rf"^\s+{which}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if found is None:
        return float("nan")
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


def median_load(loads: list[Load]) -> Load:
    """Return the median of each figure over rounds."""
    return Load(*(statistics.median(getattr(x, f) for x in loads) for f in ("rate", "p50", "p99")))


def machine() -> str:
    """Describe this machine in one line: cores, memory, Python, load average."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()},"
        f" load average {load} at the start, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def write_section(name: str, text: str) -> None:
    """Replace the block between `<!-- bench:name -->` markers in docs/performance.md."""
    path = ROOT / "docs" / "performance.md"
    doc = path.read_text()
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    if start not in doc:
        doc += f"\n{start}\n{end}\n"
    head, rest = doc.split(start, 1)
    path.write_text(f"{head}{start}\n{text.strip()}\n{end}{rest.split(end, 1)[1]}")


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench` installs it from apt (or: apt-get install wrk)")


def rounds() -> int:
    """Read `--rounds N` (3 by default) from the command line; exit if wrk is missing."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    count = parser.parse_args().rounds
    require_wrk()
    return count


@dataclass(frozen=True)
class Baseline:
    """The row a table's ratios divide by, and what its column calls it."""

    row: str
    label: str


def load_table(
    head: str, loads: dict[str, list[Load]], baseline: Baseline, targets: dict[str, str]
) -> str:
    """Return head over a table of each load's medians, its rate against the baseline's.

    `targets` gives a row's target column ("≥ 0.9"); rows keep the order of `loads`.
    """
    figures = {name: median_load(runs) for name, runs in loads.items()}
    base, label = figures[baseline.row].rate, baseline.label
    lines = [
        head,
        "",
        f"| what | req/s | p50 ms | p99 ms | vs {label} | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, load in figures.items():
        lines.append(
            f"| {name} | {load.rate:,.0f} | {load.p50:.2f} | {load.p99:.2f}"
            f" | {load.rate / base:.2f} | {targets.get(name, '')} |"
        )
    return "\n".join(lines)
