"""A local HTTP server of documents for fetch tests: each path a body, a type, and a pace."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Document:
    body: bytes
    content_type: str = "application/json"
    status: int = 200
    drip_seconds: float = 0.0  # pause between bytes: a slow server


@dataclass
class DocumentServer:
    """Serve `documents` on 127.0.0.1 by path; count the GETs each path got, keep their headers."""

    documents: dict[str, Document] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    received: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (path, headers)
    tls: ssl.SSLContext | None = None  # HTTPS when given

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        documents, hits, received = self.documents, self.hits, self.received

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits[self.path] = hits.get(self.path, 0) + 1
                received.append((self.path, dict(self.headers)))
                found = documents.get(self.path, Document(b"not found", "text/plain", 404))
                self.send_response(found.status)
                self.send_header("Content-Type", found.content_type)
                if not found.drip_seconds:
                    self.send_header("Content-Length", str(len(found.body)))
                self.end_headers()
                try:
                    if found.drip_seconds:
                        for byte in found.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(found.drip_seconds)
                    else:
                        self.wfile.write(found.body)
                except OSError:
                    pass  # the client gave up: that is what a slow-server test wants

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
