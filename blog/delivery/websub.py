"""WebSub (W3C): which feeds an event changes, and the ping that tells the hub."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from ..models import Event
from .links import absolute_url

USER_AGENT = "agentblog-push/1.0 (+https://agentblog.dev/ns/1.0)"
KINDS = ("rss", "atom", "json")


def topics(event: Event) -> list[str]:
    """Return the feeds an event changes: the site's three and its tags' three each."""
    tags = [tag["slug"] for tag in json.loads(event.payload)["tags"]]
    found = [absolute_url(f"feeds.{kind}") for kind in KINDS]
    for slug in tags:
        found += [absolute_url(f"feeds.tag_{kind}", slug=slug) for kind in KINDS]
    return found


def ping(topic: str) -> tuple[bytes, dict[str, str]]:
    """Return the body and headers of a hub ping: hub.mode=publish for one feed."""
    body = urlencode({"hub.mode": "publish", "hub.url": topic}).encode()
    return body, {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT}
