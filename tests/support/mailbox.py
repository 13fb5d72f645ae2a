"""A real SMTP server for tests (aiosmtpd on a free port): the mail it received, parsed."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .live import free_port


@dataclass
class Mailbox:
    """What the server received (one parsed message per recipient) and where it listens."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # RCPT TO these gets 550
    login_required: bool = False

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:  # fmt: skip
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.login_required and not session.authenticated:
            return "530 5.7.0 authentication required"
        for _ in envelope.rcpt_tos:
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted"


@contextmanager
def mailbox(login: tuple[str, str] | None = None) -> Iterator[Mailbox]:
    """Run an SMTP server on 127.0.0.1; with `login` (user, password) it demands AUTH."""
    box = Mailbox(free_port())
    options: dict[str, Any] = {}
    if login is not None:

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                         data: Any) -> AuthResult:  # fmt: skip
            ok = isinstance(data, LoginPassword) and (
                data.login.decode(), data.password.decode()) == login  # fmt: skip
            return AuthResult(success=ok, handled=False)

        # AUTH in clear on loopback; aiosmtpd warns when it is *required* without TLS, so
        # the box refuses DATA from a client that did not sign in instead.
        options = {"authenticator": authenticate, "auth_require_tls": False}
        box.login_required = True
    controller = Controller(box, hostname="127.0.0.1", port=box.port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
