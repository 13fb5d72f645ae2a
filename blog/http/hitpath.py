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
from .conditional import MARK, choose, last_modified, names

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Headers = list[tuple[str, str]]
# Requests the full path may answer otherwise than a replay: Range is served by send_file;
# a signed request (Web Bot Auth) gets answer headers about its own signature.
PASS_THROUGH = (
    "HTTP_AUTHORIZATION",
    "HTTP_RANGE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_SIGNATURE",
    "HTTP_SIGNATURE_INPUT",
    "HTTP_SIGNATURE_AGENT",
)
ENTRY_OVERHEAD = 512  # bytes counted for a key and its headers besides the body


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
        with self.lock:
            validators = self.entries.get(("validators", *key))
            if validators is None:
                return None
            etag, newest = validators
            modified = last_modified(newest)
            if _fresh(environ, etag, modified):
                found = self.entries.get(("304", *key))
                status, modified = "304 NOT MODIFIED", None  # Werkzeug drops it from a 304
            else:
                found = self.entries.get(("200", *key))
                status = "200 OK"
        if found is None:
            return None
        headers, body = found
        return status, _dated(headers, modified), body

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
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return [body]  # never replay one client's cookie to another
        if status.startswith("200") and environ["REQUEST_METHOD"] == "HEAD":
            return [body]
        key = (*page, mark["variant"], self._coding(environ))
        kept = [(name, value) for name, value in headers if name.lower() != "last-modified"]
        with self.lock:
            self.entries[("offers", *page)] = mark["offers"]
            self.entries[("validators", *key)] = (mark["etag"], mark["newest"])
            self.entries[(status[:3], *key)] = (kept, body)
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
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes):
        return len(value[1]) + ENTRY_OVERHEAD
    return ENTRY_OVERHEAD


def init_app(app: Flask) -> None:
    """Put the hit path in front of the app when the site version and HIT_CACHE_BYTES allow."""
    if siteversion.of(app) is not None and int(app.config["HIT_CACHE_BYTES"]) > 0:
        app.wsgi_app = HitPath(app, app.wsgi_app)  # type: ignore[method-assign]
