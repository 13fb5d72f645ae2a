"""Web Bot Auth for what the blog receives: verify RFC 9421 signatures, never require them.

A request with Signature, Signature-Input and Signature-Agent is checked against the keys
of the agent's directory (fetched through the refusing fetcher, kept DIRECTORY_SECONDS).
A verified agent is logged on `blog.access`, named back in `X-Verified-Agent`, and may get
VERIFIED_AGENT_LIMIT; a bad signature is logged and answered in `X-Bot-Auth` only: the
request is served as an unsigned one.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import http_sf
from cachetools import TTLCache
from flask import Flask, Response, current_app, g, request

from ..delivery import safehttp, signatures

if TYPE_CHECKING:  # imported for a signed request only: ~10 MB a worker otherwise
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger("blog.access")
DIRECTORY_SECONDS = 3600
FAILED_SECONDS = 60  # an unreachable directory is asked again after this
# A request with these headers gets X-Bot-Auth (and X-Verified-Agent) about its signature.
ANSWERED = ("Signature", "Signature-Input", "Signature-Agent")
_directories: TTLCache[str, dict[str, Ed25519PublicKey]] = TTLCache(256, DIRECTORY_SECONDS)
_failures: TTLCache[str, str] = TTLCache(256, FAILED_SECONDS)
_lock = threading.Lock()


class NotVerified(ValueError):
    """A signature we could not verify; the message says why."""


@dataclass(frozen=True)
class Agent:
    origin: str
    keyid: str


def agent_origin(value: str) -> str:
    """Return the origin a Signature-Agent names (an sf-string, or a dictionary's first)."""
    try:
        parsed = http_sf.parse(value.encode(), tltype="item")[0]
    except Exception:
        try:
            members = http_sf.parse(value.encode(), tltype="dictionary")
            parsed = next(iter(members.values()))[0]
        except Exception:
            raise NotVerified("Signature-Agent is not a structured-field string") from None
    if not isinstance(parsed, str):
        raise NotVerified("Signature-Agent must be a quoted URL")
    parts = urlsplit(parsed)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise NotVerified("Signature-Agent must be an http(s) URL")
    return f"{parts.scheme}://{parts.netloc}"


def _keys(origin: str) -> dict[str, Ed25519PublicKey]:
    """Return the directory's Ed25519 keys by thumbprint, from the cache or fetched."""
    with _lock:
        cached, failed = _directories.get(origin), _failures.get(origin)
    if failed is not None:
        raise NotVerified(failed)
    if cached is not None:
        return cached
    try:
        found = _fetch(origin)
    except NotVerified as exc:
        with _lock:
            _failures[origin] = str(exc)
        raise
    with _lock:
        _directories[origin] = found
    return found


def _fetch(origin: str) -> dict[str, Ed25519PublicKey]:
    config = current_app.config
    loopback = bool(config["FETCH_ALLOW_LOOPBACK"])
    if origin.startswith("http://") and not loopback:
        raise NotVerified("the signature directory must be served over https")
    url = origin + signatures.DIRECTORY_PATH
    try:
        headers = signatures.outgoing("GET", url, {"Accept": signatures.DIRECTORY_TYPE})
        answer = safehttp.get(url, headers, 5.0, loopback, 65536)
        if answer.status != 200:
            raise NotVerified(f"the directory {url} answered {answer.status}")
        document = json.loads(answer.body)
    except safehttp.Refused as exc:
        raise NotVerified(f"refused to fetch the directory {url}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise NotVerified(f"could not read the directory {url}: {exc}") from None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    keys = {}
    for jwk in document.get("keys", []) if isinstance(document, dict) else []:
        if isinstance(jwk, dict) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            try:
                raw = base64.urlsafe_b64decode(str(jwk["x"]) + "=" * (-len(str(jwk["x"])) % 4))
                keys[signatures.key_id(jwk)] = Ed25519PublicKey.from_public_bytes(raw)
            except (KeyError, ValueError):
                continue
    if not keys:
        raise NotVerified(f"the directory {url} holds no Ed25519 key")
    return keys


def verify_request() -> Agent:
    """Verify the current request's web-bot-auth signature; raise NotVerified saying why."""
    from http_message_signatures import (
        HTTPMessageSignaturesException,
        HTTPMessageVerifier,
        MappingKeyResolver,
        algorithms,
    )

    origin = agent_origin(request.headers["Signature-Agent"])
    keys = _keys(origin)
    message = SimpleNamespace(
        method=request.method, url=request.url, headers=dict(request.headers.items())
    )
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys=keys, private_keys={}),
    )
    try:
        [result] = verifier.verify(
            message,
            expect_tag=signatures.TAG,
            require_components=("@authority", "signature-agent"),
            body=request.get_data(cache=True),
        )
    except (HTTPMessageSignaturesException, ValueError) as exc:
        raise NotVerified(f"{type(exc).__name__}: {exc}") from None
    return Agent(origin, str(result.parameters.get("keyid", "")))


def _check() -> None:
    g.verified_agent = None
    if not set(ANSWERED) <= set(request.headers.keys()):
        return
    try:
        agent = verify_request()
    except NotVerified as exc:
        g.bot_auth = f"invalid; {exc}"[:300]
        log.info("unverified signature %s %s: %s", request.method, request.path, exc)
        return
    g.verified_agent = agent.origin
    g.bot_auth = f"verified; agent={agent.origin}"
    log.info("verified agent %s keyid=%s %s %s", agent.origin, agent.keyid, request.method,
             request.path)  # fmt: skip


def _answer(response: Response) -> Response:
    said = g.get("bot_auth")
    if said:
        response.headers["X-Bot-Auth"] = said.replace("\n", " ").replace("\r", " ")
    if g.get("verified_agent"):
        response.headers["X-Verified-Agent"] = g.verified_agent
    return response


def init_app(app: Flask) -> None:
    """Verify signed requests before anything else (rate limits read the result)."""
    app.before_request(_check)
    app.after_request(_answer)
