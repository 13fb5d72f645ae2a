"""Markdown for agents: /index.md, and the headers every markdown answer carries."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, render_template

from .. import posts
from ..content import disclosure
from ..formats import markdown
from ..http import conditional, usage
from ..models import Post
from .blueprint import bp


def markdown_reply(text: str, shown: list[Post]) -> Response:
    """Answer with markdown, disclosed like the page it stands for, with a token estimate."""
    response = Response(text, mimetype="text/markdown")
    if header := disclosure.listing_header_value(shown):
        response.headers["AI-Disclosure"] = header
    response.headers["x-markdown-tokens"] = str(markdown.token_estimate(text))
    return usage.set_header(response, shown)


def home_markdown() -> Response:
    """Answer with the home page's first page of posts as a markdown list."""
    found = posts.reads.home_page(1, int(current_app.config["POSTS_PER_PAGE"]))
    if found is None:
        abort(404)
    return markdown_reply(render_template("site/index.md", page=found), found.items)


@bp.get("/index.md")
@conditional.conditional()
def index_md() -> Any:
    return home_markdown()
