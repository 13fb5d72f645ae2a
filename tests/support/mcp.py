"""The one starter of `blog-mcp --http` for tests: an OAuth resource server of a live blog."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

BLOG_MCP = Path(sys.executable).with_name("blog-mcp")


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    """Wait until the process listens on the port; fail at once if it exits."""
    for _ in range(200):
        assert process.poll() is None, "blog-mcp --http exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("blog-mcp --http did not listen")


@contextmanager
def blog_mcp_http(app: Flask, blog_url: str, port: int, mcp_url: str, log: Path) -> Iterator[None]:
    """Run `blog-mcp --http` on `port` as the blog's registered resource server for `mcp_url`.

    The app (on the live blog's database) registers it with `flask oauth resource-server
    mcp`; the process gets what that prints and no other BLOG_ setting. Its output goes to log.
    """
    out = app.test_cli_runner().invoke(args=["oauth", "resource-server", "mcp"]).output
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOG_")}
    env.update(dict(line.split("=", 1) for line in out.split()), BLOG_URL=blog_url)
    command = [str(BLOG_MCP), "--http", "--port", str(port), "--public-url", mcp_url]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        try:
            wait_for_port(port, process)
            yield
        finally:
            process.terminate()
            process.wait(timeout=30)
