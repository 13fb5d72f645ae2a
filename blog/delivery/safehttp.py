"""POST to, or GET from, a URL on the public internet only; the standard library, no framework.

A target's host is resolved once, every address it resolves to is checked, and the
connection goes to the address that was checked (so a DNS answer that changes between
the check and the connect cannot point us at 127.0.0.1). Redirects are not followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 2000
READ_LIMIT = 4096


class Refused(ValueError):
    """A target we will not send to; the message says why."""


@dataclass(frozen=True)
class Answer:
    status: int
    duration_ms: int


def check_url(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, path?query) of an http(s) URL, or raise Refused."""
    if len(url) > MAX_URL:
        raise Refused(f"the URL is longer than {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused("the URL must start with http:// or https://")
    if not parts.hostname:
        raise Refused("the URL has no host")
    if parts.username or parts.password:
        raise Refused("the URL must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused(f"the URL's port is invalid: {exc}") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def is_allowed(address: str, allow_private: bool, allow_loopback: bool = False) -> bool:
    """Say whether we may connect to this IP address (loopback only if allowed, for tests)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast:
        return False
    return allow_private or ip.is_global or (allow_loopback and ip.is_loopback)


def resolve(host: str, port: int, allow_private: bool, allow_loopback: bool = False) -> str:
    """Return an address for host, refusing it if any of its addresses is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        # Not Refused: a name that does not resolve now may resolve on the next try.
        raise OSError(f"cannot resolve {host}: {exc}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise Refused(f"{host} has no address")
    for address in addresses:
        if not is_allowed(address, allow_private, allow_loopback):
            raise Refused(
                f"{host} resolves to {address}, a private, loopback or link-local address"
            )
    return addresses[0]


def check_target(url: str, allow_private: bool) -> None:
    """Raise Refused unless url is an http(s) URL whose host resolves to allowed addresses."""
    _scheme, host, port, _path = check_url(url)
    resolve(host, port, allow_private)


def post(
    url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> Answer:
    """POST body to url and return its status; raise Refused, or OSError on network failure."""
    scheme, host, port, path = check_url(url)
    address = resolve(host, port, allow_private)
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, address, timeout)
    started = time.monotonic()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(READ_LIMIT)
        return Answer(response.status, int((time.monotonic() - started) * 1000))
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {exc!r}") from None
    finally:
        connection.close()


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


def get(
    url: str,
    headers: dict[str, str],
    timeout: float,
    allow_loopback: bool = False,
    max_bytes: int = 1_048_576,
) -> Fetched:
    """GET url from a public address (loopback too if allowed); raise Refused or OSError.

    Redirects are not followed; a body over max_bytes, or not complete within `timeout`
    seconds in all, is refused rather than cut.
    """
    scheme, host, port, path = check_url(url)
    address = resolve(host, port, allow_private=False, allow_loopback=allow_loopback)
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, address, timeout)
    deadline = time.monotonic() + timeout
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        declared = response.getheader("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise Refused(f"{url}: the answer is larger than {max_bytes} bytes")
        body = _read_until(connection, response, max_bytes, deadline)
        return Fetched(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    except TimeoutError:
        raise Refused(f"no complete answer within {timeout} s") from None
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {exc!r}") from None
    finally:
        connection.close()


def _read_until(
    connection: http.client.HTTPConnection,
    response: http.client.HTTPResponse,
    max_bytes: int,
    deadline: float,
) -> bytes:
    """Read the body in small pieces, refusing it past max_bytes or the deadline."""
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Refused("the answer took too long")
        if connection.sock is not None:
            connection.sock.settimeout(left)
        chunk = response.read1(READ_LIMIT)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise Refused(f"the answer is larger than {max_bytes} bytes")
        chunks.append(chunk)


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to a fixed address; the Host header still names the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed address, verifying the certificate against the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
