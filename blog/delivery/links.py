"""Absolute URLs for what is sent, built by the app's one URL builder, handed over at start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

UrlBuilder = Callable[..., str]
KEY = "delivery.absolute_url"


def init_app(app: Flask, absolute_url: UrlBuilder) -> None:
    """Keep the builder (http.urls.absolute_url, which needs no request) for the sender."""
    app.extensions[KEY] = absolute_url


def absolute_url(endpoint: str, **values: Any) -> str:
    """Build the absolute URL of an endpoint with the builder init_app was given."""
    return current_app.extensions[KEY](endpoint, **values)
