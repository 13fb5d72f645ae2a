"""Conditional GET for every public page and feed: validators, 304s and the response cache."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from flask import Flask, Response, current_app, g, make_response, request

from ..posts import reads
from . import i18n

CODING_SUFFIXES = ("", ":zstd", ":br", ":gzip", ":deflate")


def make_etag(*parts: object) -> str:
    """Hash the parts with the app's settings into an ETag value."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (current_app.config["ETAG_SALT"], *parts):
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def is_fresh(etag: str, last_modified: datetime | None) -> bool:
    """Say whether the client's validators show it already has this version."""
    if request.if_none_match:
        # RFC 9110: weak comparison. Flask-Compress suffixes strong ETags with the coding.
        return any(request.if_none_match.contains_weak(etag + s) for s in CODING_SUFFIXES)
    since = request.if_modified_since
    return bool(since and last_modified and last_modified.replace(microsecond=0) <= since)


def preferred(types: tuple[str, ...]) -> str:
    """Return the media type among `types` the client prefers (the first one by default)."""
    return request.accept_mimetypes.best_match(types, default=types[0]) or types[0]


def conditional(
    max_age_setting: str = "CACHE_MAX_AGE", negotiate: tuple[str, ...] = (), weak: bool = True
) -> Callable[..., Any]:
    """Answer 304 from the public posts' version before the view builds a body.

    `negotiate` lists the media types the view chooses between by the Accept header;
    each gets its own ETag, and responses say `Vary: Accept`. A strong ETag (`weak=False`)
    gets the content coding appended by Flask-Compress, which is_fresh() recognises.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            revision, newest = reads.public_version()
            g.public_version = (revision, newest)  # a view may key a cached body on it
            variant = preferred(negotiate) if negotiate else ""
            etag = make_etag(request.full_path, variant, revision, newest)
            if is_fresh(etag, newest):
                response = Response(status=304)
            elif (cached := _responses().get(etag)) is not None:
                response = _revive(cached)
            else:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
                _responses().put(etag, _preserve(response))
            if negotiate:
                response.vary.add("Accept")
            # Weak by default: the plain and the compressed body are the same page, so one
            # validator serves both, and Flask-Compress leaves it alone.
            response.set_etag(etag, weak=weak)
            response.last_modified = newest
            response.cache_control.public = True
            response.cache_control.max_age = current_app.config[max_age_setting]
            return response

        return wrapper

    return decorate


class ResponseCache:
    """Bodies this process built, by ETag: byte-bounded LRU, shared by the process's threads.

    An ETag names the exact bytes (path, variant, settings, templates and the public posts'
    version), so a hit is always current, and every worker would build the same bytes.
    """

    def __init__(self, max_bytes: int) -> None:
        self.lru: LRUCache[str, Preserved] = LRUCache(max_bytes, getsizeof=lambda p: len(p[1]))
        self.max_bytes = max_bytes
        self.lock = threading.Lock()

    def get(self, etag: str) -> Preserved | None:
        with self.lock:
            return self.lru.get(etag)

    def put(self, etag: str, preserved: Preserved) -> None:
        if len(preserved[1]) <= self.max_bytes:
            with self.lock:
                self.lru[etag] = preserved


Preserved = tuple[list[tuple[str, str]], bytes]


def _responses() -> ResponseCache:
    return current_app.extensions["responses"]


def _preserve(response: Response) -> Preserved:
    return list(response.headers.items()), response.get_data()


def _revive(preserved: Preserved) -> Response:
    headers, body = preserved
    return Response(body, status=200, headers=headers)


def init_app(app: Flask) -> None:
    """Fingerprint the settings, templates, static files and catalogs so that a deploy
    changes every ETag; make the response cache."""
    app.extensions["responses"] = ResponseCache(int(app.config["RESPONSE_CACHE_BYTES"]))
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(app.config):
        if name not in {"SECRET_KEY", "DATABASE_URL", "SQLALCHEMY_DATABASE_URI"}:
            digest.update(f"{name}={app.config[name]!r}\n".encode())
    for folder in (app.template_folder, app.static_folder, i18n.TRANSLATIONS):
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest.update(path.read_bytes())
    app.config["ETAG_SALT"] = digest.hexdigest()
