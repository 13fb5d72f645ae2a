"""The blog, plus /gc-frozen: how many objects the worker answering has frozen (gc.freeze)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import Any

from blog import create_app as create_blog


def create_app() -> Callable[..., Iterable[bytes]]:
    blog = create_blog()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/gc-frozen":
            return blog(environ, start_response)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(gc.get_freeze_count()).encode()]

    return app
