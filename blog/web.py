"""HTTP helpers shared by the reader surfaces: absolute URLs and conditional GET."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Response, current_app, g, make_response, request, url_for

from . import posts


def absolute_url(endpoint: str, **values: Any) -> str:
    """Build an absolute URL from BASE_URL; the request's Host header is never used."""
    path = url_for(endpoint, **values)
    if request and request.script_root and path.startswith(request.script_root):
        path = path[len(request.script_root) :]
    return current_app.config["BASE_URL"] + path


def make_etag(*parts: object) -> str:
    """Hash the parts with the app's settings into a strong ETag value."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (current_app.config["ETAG_SALT"], *parts):
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def is_fresh(etag: str, last_modified: datetime | None) -> bool:
    """Say whether the client's validators show it already has this version."""
    if request.if_none_match:
        return request.if_none_match.contains(etag)
    since = request.if_modified_since
    return bool(since and last_modified and last_modified.replace(microsecond=0) <= since)


def conditional(max_age_setting: str = "CACHE_MAX_AGE") -> Callable[..., Any]:
    """Answer 304 from the public posts' version before the view builds a body."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            count, newest = posts.public_version()
            g.public_version = (count, newest)  # a view may key a cached body on it
            etag = make_etag(request.full_path, count, newest)
            if is_fresh(etag, newest):
                response = Response(status=304)
            else:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
            response.set_etag(etag)
            response.last_modified = newest
            response.cache_control.public = True
            response.cache_control.max_age = current_app.config[max_age_setting]
            return response

        return wrapper

    return decorate


def init_app(app: Any, code_dirs: list[Any]) -> None:
    """Fingerprint the settings and templates so a deploy changes every ETag."""
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(app.config):
        if name not in {"SECRET_KEY", "DATABASE_URL", "SQLALCHEMY_DATABASE_URI"}:
            digest.update(f"{name}={app.config[name]!r}\n".encode())
    for folder in code_dirs:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest.update(path.read_bytes())
    app.config["ETAG_SALT"] = digest.hexdigest()
