"""Conditional requests for every surface: validators, negotiation, 304s and the response cache.

One validator scheme: every public GET carries one weak ETag per version and variant, the
same for every content coding, on its 200 and its 304 alike; the API's post ETag is strong,
and If-Match accepts it with whatever coding suffix Flask-Compress appended.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from flask import Flask, Response, current_app, g, make_response, request
from werkzeug.datastructures import ETags, MIMEAccept
from werkzeug.http import parse_accept_header

from ..posts import reads
from . import i18n
from .errors import MACHINE_PREFIXES

# Flask-Compress appends the coding to a strong ETag ("e" -> "e:gzip"): the same version.
CODING_SUFFIXES = ("", ":zstd", ":br", ":gzip", ":deflate")
# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; lists may hold empty elements.
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
# Settings that never shape a response and whose repr differs per process (objects).
UNSHAPING = ("RATELIMIT_STORAGE_OPTIONS", "SQLALCHEMY_ENGINE_OPTIONS")
_ETAG_LIST = re.compile(rf"\*|(?:,\s*)*{_ENTITY_TAG}(?:\s*,(?:\s*{_ENTITY_TAG})?)*")
# Answer headers that depend on who asked: a response carrying one is never cached, nor is one
# that varies on a request header besides these. Both caches key on Accept and Accept-Encoding;
# Cookie (which Flask-Login's after_request names on every response) means the session
# cookie, the only one read, and a request carrying it never gets the hit path's replay.
PERSONAL = frozenset({"set-cookie", "x-bot-auth", "x-verified-agent"})
SHARED_VARY = frozenset({"accept", "accept-encoding", "cookie"})
# WSGI environ key: the hit path (hitpath.py) learns here what a public 200 or 304 was built from.
MARK = "agentblog.conditional"


def personal(headers: Iterable[tuple[str, str]]) -> bool:
    """Tell whether a response carries a header that depends on the request: never store it."""
    for name, value in headers:
        lowered = name.lower()
        if lowered in PERSONAL:
            return True
        if lowered == "vary" and {v.strip().lower() for v in value.split(",")} - SHARED_VARY - {""}:
            return True
    return False


def make_etag(*parts: object) -> str:
    """Hash the parts with the app's settings into an ETag value."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (current_app.config["ETAG_SALT"], *parts):
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def well_formed_etags(value: str) -> bool:
    """Tell whether an If-Match or If-None-Match value is `*` or a list of quoted entity-tags."""
    return _ETAG_LIST.fullmatch(value.strip()) is not None


def named(tags: ETags, etag: str, weak: bool) -> str | None:
    """Return this version's ETag value as `tags` name it (with its coding suffix), or None.

    If-None-Match compares weakly (`weak=True`), If-Match strongly (RFC 9110 §13.1).
    """
    found = tags.contains_weak if weak else tags.contains
    return next((etag + s for s in CODING_SUFFIXES if found(etag + s)), None)


def names(tags: ETags, etag: str, weak: bool) -> bool:
    """Tell whether `tags` name this version, whatever coding suffix it was sent with."""
    return named(tags, etag, weak) is not None


def last_modified(newest: datetime | None) -> datetime | None:
    """Return the Last-Modified to send: the newest change's second, once that second is over.

    HTTP dates count whole seconds: sent earlier, a second change within the same second
    would share the date, and If-Modified-Since would hide it.
    """
    if newest is None:
        return None
    second = newest.astimezone(UTC).replace(microsecond=0)
    return second if datetime.now(UTC) >= second + timedelta(seconds=1) else None


def is_fresh(etag: str, modified: datetime | None) -> bool:
    """Say whether the client's validators show it already has this version (RFC 9110 §13.2.2)."""
    if "If-None-Match" in request.headers:  # then If-Modified-Since is ignored
        return names(request.if_none_match, etag, weak=True)
    since = request.if_modified_since
    return bool(since and modified and modified <= since)


def unless_fresh(response: Response) -> Response:
    """Answer 304 instead of a built 200 (strong ETag) whose ETag If-None-Match names.

    The 304 repeats the tag as the client holds it, coding suffix included: Flask-Compress
    leaves a 304 alone, so this is the ETag its 200 carried.
    """
    etag, _ = response.get_etag()
    if etag and "If-None-Match" in request.headers:
        held = named(request.if_none_match, etag, weak=True)
        if held is not None:
            return Response(status=304, headers={"ETag": f'"{held}"'})
    return response


def preferred(offers: tuple[str, ...]) -> str:
    """Return the offer the client's Accept ranks highest; the first if it accepts none.

    Media-type parameters are ignored (`text/markdown; charset=utf-8` asks for markdown), q
    is honoured (`q=0` refuses), and the most specific range decides (RFC 9110 §12.5.1).
    """
    return choose(offers, request.headers.get("Accept", ""))


def choose(offers: tuple[str, ...], accept: str) -> str:
    """Return the offer an Accept header value ranks highest (see `preferred`); "" for none."""
    if not offers:
        return ""
    accepted = parse_accept_header(accept, MIMEAccept)
    ranges = [(value.split(";", 1)[0].strip().lower(), q) for value, q in accepted]
    best, best_quality = offers[0], 0.0
    for offer in offers:
        quality = _quality(offer, ranges)
        if quality > best_quality:
            best, best_quality = offer, quality
    return best


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    for pattern in (offer, offer.split("/", 1)[0] + "/*", "*/*"):
        found = [quality for media_range, quality in ranges if media_range == pattern]
        if found:
            return max(found)
    return 0.0


