"""gunicorn's hooks (blog.serving): a worker freezes what start-up built, so the oldest
generation's collection (~50 ms over the app's objects) never stalls a request.

Run as `make serve` runs it (the app built in each worker) and as docs/deploy.md's
gunicorn.conf.py does (preloaded in the master, frozen before the fork)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import live
from tests.test_deploy import documented

PROBE = "tests.support.gcprobe:create_app()"
# The blog's app, SQLAlchemy's mappers, the parser and the lexers: ~140,000 objects.
AT_LEAST = 50_000


def frozen(server: live.Server) -> list[int]:
    """Ask each of the server's workers (by asking often enough) how many objects it froze."""
    counts = set()
    for _ in range(20):
        status, body = server.get("/gc-frozen")
        assert status == 200
        counts.add(int(body))
    return sorted(counts)


@pytest.mark.parametrize("preload", [False, True], ids=["make-serve", "preloaded"])
def test_a_worker_freezes_what_start_up_built(app, settings, tmp_path: Path, preload: bool) -> None:
    url = settings["DATABASE_URL"]
    with live.running(url, tmp_path / "live", 2, app=PROBE, preload=preload) as server:
        counts = frozen(server)
    assert counts and min(counts) >= AT_LEAST, counts


def test_the_documented_gunicorn_conf_freezes_too(app, settings, tmp_path: Path) -> None:
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(documented("# /etc/agentblog/gunicorn.conf.py"))
    options = {"app": PROBE, "gunicorn_config": config}
    with live.running(settings["DATABASE_URL"], tmp_path / "live", 2, **options) as server:
        counts = frozen(server)
    assert min(counts) >= AT_LEAST, counts
