"""A real HTTP receiver on 127.0.0.1 for webhook and WebSub tests, a wait helper, and the
independent check (http-message-signatures) of what the blog signs."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms

from blog.delivery import signatures


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: datetime


@dataclass
class Receiver:
    """Record every POST; answer with the next of `statuses` (the last repeats), or hang."""

    statuses: list[int] = field(default_factory=lambda: [204])
    hang: bool = False
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.entered = threading.Event()  # a request is being held (hang=True)
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append(
                        Received(self.path, dict(self.headers), body, datetime.now(UTC))
                    )
                    count = len(receiver.requests)
                if receiver.hang:
                    receiver.entered.set()
                    receiver.release.wait(60)
                status = receiver.statuses[min(count, len(receiver.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def wait_until(check: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    """Poll check() until it returns something truthy; fail after timeout (a hang guard)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what or check}")


# ---------------------------------------------------------------- Web Bot Auth, checked apart


def blog_keys(client: Any) -> dict[str, Any]:
    """Read the blog's key directory as a verifier would: JWKs by their RFC 7638 thumbprint."""
    response = client.get(signatures.DIRECTORY_PATH)
    assert response.status_code == 200
    assert response.mimetype == signatures.DIRECTORY_TYPE
    found = {}
    for jwk in response.get_json(force=True)["keys"]:
        assert set(jwk) == {"kty", "crv", "x"} and jwk["crv"] == "Ed25519"  # no private "d"
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        found[signatures.key_id(jwk)] = Ed25519PublicKey.from_public_bytes(raw)
    return found


def check_signed(
    method: str, url: str, headers: dict[str, str], keys: dict[str, Any], body: bytes | None = None
) -> Any:
    """Verify a received request's web-bot-auth signature with http-message-signatures."""
    message = requests.Request(method, url, headers=headers, data=body).prepare()
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys=keys, private_keys={}),
    )
    covered = ("@method", "@authority", "@path", "signature-agent")
    if body is not None:
        covered += ("content-digest",)
    [result] = verifier.verify(
        message, expect_tag="web-bot-auth", require_components=covered, body=body
    )
    return result
