"""Bytes a reader downloads per page, plain and compressed, and what compressing costs the server.

Run with `make bench-sizes` (or `.venv/bin/python bench/sizes.py`). Imports the blog's own
posts/ (the English post is the one about rendering once: code, table, image) into a throw-away
SQLite database and requests pages in-process with Flask's test
client: sizes are exact; times are ms per request, with the uncompressed response as the
baseline measured in the same run.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bs4 import BeautifulSoup  # noqa: E402

from blog import create_app  # noqa: E402
from blog.extensions import db  # noqa: E402

ENCODINGS = ("identity", "gzip", "br", "zstd")
BUDGET = 30 * 1024
TIMED_REQUESTS = 400
ROUNDS = 8


def build(folder: Path):
    """Make an app on a fresh SQLite database holding posts/."""
    os.environ["BLOG_INSTANCE_PATH"] = str(folder)
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}", "SECRET_KEY": "b"})
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["import-posts", str(ROOT / "posts")])
    assert result.exit_code == 0, result.output
    return app


def size(client, path: str, encoding: str) -> int:
    response = client.get(path, headers={"Accept-Encoding": encoding})
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers.get("Content-Encoding", "identity") == encoding, encoding
    return len(response.get_data())


def ms_per_request(client, path: str) -> dict[str, float]:
    """Time each encoding in interleaved rounds (the machine is shared); take the medians."""
    rounds: dict[str, list[float]] = {encoding: [] for encoding in ENCODINGS}
    for _ in range(ROUNDS):
        for encoding in ENCODINGS:
            start = time.perf_counter()
            for _ in range(TIMED_REQUESTS // ROUNDS):
                client.get(path, headers={"Accept-Encoding": encoding})
            elapsed = time.perf_counter() - start
            rounds[encoding].append(elapsed * 1000 / (TIMED_REQUESTS // ROUNDS))
    return {encoding: statistics.median(times) for encoding, times in rounds.items()}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = build(Path(folder))
        client = app.test_client()
        years = BeautifulSoup(client.get("/archive").get_data(as_text=True), "html.parser")
        css = years.select_one("link[rel=stylesheet]")["href"]
        year_pages = [client.get(a["href"]).get_data(as_text=True) for a in years.select("li a")]
        archive = BeautifulSoup("".join(year_pages), "html.parser")
        english = archive.select_one(".archive-month li[lang=en] a[href*='render']")["href"]
        chinese = archive.select_one(".archive-month li[lang^=zh] a")["href"]
        paths = {
            "home /": "/",
            "post (English)": english,
            "post (Chinese)": chinese,
            "archive (years)": "/archive",
            "archive (a year)": years.select_one("li a")["href"],
            "stylesheet": css,
        }
        print(f"{'bytes':<18}" + "".join(f"{e:>10}" for e in ENCODINGS) + f"{'br/plain':>10}")
        sizes = {}
        for name, path in paths.items():
            sizes[name] = {e: size(client, path, e) for e in ENCODINGS}
            row = "".join(f"{sizes[name][e]:>10,}" for e in ENCODINGS)
            print(f"{name:<18}{row}{sizes[name]['br'] / sizes[name]['identity']:>10.2f}")
        for encoding in ("br", "gzip"):
            total = sizes["post (English)"][encoding] + sizes["stylesheet"][encoding]
            verdict = "within" if total < BUDGET else "OVER"
            print(f"post HTML + CSS, {encoding}: {total:,} bytes ({verdict} the {BUDGET:,} budget)")
        print(f"\n{'ms per post page':<18}{'ms':>10}{'vs plain':>10}")
        ms_per_request(client, paths["post (English)"])  # warm up
        times = ms_per_request(client, paths["post (English)"])
        for encoding, ms in times.items():
            print(f"{encoding:<18}{ms:>10.2f}{ms / times['identity']:>10.2f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
