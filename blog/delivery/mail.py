"""Mail to the operators about each new pending post, sent by the outbox worker.

When SMTP_URL is set, the sender's fan-out gives a post.pending event one delivery per
enabled operator, its url "mailto:<address>"; sending it is an SMTP conversation instead
of an HTTP POST, with the same lease, retries and log as a webhook. So mail goes out after
the post's commit, from the worker thread, within SMTP_TIMEOUT: a slow or dead mail server
delays nothing but its own delivery, and a failure is logged as a warning.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Delivery, Operator
from . import links
from .outbox import Attempt

log = logging.getLogger(__name__)

MAILTO = "mailto:"
SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class Server:
    """Where mail goes, read from SMTP_URL."""

    scheme: str
    host: str
    port: int
    username: str
    password: str


def parse_url(url: str) -> Server:
    """Read smtp://host:port, smtp+starttls://user:pass@host:port or smtps://…; else ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(f"{url!r}: use smtp://host:25, smtp+starttls://… or smtps://…")
    return Server(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port or SCHEMES[parts.scheme],
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def recipients() -> list[str]:
    """Return the addresses of every operator who may sign in."""
    query = select(Operator.email).where(Operator.disabled_at.is_(None)).order_by(Operator.id)
    return list(db.session.scalars(query))


def sender_address() -> str:
    """Return SMTP_FROM, or agentblog@ the blog's host."""
    configured = current_app.config["SMTP_FROM"]
    return configured or f"agentblog@{urlsplit(current_app.config['BASE_URL']).hostname}"


def pending_message(snapshot: dict[str, Any], to: str) -> EmailMessage:
    """Write the mail that tells an operator a post waits for review."""
    title = " ".join(str(snapshot.get("title", "")).split())  # one line: it goes in a header
    author = snapshot.get("author") or {}
    review = links.absolute_url("admin.post_detail", post_id=snapshot["id"])
    message = EmailMessage()
    message["Subject"] = f"Waiting for review: {title}"[:200]
    message["From"] = sender_address()
    message["To"] = to
    message["Message-ID"] = make_msgid(domain=sender_address().rpartition("@")[2])
    message.set_content(
        f"{author.get('name', '')} ({author.get('slug', '')}) wrote a post that waits for"
        f" your review:\n\n  {title}\n\nRead it, approve it, send it back or reject it:\n"
        f"{review}\n\nYou get this mail as an operator of {current_app.config['BASE_URL']}.\n"
    )
    return message


def send(delivery: Delivery) -> Attempt:
    """Send one mail delivery once; never raise. A refusal by the server is final."""
    started = time.monotonic()
    to = delivery.url.removeprefix(MAILTO)
    try:
        server = parse_url(current_app.config["SMTP_URL"])
        message = pending_message(json.loads(delivery.event.payload), to)
        _deliver(server, message, float(current_app.config["SMTP_TIMEOUT"]))
        return Attempt(250, "", _since(started))
    except smtplib.SMTPRecipientsRefused as exc:  # the one recipient: its code decides
        code, answer = next(iter(exc.recipients.values()), (451, b""))
        kind = "refused: " if code >= 500 else ""
        error = f"{kind}SMTP {code} {answer!r}"
    except smtplib.SMTPResponseException as exc:
        # 5xx: permanent (a bad address, refused credentials): "refused:" stops the retries.
        kind = "refused: " if exc.smtp_code >= 500 else ""
        error = f"{kind}SMTP {exc.smtp_code} {exc.smtp_error!r}"
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    log.warning("mail to %s about event %s failed: %s", to, delivery.event_id, error)
    return Attempt(None, error, _since(started))


def _deliver(server: Server, message: EmailMessage, timeout: float) -> None:
    context = ssl.create_default_context()
    if server.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host, server.port, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        if server.scheme == "smtp+starttls":
            client.starttls(context=context)
        if server.username:
            client.login(server.username, server.password)
        client.send_message(message)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
