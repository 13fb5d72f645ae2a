"""Requests/s of a post page through nginx with docs/deploy.md's 1 s micro-cache, against
nginx serving the same bytes as a static file, in one run.

Run with `make bench-proxy` (nginx from apt when missing). The blog has 1,000 posts and 4
sync gunicorn workers; wrk -t2 -c32 -d10s; rounds interleave and each figure is the median.
Writes docs/performance.md's proxy block.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

from common import (
    POSTS,
    ROOT,
    WORKERS,
    WRK_ARGS,
    Baseline,
    Load,
    live,
    load_table,
    machine,
    measure,
    rounds,
    seeded_blog,
    write_section,
)

POST = "/posts/benchmark-post-500"
MAIN = """
{user}
worker_processes 2;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ text/html html; }}
    client_body_temp_path {folder}/client;
    proxy_temp_path {folder}/proxy;
    {body}
    server {{
        listen 127.0.0.1:{static_port};
        root {folder}/static;
        location / {{ default_type text/html; try_files $uri $uri.html =404; }}
    }}
}}
"""


def documented() -> str:
    """Return the micro-cache configuration docs/deploy.md gives, as it gives it."""
    doc = (ROOT / "docs" / "deploy.md").read_text()
    block = doc.split("<!-- nginx-micro-cache -->", 1)[1].split("<!-- /nginx-micro-cache -->")[0]
    return block.split("```nginx", 1)[1].split("```", 1)[0]


def nginx_config(folder: Path, upstream: str, port: int, static_port: int) -> Path:
    body = documented().replace("/var/cache/nginx/agentblog", str(folder / "cache"))
    body = body.replace("http://127.0.0.1:8000", upstream)
    body = re.sub(r"listen 8080;", f"listen 127.0.0.1:{port};", body)
    path = folder / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the private work folder
    text = MAIN.format(user=user, folder=folder, static_port=static_port, body=body)
    path.write_text(text)
    return path


def main() -> None:
    count = rounds()
    if shutil.which("nginx") is None:
        sys.exit("nginx is missing: `make bench-proxy` installs it from apt")
    where = machine()
    loads: dict[str, list[Load]] = {}
    with seeded_blog() as blog, blog.running() as server:
        folder = blog.folder
        with urlopen(server.url + POST) as response:
            (folder / "static" / "posts").mkdir(parents=True)
            (folder / "static" / f"{POST[1:]}.html").write_bytes(response.read())
        port, static_port = live.free_port(), live.free_port()
        config = nginx_config(folder, server.url, port, static_port)
        nginx = subprocess.Popen(["nginx", "-c", str(config), "-p", str(folder)])
        try:
            urls = {
                "nginx static, the same bytes (baseline)": f"http://127.0.0.1:{static_port}{POST}",
                "nginx 1 s micro-cache -> agentblog": f"http://127.0.0.1:{port}{POST}",
                "agentblog direct (gunicorn)": server.url + POST,
            }
            for url in urls.values():
                _wait(url)
            for n in range(count):
                print(f"round {n + 1} of {count} …")
                for name, url in urls.items():
                    measure(loads, name, url)
        finally:
            nginx.terminate()
            nginx.wait(10)
    report(loads, count, where)


def _wait(url: str) -> None:
    for _ in range(50):
        try:
            with urlopen(url) as response:
                response.read()
                return
        except OSError:
            subprocess.run(["sleep", "0.1"], check=True)
    raise RuntimeError(f"{url} never answered")


def report(loads: dict[str, list[Load]], rounds: int, where: str) -> None:
    head = (
        f"Measured by `make bench-proxy`: {where}; nginx 2 workers with docs/deploy.md's"
        f" micro-cache, gunicorn {WORKERS} sync workers, {POSTS} posts, wrk `{' '.join(WRK_ARGS)}`,"
        f" medians of {rounds} interleaved rounds."
    )
    static = Baseline("nginx static, the same bytes (baseline)", "nginx static")
    targets = {name: "≥ 0.8" for name in loads if "micro-cache" in name}
    table = load_table(head, loads, static, targets)
    print(table)
    write_section("proxy", table)


if __name__ == "__main__":
    main()
