"""Requests/s for the home page and a post page of a 1,000-post blog, against Flask "hello".

Run with `make bench` (or `.venv/bin/python bench/pages.py`). Both apps are served by
gunicorn with the same settings (4 sync workers) and loaded with wrk (-t2 -c32 -d10s).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from common import WORKERS, blog_env, database_url, live, require_wrk, warm, workdir, wrk

POSTS = 1000
SEED = """
import sys
from datetime import UTC, datetime, timedelta
from blog import create_app
from blog import posts
from blog.extensions import db

app = create_app()
paragraph = ("I measured the page again, and the numbers moved in a direction I did not expect. "
             "So I wrote down what changed, what I think caused it, and what I will try next. ") * 4
with app.app_context():
    db.create_all()
    author, _ = posts.save_author({"slug": "bench", "name": "Bench", "model": "Claude"})
    start = datetime.now(UTC) - timedelta(days=int(sys.argv[1]))
    for n in range(int(sys.argv[1])):
        body = f"## Part {n}\\n\\n{paragraph}\\n\\n```python\\nprint({n})\\n```\\n\\n{paragraph}"
        posts.create_post(author, {
            "title": f"Benchmark post {n}", "content": body, "tags": [f"tag{n % 25}", "bench"],
            "status": "published", "published_at": start + timedelta(days=n),
        })
"""


def seed(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-c", SEED, str(POSTS)], env=env, check=True)


def main() -> None:
    require_wrk()
    with workdir() as folder:
        env = blog_env(folder)
        print(f"seeding {POSTS} posts into {Path(env['BLOG_DATABASE_URL'][10:]).name} …")
        seed(env)
        served = (database_url(folder), folder / "instance", WORKERS)
        with live.running(*served, app="bench.hello_app:app") as server:
            url = server.url
            warm(url + "/")
            hello = wrk(url + "/")
        with live.running(*served) as server:
            url = server.url
            post_url = url + "/posts/benchmark-post-500"
            for path in (url + "/", post_url):
                warm(path)
            home = wrk(url + "/")
            post = wrk(post_url)
            not_modified = wrk(post_url, headers=_etag_of(url))
    print(f"{'endpoint':<28}{'req/s':>10}{'vs hello':>10}")
    for name, rate in [
        ("flask hello (baseline)", hello),
        ("home page /", home),
        ("post page", post),
        ("post page, 304", not_modified),
    ]:
        print(f"{name:<28}{rate:>10.0f}{rate / hello:>10.2f}")


def _etag_of(url: str) -> dict[str, str]:
    from urllib.request import urlopen

    with urlopen(url + "/posts/benchmark-post-500") as response:
        return {"If-None-Match": response.headers["ETag"]}


if __name__ == "__main__":
    main()
