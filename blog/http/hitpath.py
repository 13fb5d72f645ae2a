"""The hit path: a WSGI middleware answering cached public responses before Flask dispatches.

A public GET or HEAD whose answer Flask built under the current site version (siteversion)
is replayed from memory: the 200 exactly as Flask sent it for that content coding (its bytes
compressed once, when Flask-Compress first built them), or the 304 Flask sent for it. The key
is the request's script root, path and query, the variant `conditional` negotiated from Accept
and the coding Flask-Compress chooses from Accept-Encoding. Whatever could be answered
differently goes to Flask: other methods, credentials, a session cookie, Range and the
If-Match family, an unknown site version (a write in flight, a post coming due), a miss.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from cachetools import LRUCache
from flask import Flask
from flask_compress.flask_compress import _choose_algorithm  # Flask-Compress's own choice
from werkzeug.http import http_date, parse_date, parse_etags

from ..delivery import siteversion
from ..extensions import compress
from . import botauth
from .conditional import MARK, choose, last_modified, names, personal

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Headers = list[tuple[str, str]]
# Requests the full path may answer otherwise than a replay: Range is served by send_file;
# a request botauth answers about (a signature) gets headers about itself, which no stored
# answer has (conditional.personal keeps such answers out of both caches).
PASS_THROUGH = (
    "HTTP_AUTHORIZATION",
    "HTTP_RANGE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    *(f"HTTP_{name.upper().replace('-', '_')}" for name in botauth.ANSWERED),
)
# Bytes counted for an entry besides its body and header text: the key, the entry's tuples
# and each header's two strings and pair (measured with tracemalloc: about 60 B an object).
ENTRY_OVERHEAD = 400
HEADER_OVERHEAD = 150


class HitPath:
    """Answer cached public GETs and HEADs of `app` from memory; hand the rest to `inner`."""

    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        self.inner = inner
        self.version = siteversion.of(app)
        self.cookie = app.config["SESSION_COOKIE_NAME"] + "="
        registered = app.config["COMPRESS_REGISTER"] and app.config["COMPRESS_MIMETYPES"]
        self.algorithms = tuple(compress.enabled_algorithms) if registered else ()
        self.entries: LRUCache[tuple[Any, ...], Any] = LRUCache(
            int(app.config["HIT_CACHE_BYTES"]), getsizeof=_size
        )
        self.lock = threading.Lock()
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Replay a cached answer, or let Flask answer and keep what it built."""
        if self.version is None or not self._replayable(environ):
            return self.inner(environ, start_response)
        version = self.version.current()
        if version is None:
            with self.app.app_context():
                self.version.settle()
            return self.inner(environ, start_response)
        page = (version, environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""))
        page += (environ.get("QUERY_STRING", ""),)
        with self.lock:
            offers = self.entries.get(("offers", *page))
        if offers is not None:
            key = (*page, choose(offers, environ.get("HTTP_ACCEPT", "")), self._coding(environ))
            answer = self._replay(key, environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]
        return self._fill(page, environ, start_response)

    def _replayable(self, environ: dict[str, Any]) -> bool:
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return False
        if any(name in environ for name in PASS_THROUGH):
            return False
        return self.cookie not in environ.get("HTTP_COOKIE", "")

    def _coding(self, environ: dict[str, Any]) -> str:
        accept = environ.get("HTTP_ACCEPT_ENCODING", "")
        return (_choose_algorithm(self.algorithms, accept) if self.algorithms else None) or ""

    def _replay(self, key: tuple[Any, ...], environ: dict[str, Any]) -> Any:
        # Each entry is (ETag, newest change, headers, body): the 200's, or the 304's (no body).
        with self.lock:
            ok, not_modified = self.entries.get(("200", *key)), self.entries.get(("304", *key))
        either = ok or not_modified
        if either is None:
            return None
        etag, newest = either[:2]
        modified = last_modified(newest)
        if _fresh(environ, etag, modified):
            found, status, modified = not_modified, "304 NOT MODIFIED", None  # Werkzeug drops it
        else:
            found, status = ok, "200 OK"
        if found is None:
            return None
        return status, _dated(found[2], modified), found[3]

    def _fill(
        self, page: tuple[Any, ...], environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        environ[MARK] = mark = {}
        captured: list[Any] = []

        def capture(status: str, headers: Headers, exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.inner(environ, capture)
        if not mark or not captured or captured[0][:3] not in ("200", "304"):
            return result
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        status, headers = captured
        if personal(headers):
            return [body]  # never replay what one client's request shaped to another
        if status.startswith("200") and environ["REQUEST_METHOD"] == "HEAD":
            return [body]
        key = (*page, mark["variant"], self._coding(environ))
        kept = [(name, value) for name, value in headers if name.lower() != "last-modified"]
        with self.lock:
            self.entries[("offers", *page)] = mark["offers"]
            self.entries[(status[:3], *key)] = (mark["etag"], mark["newest"], kept, body)
        return [body]


def _fresh(environ: dict[str, Any], etag: str, modified: datetime | None) -> bool:
    # conditional.is_fresh, on the raw headers: If-None-Match first, else If-Modified-Since.
    if "HTTP_IF_NONE_MATCH" in environ:
        return names(parse_etags(environ["HTTP_IF_NONE_MATCH"]), etag, weak=True)
    since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    return bool(since and modified and modified <= since)


def _dated(headers: Headers, modified: datetime | None) -> Headers:
    # Last-Modified appears once the newest change's second is over: decided now, not when kept.
    # `conditional` sets it right after the ETag; the same place keeps the answers identical.
    if modified is None:
        return headers
    at = next((i + 1 for i, (name, _) in enumerate(headers) if name == "ETag"), len(headers))
    return [*headers[:at], ("Last-Modified", http_date(modified)), *headers[at:]]


def _size(value: Any) -> int:
    """Count an entry's bytes: its body, its headers' text and what holds them."""
    if isinstance(value, tuple) and len(value) == 4:
        _, _, headers, body = value
        text = sum(len(name) + len(field) for name, field in headers)
        return ENTRY_OVERHEAD + len(body) + text + HEADER_OVERHEAD * len(headers)
    return ENTRY_OVERHEAD


def init_app(app: Flask) -> None:
    """Put the hit path in front of the app when the site version and HIT_CACHE_BYTES allow."""
    if siteversion.of(app) is not None and int(app.config["HIT_CACHE_BYTES"]) > 0:
        app.wsgi_app = HitPath(app, app.wsgi_app)  # type: ignore[method-assign]
