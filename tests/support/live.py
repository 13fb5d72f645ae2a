"""A real gunicorn on 127.0.0.1 for the tests and the benchmarks, started one way: `serve`.

It runs as a process group that a test may kill -9 (the master, a worker, or all at once).
Built on it: the sample site in tests/site/ for the browser tests, and a fresh blog with one
author and an all-scopes token for tests that need real HTTP.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from blog import posts
from blog.extensions import db
from blog.formats.frontmatter import parse_authors, parse_post

from .factories import TEST_DATABASE_URL, author_with_token, make_app

ROOT = Path(__file__).resolve().parents[2]
HOOKS = "python:blog.serving"  # gunicorn's hooks for the blog, as `make serve` runs it
SITE = ROOT / "tests" / "site"
# Ports Chromium refuses to open (net/base/port_util.cc): ERR_UNSAFE_PORT.
UNSAFE_PORTS = {
    1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101,
    102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389,
    427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636,
    989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
    6665, 6666, 6667, 6668, 6669, 6697, 10080,
}  # fmt: skip
POSTS_PER_PAGE = 5  # the sample site's, so that its few posts still make two pages
READY_SECONDS = 60  # gunicorn and its workers import the app first
ATTEMPTS = 3  # another process may take the free port before gunicorn binds it


def free_port() -> int:
    """Ask the OS for a free port on 127.0.0.1 that Chromium agrees to open."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in UNSAFE_PORTS:
            return port


@dataclass
class Server:
    """A running gunicorn: its master process, base URL and log file."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def get(self, path: str) -> tuple[int, bytes]:
        """Fetch a path as a plain client would; return (status, body)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

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


def serve(
    database_url: str,
    instance: Path,
    workers: int = 2,
    *,
    timeout: int = 60,
    app: str = "blog:create_app()",
    gunicorn_config: Path | str | None = HOOKS,
    preload: bool = True,
    **settings: str,
) -> Server:
    """Start gunicorn (sync workers; the app preloaded unless `preload` is False) on a free
    port, in its own process group.

    Each setting becomes BLOG_<NAME>, in an environment without the caller's BLOG_ variables;
    the log, instance/gunicorn.log, is appended to by a restart in the same folder. The
    gunicorn_config (-c: a file, or HOOKS as `make serve` has them; None for an app that is
    not the blog) gives the rest; the arguments here override its bind and workers.
    """
    instance.mkdir(parents=True, exist_ok=True)
    log = instance / "gunicorn.log"
    for _ in range(ATTEMPTS):
        url = f"http://127.0.0.1:{free_port()}"
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
        command += ["--preload"] if preload else []
        command += ["-c", str(gunicorn_config)] if gunicorn_config else []
        command += ["--timeout", str(timeout), "--bind", url.removeprefix("http://"), app]
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=_environment(database_url, instance, url, settings),
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        server = Server(process, url, log)
        if _answers(server):
            return server
        server.crash()  # it exited: most likely another process took the port first
    raise RuntimeError(f"gunicorn did not start; see {log}:\n{log.read_text()[-3000:]}")


@contextmanager
def running(
    database_url: str, instance: Path, workers: int = 2, **options: Any
) -> Iterator[Server]:
    """Serve (as `serve` does) for the length of the block; never leave a process behind."""
    server = serve(database_url, instance, workers, **options)
    try:
        yield server
    finally:
        server.stop()


def _environment(
    database_url: str, instance: Path, url: str, settings: dict[str, str]
) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("BLOG_")}
    env.update(
        BLOG_DATABASE_URL=database_url,
        BLOG_INSTANCE_PATH=str(instance),
        BLOG_SECRET_KEY="live-test",
        BLOG_BASE_URL=url,
    )
    env.update({f"BLOG_{name}": value for name, value in settings.items()})
    return env


def _answers(server: Server) -> bool:
    """Wait until gunicorn answers HTTP (any status); False if it exited first."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{server.url}/openapi.json", timeout=5):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.1)
    server.crash()
    raise RuntimeError(f"gunicorn did not answer:\n{server.log.read_text()[-3000:]}")


@contextmanager
def sample_site(folder: Path) -> Iterator[Server]:
    """Import tests/site/ into a SQLite database in folder and serve it."""
    database_url, instance = f"sqlite:///{folder / 'site.sqlite'}", folder / "instance"
    app = make_app(instance, DATABASE_URL=database_url, SECRET_KEY="browser-tests")
    with app.app_context():
        db.create_all()
        authors = {}
        for fields in parse_authors((SITE / "authors.yaml").read_text(encoding="utf-8")):
            authors[fields["slug"]], _ = posts.save_author(fields)
        for path in sorted(SITE.glob("*.md")):
            post_file = parse_post(path.read_text(encoding="utf-8"), str(path))
            posts.import_post(post_file, authors[post_file.fields["author"]])
        db.engine.dispose()
    with running(database_url, instance, POSTS_PER_PAGE=str(POSTS_PER_PAGE)) as server:
        yield server


@contextmanager
def served_blog(
    folder: Path, author: dict[str, str], workers: int = 2, **settings: str
) -> Iterator[tuple[Flask, str, str]]:
    """Serve a fresh database (the test database, or SQLite in folder) with one author.

    Yield (app, base URL, a token with every scope); drop the tables afterwards.
    """
    url = TEST_DATABASE_URL or f"sqlite:///{folder / 'blog.sqlite'}"
    app = make_app(folder / "instance", SECRET_KEY="live-test", DATABASE_URL=url)
    with app.app_context():
        db.drop_all()
        db.create_all()
    raw = author_with_token(app, author, "live tests")
    try:
        with running(url, folder / "instance", workers, **settings) as server:
            yield app, server.url, raw
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def raw_request(base: str, head: bytes, body_parts: Sequence[bytes] = ()) -> bytes:
    """Send bytes as they are (a body may stay unfinished); return the answer's head."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=20) as conn:
        conn.sendall(head)
        for part in body_parts:
            conn.sendall(part)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer
