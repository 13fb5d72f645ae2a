"""Shared benchmark plumbing: a seeded database, gunicorn on a free port, and wrk."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WRK_ARGS = os.environ.get("BENCH_WRK_ARGS", "-t2 -c32 -d10s").split()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def blog_env(workdir: Path) -> dict[str, str]:
    """Environment for an app whose database and instance folder live in workdir."""
    env = dict(os.environ)
    env.update(
        BLOG_INSTANCE_PATH=str(workdir / "instance"),
        BLOG_DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite'}",
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


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int = 4) -> Iterator[str]:
    """Serve `app` with gunicorn on a free port; yield its base URL."""
    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind"]
    command += [f"127.0.0.1:{port}", "--log-level", "warning", app]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for_port(port: int, timeout: float = 60) -> None:
    """Wait until gunicorn answers HTTP (its master binds the port before workers boot)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port} after {timeout} s")


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
