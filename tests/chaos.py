"""gunicorn as a process group the tests may kill -9: the master, a worker, or all at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import live


@dataclass
class Server:
    """A running gunicorn: its master process, base URL and log file."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def workers(self) -> list[int]:
        """Return the pids of the master's live children."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if fields[1] == str(self.process.pid) and fields[0] != "Z":
                found.append(int(entry.name))
        return found

    def crash(self) -> None:
        """kill -9 the master and every worker at once, as a power cut would."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def stop(self) -> None:
        """Stop gracefully; kill -9 whatever is left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        self.crash()


def start(
    database_url: str, instance: Path, workers: int, args: tuple[str, ...] = (), **settings: str
) -> Server:
    """Start gunicorn (preloaded app, sync workers) in its own process group on a free port."""
    port = live.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BLOG_DATABASE_URL": database_url,
        "BLOG_INSTANCE_PATH": str(instance),
        "BLOG_SECRET_KEY": "chaos-test",
        "BLOG_BASE_URL": base,
        "BLOG_WEBHOOK_WORKER": "false",
        **{f"BLOG_{name}": value for name, value in settings.items()},
    }
    instance.mkdir(parents=True, exist_ok=True)
    log = instance / f"gunicorn-{port}.log"
    command = [sys.executable, "-m", "gunicorn", "--preload", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", *args, "blog:create_app()"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=live.ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    server = Server(process, base, log)
    try:
        live._wait_until_ready(base, process, log)
    except BaseException:
        server.crash()
        raise
    return server


@contextmanager
def running(
    database_url: str, instance: Path, workers: int, args: tuple[str, ...] = (), **settings: str
) -> Iterator[Server]:
    """Serve for the length of the block; never leave a process behind."""
    server = start(database_url, instance, workers, args, **settings)
    try:
        yield server
    finally:
        server.stop()
