"""What the blog sends out: the outbox, the background sender, webhooks and WebSub pings.

The writer records events through `outbox` in its own transaction; `sender` delivers them
through `safehttp`, which refuses private addresses.
"""

from __future__ import annotations

from flask import Flask

from . import links, outbox, safehttp, sender, siteversion, webhooks, websub
from .links import UrlBuilder


def init_app(app: Flask, absolute_url: UrlBuilder) -> None:
    """Give the sender the app's URL builder and start it with the first request; open the
    site version."""
    links.init_app(app, absolute_url)
    siteversion.init_app(app)
    sender.init_app(app)


__all__ = ["init_app", "outbox", "safehttp", "sender", "siteversion", "webhooks", "websub"]
