"""The Content-Usage header (draft-ietf-aipref-attach) on every answer that carries content."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from flask import Flask, Response, current_app, request

from ..content import usage


class Overriding(Protocol):
    ai_usage: str


def blog_preferences() -> usage.Preferences:
    """Return the blog's preferences, the AI_USAGE setting."""
    return usage.parse(current_app.config["AI_USAGE"])


def post_preferences(post: Overriding) -> usage.Preferences:
    """Return one post's preferences: the blog's, with the post's override."""
    return usage.effective(current_app.config["AI_USAGE"], post.ai_usage)


def header_value(shown: Iterable[Overriding]) -> str:
    """Return Content-Usage for an answer showing these posts (the blog's when none).

    Several posts combine as the vocabulary says: a category any of them disallows is
    disallowed, so a listing never promises more than one of its posts allows.
    """
    setting = current_app.config["AI_USAGE"]
    overrides = {post.ai_usage for post in shown}  # a long archive has few distinct ones
    statements = [usage.effective(setting, override) for override in overrides]
    return usage.content_usage(usage.combine(statements) if statements else blog_preferences())


def set_header(response: Response, shown: Iterable[Overriding]) -> Response:
    """Put the Content-Usage of these posts on the response."""
    response.headers["Content-Usage"] = header_value(shown)
    return response


def _default(response: Response) -> Response:
    """Give a successful GET that set none the blog's own Content-Usage."""
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response.headers.setdefault("Content-Usage", header_value([]))
    return response


def init_app(app: Flask) -> None:
    """Send the blog's Content-Usage on every successful GET that does not send its own."""
    app.after_request(_default)
