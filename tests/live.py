"""Run the blog under a real gunicorn on 127.0.0.1 for tests that need real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_ATTEMPTS = 150  # 0.1 s apart: gunicorn and its workers import the app first


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, instance: Path, workers: int = 3, **settings: str) -> Iterator[str]:
    """Serve the app on a free port with `workers` sync workers; yield its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BLOG_DATABASE_URL": database_url,
        "BLOG_INSTANCE_PATH": str(instance),
        "BLOG_SECRET_KEY": "live-test",
        "BLOG_BASE_URL": base,
        **{f"BLOG_{name}": value for name, value in settings.items()},
    }
    instance.mkdir(parents=True, exist_ok=True)
    log = open(instance / "gunicorn.log", "wb")
    command = [sys.executable, "-m", "gunicorn", "--preload", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--timeout", "60", "blog:create_app()"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        _wait_until_ready(base, server, instance / "gunicorn.log")
        yield base
    finally:
        server.send_signal(signal.SIGINT)  # quick shutdown: nothing here needs a graceful one
        server.wait(timeout=30)
        log.close()


def _wait_until_ready(base: str, server: subprocess.Popen, log: Path) -> None:
    for _ in range(READY_ATTEMPTS):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/openapi.json", timeout=5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer:\n{log.read_text()}")