def cache_key(variant: str) -> tuple[str, str, str]:
    """Return what a public response depends on besides the posts' version and the settings.

    The script root (SCRIPT_NAME, which a proxy may set) prefixes every url_for link, the
    path and query choose the page, and `variant` is what Accept chose. Nothing else a
    client sends shapes the bytes: absolute URLs come from BASE_URL (urls.py), never the
    Host header, and Flask-Compress applies Accept-Encoding after the cache.
    """
    return request.script_root, request.full_path, variant


def conditional(
    max_age_setting: str = "CACHE_MAX_AGE",
    negotiate: tuple[str, ...] = (),
    exists: Callable[..., bool] | None = None,
) -> Callable[..., Any]:
    """Serve a public GET from the response cache, or build it, and answer 304 if fresh.

    Preconditions are evaluated only for a resource that exists: a 404 or a redirect from
    the view is returned as it is, whatever If-None-Match or If-Modified-Since say, so a
    304 builds the view first unless the response cache has it. `exists(*args, **kwargs)`,
    for a view costly to build, says more cheaply whether it would answer 200: a fresh
    request then gets its 304 unbuilt (a sitemap of 20,000 posts took 0.4 s to build for
    each revalidation; it is larger than the response cache holds).
    `negotiate` lists the media types the view chooses between by Accept; each gets its
    own ETag, and responses say `Vary: Accept`.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            revision, newest = reads.public_version()
            g.public_version = (revision, newest)  # a view may key a cached body on it
            variant = preferred(negotiate) if negotiate else ""
            etag = make_etag(*cache_key(variant), revision, newest)
            modified = last_modified(newest)
            fresh = is_fresh(etag, modified)
            preserved = _responses().get(etag)
            if preserved is None and not (fresh and exists and exists(*args, **kwargs)):
                built = make_response(view(*args, **kwargs))
                if built.status_code != 200:
                    return built
                preserved = _preserve(built)
                if not personal(preserved[0]):
                    _responses().put(etag, preserved)
            mark = request.environ.get(MARK)
            if mark is not None:
                mark.update(offers=negotiate, variant=variant, etag=etag, newest=newest)
            response = Response(status=304) if fresh or preserved is None else _revive(preserved)
            if negotiate:
                response.vary.add("Accept")
            response.set_etag(etag, weak=True)
            if modified is not None:  # assigning None would write the current time
                response.last_modified = modified
            response.cache_control.public = True
            response.cache_control.max_age = current_app.config[max_age_setting]
            return response

        return wrapper

    return decorate


def weaken_validators(response: Response) -> Response:
    """Make a public GET's strong ETag weak (files sent by send_file): one for every coding."""
    if request.method in ("GET", "HEAD") and not request.path.startswith(MACHINE_PREFIXES):
        etag, weak = response.get_etag()
        if etag and not weak:
            response.set_etag(etag, weak=True)
    return response


class ResponseCache:
    """Bodies this process built, by ETag: byte-bounded LRU, shared by the process's threads.

    An ETag names the exact bytes (script root, path, variant, settings, templates and the
    public posts' version), so a hit is always current, and every worker builds the same bytes.
    """

    def __init__(self, max_bytes: int) -> None:
        self.lru: LRUCache[str, Preserved] = LRUCache(max_bytes, getsizeof=preserved_size)
        self.max_bytes = max_bytes
        self.lock = threading.Lock()

    def get(self, etag: str) -> Preserved | None:
        """Return the response kept under this ETag, if any."""
        with self.lock:
            return self.lru.get(etag)

    def put(self, etag: str, preserved: Preserved) -> None:
        """Keep a response under its ETag, if it fits."""
        if preserved_size(preserved) <= self.max_bytes:
            with self.lock:
                self.lru[etag] = preserved


Preserved = tuple[list[tuple[str, str]], bytes]
ENTRY_OVERHEAD, HEADER_OVERHEAD = 300, 150  # the key, tuples and strings around the text


def preserved_size(preserved: Preserved) -> int:
    """Count a kept response's bytes: its body, its headers' text and what holds them."""
    headers, body = preserved
    text = sum(len(name) + len(value) + HEADER_OVERHEAD for name, value in headers)
    return ENTRY_OVERHEAD + len(body) + text


def _responses() -> ResponseCache:
    return current_app.extensions["responses"]


def _preserve(response: Response) -> Preserved:
    return list(response.headers.items()), response.get_data()


def _revive(preserved: Preserved) -> Response:
    headers, body = preserved
    return Response(body, status=200, headers=headers)


def init_app(app: Flask) -> None:
    """Fingerprint the settings, templates, static files and catalogs so that a deploy
    changes every ETag; make the response cache; weaken the validators of public files."""
    app.extensions["responses"] = ResponseCache(int(app.config["RESPONSE_CACHE_BYTES"]))
    # Registered after Flask-Compress, so it runs before it: a weak ETag gets no suffix.
    app.after_request(weaken_validators)
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(app.config):
        if name not in {"SECRET_KEY", "DATABASE_URL", "SQLALCHEMY_DATABASE_URI", *UNSHAPING}:
            digest.update(f"{name}={app.config[name]!r}\n".encode())
    for folder in (app.template_folder, app.static_folder, i18n.TRANSLATIONS):
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest.update(path.read_bytes())
    app.config["ETAG_SALT"] = digest.hexdigest()
