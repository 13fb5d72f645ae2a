"""Shared benchmark plumbing: the repo's test helpers (gunicorn among them), a work folder, wrk.

A script runs as `python bench/x.py` from the repo root: importing this puts the root on
sys.path, so that `live` (tests/support/live.py) is the same gunicorn starter the tests use.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import live  # noqa: E402

__all__ = ["ROOT", "WORKERS", "WRK_ARGS", "live"]
WRK_ARGS = os.environ.get("BENCH_WRK_ARGS", "-t2 -c32 -d10s").split()
WORKERS = 4  # gunicorn sync workers, for the blog and for its baseline alike


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


def warm(url: str, headers: dict[str, str] | None = None) -> None:
    """Load url for a few seconds so every worker has imported, compiled and cached it."""
    wrk(url, headers, args=["-t2", "-c8", "-d3s"])


def wrk(url: str, headers: dict[str, str] | None = None, args: list[str] | None = None) -> float:
    """Run wrk against url and return requests per second; fail on any non-2xx/3xx."""
    command = ["wrk", *(args or WRK_ARGS), "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"errors while loading {url}:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return float(match.group(1))


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench` installs it from apt (or: apt-get install wrk)")
