"""gunicorn's hooks for the blog: `gunicorn -c python:blog.serving 'blog:create_app()'`.

A worker holds ~140,000 long-lived objects after start-up (the app, SQLAlchemy's mappers,
the markdown parser, Pygments' lexers). CPython's oldest-generation collection walks all of
them: ~50 ms here, once every few hundred requests, which was a publish's p99. Frozen
objects are never walked again, so a collection only sees what requests made; frozen in
the master before the fork, their pages also stay shared with it (gc.freeze's docs).

`make serve`, docs/deploy.md's gunicorn.conf.py and the tests' live gunicorn all use these.
"""

from __future__ import annotations

import gc
from typing import Any


def pre_fork(server: Any, worker: Any) -> None:
    """Freeze what the master built (the app, with `preload_app`) before a worker forks."""
    _freeze()


def post_worker_init(worker: Any) -> None:
    """Freeze what the worker built itself (the app, without `preload_app`)."""
    _freeze()


def _freeze() -> None:
    # Collect first: garbage frozen would never be freed. Once frozen, a collection walks
    # only what is not, so the master's later calls (one a fork) cost little.
    gc.collect()
    gc.freeze()
