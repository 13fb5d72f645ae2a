"""A real gunicorn on 127.0.0.1: the sample site in tests/site/ for the browser tests, and
a bare blog for tests that need real HTTP with several workers, run as a process group the
tests may kill -9: the master, a worker, or all at once."""

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
from urllib.parse import urlsplit

import pytest
from flask import Flask

from blog import create_app, posts, tokens
from blog.extensions import db
from blog.frontmatter import parse_authors, parse_post

from .conftest import ALL_SCOPES, TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(__file__).resolve().parent / "site"
GUNICORN = Path(sys.executable).with_name("gunicorn")
# Ports Chromium refuses to open (net/base/port_util.cc): ERR_UNSAFE_PORT.
UNSAFE_PORTS = {
    1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101,
    102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389,
    427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636,
    989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
    6665, 6666, 6667, 6668, 6669, 6697, 10080,
}  # fmt: skip
POSTS_PER_PAGE = 5


@dataclass(frozen=True)
class LiveSite:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str) -> tuple[int, bytes]:
        """Fetch a path as a plain client would; return (status, body)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def free_port() -> int:
    """Ask the OS for a free port on 127.0.0.1 that Chromium agrees to open."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in UNSAFE_PORTS:
            return port


def seed(database_url: str, instance: Path) -> None:
    """Create the tables and import tests/site/ through posts.py, the one writer."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BLOG_INSTANCE_PATH", str(instance))
        app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "browser-tests"})
    with app.app_context():
        db.create_all()
        authors = {}
        for fields in parse_authors((SITE / "authors.yaml").read_text(encoding="utf-8")):
            authors[fields["slug"]], _ = posts.save_author(fields)
        for path in sorted(SITE.glob("*.md")):
            post_file = parse_post(path.read_text(encoding="utf-8"), str(path))
            posts.import_post(post_file, authors[post_file.fields["author"]])
        db.engine.dispose()


def _environment(database_url: str, instance: Path, url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("BLOG_")}
    env.update(
        BLOG_DATABASE_URL=database_url,
        BLOG_INSTANCE_PATH=str(instance),
        BLOG_SECRET_KEY="browser-tests",
        BLOG_BASE_URL=url,
        BLOG_POSTS_PER_PAGE=str(POSTS_PER_PAGE),
    )
    return env


def _wait_until_up(site: LiveSite, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if site.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(site.url + "/", timeout=2):
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    return False


def start(folder: Path, attempts: int = 3) -> LiveSite:
    """Seed a SQLite database in folder and serve it with gunicorn on a free port."""
    instance = folder / "instance"
    database_url = f"sqlite:///{folder / 'site.sqlite'}"
    seed(database_url, instance)
    for attempt in range(attempts):
        url = f"http://127.0.0.1:{free_port()}"
        log = folder / f"gunicorn-{attempt}.log"
        command = [str(GUNICORN), "--workers", "2", "--bind", url[7:], "blog:create_app()"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=_environment(database_url, instance, url),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        site = LiveSite(url, process, log)
        if _wait_until_up(site):
            return site
        stop(site)  # most likely another process took the port first: try another
    raise RuntimeError(f"gunicorn did not start; see {log}:\n{log.read_text()[-2000:]}")


def stop(site: LiveSite) -> None:
    """Stop gunicorn and wait for it."""
    site.process.terminate()
    try:
        site.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        site.process.kill()
        site.process.wait()


READY_ATTEMPTS = 150  # 0.1 s apart: gunicorn and its workers import the app first


@contextmanager
def gunicorn(database_url: str, instance: Path, workers: int = 3, **settings: str) -> Iterator[str]:
    """Serve the app on a free port with `workers` sync workers; yield its base URL."""
    with running(database_url, instance, workers, ("--timeout", "60"), **settings) as server:
        yield server.base


@contextmanager
def served_blog(
    folder: Path, author: dict[str, str], workers: int = 2, **settings: str
) -> Iterator[tuple[Flask, str, str]]:
    """Serve a fresh database (the test database, or SQLite in folder) with one author.

    Yield (app, base URL, a token with every scope); drop the tables afterwards.
    """
    url = TEST_DATABASE_URL or f"sqlite:///{folder / 'blog.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BLOG_INSTANCE_PATH", str(folder / "instance"))
        app = create_app({"SECRET_KEY": "live-test", "DATABASE_URL": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        saved, _ = posts.save_author(author)
        raw, _ = tokens.issue(saved, ALL_SCOPES, None, "live tests")
    try:
        with gunicorn(url, folder / "instance", workers, **settings) as base:
            yield app, base, raw
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


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


def serve(
    database_url: str, instance: Path, workers: int, args: tuple[str, ...] = (), **settings: str
) -> Server:
    """Start gunicorn (preloaded app, sync workers) in its own process group on a free port."""
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
    log = instance / "gunicorn.log"  # a restart in the same folder appends to it
    command = [sys.executable, "-m", "gunicorn", "--preload", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", *args, "blog:create_app()"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    server = Server(process, base, log)
    try:
        _wait_until_ready(base, process, log)
    except BaseException:
        server.crash()
        raise
    return server


@contextmanager
def running(
    database_url: str, instance: Path, workers: int, args: tuple[str, ...] = (), **settings: str
) -> Iterator[Server]:
    """Serve for the length of the block; never leave a process behind."""
    server = serve(database_url, instance, workers, args, **settings)
    try:
        yield server
    finally:
        server.stop()


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
