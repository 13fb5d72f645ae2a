"""Servers a test owns: a redis-server it may stop, an nginx in front of a live gunicorn."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .live import free_port

SHARED_REDIS = ("127.0.0.1", 6379)
SHARED_REDIS_DB = 8  # this project's tests' own database on the shared server
READY_SECONDS = 20


def shared_redis_url() -> str:
    """The shared Redis's test database; each caller keeps its keys apart with a prefix."""
    return f"redis://{SHARED_REDIS[0]}:{SHARED_REDIS[1]}/{SHARED_REDIS_DB}"


def shared_redis_answers() -> bool:
    try:
        with socket.create_connection(SHARED_REDIS, timeout=1):
            return True
    except OSError:
        return False


def key_prefix_config(*instances: Path) -> None:
    """Give the instances one new rate-limit key prefix, apart from other runs on a shared Redis."""
    prefix = f"test-{uuid.uuid4().hex}"
    for instance in instances:
        instance.mkdir(parents=True, exist_ok=True)
        (instance / "config.py").write_text(f"RATELIMIT_KEY_PREFIX = {prefix!r}\n")


@dataclass
class RedisServer:
    """A redis-server of the test's own on a free port, without persistence."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it accepts connections."""
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        _wait_for_port(self.port)

    def kill(self) -> None:
        """kill -9: connections are refused from now on."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def freeze(self) -> None:
        """SIGSTOP: it still accepts connections but never answers, as a wedged host would."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """Run a redis-server for the block; never leave it behind (frozen or not)."""
    server = RedisServer(free_port())
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.thaw()
        server.kill()


def nginx_available() -> bool:
    return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()


@contextmanager
def nginx(folder: Path, server_block: str) -> Iterator[str]:
    """Run nginx (as root, in the foreground) with `server_block` in a minimal main config.

    Every path nginx writes (pid, logs, temporary files) is in `folder`. Yield its base URL.
    """
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = folder / "nginx.conf"
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    config.write_text(
        f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} info;\n"
        "worker_processes 1;\nevents { worker_connections 256; }\nhttp {\n"
        f"  access_log {folder / 'access.log'};\n"
        f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
        f"  scgi_temp_path {temp['scgi']};\n"
        + server_block.replace("listen 80;", f"listen 127.0.0.1:{port};")
        + "\n}\n"
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    test = subprocess.run([binary, "-t", "-c", str(config)], capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    command = [binary, "-c", str(config), "-g", "daemon off;"]
    with (folder / "stderr.log").open("ab") as stderr:
        process = subprocess.Popen(command, start_new_session=True, stderr=stderr)
    try:
        _wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")
