"""gunicorn's hooks for the blog: `gunicorn -c python:blog.serving 'blog:create_app()'`.

A worker holds ~140,000 long-lived objects after start-up (the app, SQLAlchemy's mappers,
the markdown parser, Pygments' lexers). CPython's oldest-generation collection walks all of
them: ~50 ms here, once every few hundred requests, which was a publish's p99. Frozen
objects are never walked again, so a collection only sees what requests made; frozen in
the master before the fork, their pages also stay shared with it (gc.freeze's docs).
"""

from __future__ import annotations

import gc
from typing import Any


def pre_fork(server: Any, worker: Any) -> None:
    """Freeze what the master built (the app, with `preload_app`) before a worker forks."""
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    """Freeze what the worker built itself (the app, without `preload_app`)."""
    gc.freeze()
