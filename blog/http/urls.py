"""The one builder of absolute URLs: BASE_URL and the route, never the request's Host."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from flask import current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    """Build an endpoint's absolute URL from BASE_URL; works with or without a request.

    Neither the Host header nor a SCRIPT_NAME the client sent can change it: BASE_URL
    (with any path prefix the blog is served under) is the only source.
    """
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


def slug_urls(endpoint: str) -> Callable[[str], str]:
    """Return slug -> absolute URL, building the route once: slugs are URL-safe as they are."""
    head, _, tail = absolute_url(endpoint, slug="SLUG").rpartition("SLUG")
    return lambda slug: head + slug + tail


def site_url(url: str, base: str = "") -> str:
    """Resolve a URL or site path (a setting, an image's src) against `base` or BASE_URL."""
    return urljoin(base or current_app.config["BASE_URL"] + "/", url)
