"""docs/oauth.md's deployment, run: nginx serves the blog and blog-mcp on one origin, and an
MCP client connects through it with OAuth (the SDK's provider, Chromium at the consent page)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from .support.agents import (
    Callback,
    blog_with_mcp,
    check_published_and_revoke,
    connect_and_publish,
    in_own_loop,
)
from .support.live import ROOT, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def documented_config() -> str:
    """Return the nginx server block exactly as docs/oauth.md shows it."""
    text = (ROOT / "docs" / "oauth.md").read_text(encoding="utf-8")
    block = text.split("<!-- nginx-begin -->", 1)[1].split("<!-- nginx-end -->", 1)[0]
    return block.split("```nginx", 1)[1].split("```", 1)[0]


@contextmanager
def nginx(folder: Path, port: int, blog_port: int, mcp_port: int) -> Iterator[None]:
    """Run the documented server block on 127.0.0.1:port (plain HTTP) with our upstreams."""
    server = documented_config()
    server = server.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
    server = server.replace("127.0.0.1:8765", f"127.0.0.1:{mcp_port}")
    server = server.replace("127.0.0.1:8000", f"127.0.0.1:{blog_port}")
    for name in ("client", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;\n"
        "events {}\n"
        f"http {{ access_log off; client_body_temp_path {folder}/client;"
        f" proxy_temp_path {folder}/proxy; fastcgi_temp_path {folder}/fastcgi;"
        f" uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;\n{server}\n}}\n"
    )
    process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(folder)])
    try:
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_documented_proxy_serves_blog_and_mcp_on_one_origin(tmp_path: Path) -> None:
    proxy_port, mcp_port = free_port(), free_port()
    origin = f"http://127.0.0.1:{proxy_port}"
    callback = Callback()
    with blog_with_mcp(tmp_path, port=mcp_port, origin=origin) as stack:
        app, blog_url, mcp_url = stack.app, stack.blog_url, stack.mcp_url
        gunicorn_port = int(stack.gunicorn_url.rsplit(":", 1)[1])
        with nginx(tmp_path / "nginx", proxy_port, gunicorn_port, mcp_port):
            answer = requests.post(mcp_url, json={}, timeout=30)
            assert answer.status_code == 401
            metadata_url = answer.headers["WWW-Authenticate"].split('resource_metadata="')[1]
            assert metadata_url.startswith(f"{origin}/.well-known/oauth-protected-resource")
            tokens = in_own_loop(connect_and_publish(app, mcp_url, None, callback))
            check_published_and_revoke(app, blog_url, mcp_url, tokens.access_token)
