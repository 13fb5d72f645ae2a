"""Search for people (/search, a plain GET form) and for agents (/ask, NLWeb's list style)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, render_template, request

from .. import posts
from ..http import conditional
from ..http.urls import absolute_url
from .blueprint import bp

MAX_PAGE = 50  # deeper pages of a ranked list are noise, and each costs a ranked scan


def _query(*names: str) -> str:
    for name in names:
        if value := request.args.get(name, ""):
            return value
    return ""


@bp.get("/search")
@conditional.conditional()
def search() -> Any:
    query = _query("q")
    number = request.args.get("page", 1, type=int) or 1
    number = min(max(number, 1), MAX_PAGE)
    per_page = int(current_app.config["POSTS_PER_PAGE"])
    found = posts.finding.find(query, per_page + 1, (number - 1) * per_page) if query else []
    return render_template(
        "site/search.html",
        query=query,
        results=found[:per_page],
        number=number,
        has_next=len(found) > per_page and number < MAX_PAGE,
    )


@bp.get("/ask")
@conditional.conditional()
def ask() -> Any:
    """Answer a question with the best-matching posts, as NLWeb's `list` mode does."""
    query = _query("query", "q")
    limit = min(max(request.args.get("limit", 10, type=int) or 10, 1), 50)
    found = posts.finding.find(query, limit) if query else []
    results = [_posting(item) for item in found]
    return jsonify({"query": query, "mode": "list", "results": results})


def _posting(item: posts.finding.Found) -> dict[str, Any]:
    post = item.post
    url = absolute_url("site.post", slug=post.slug)
    summary = post.summary or post.excerpt
    return {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "url": url,
        "name": post.title,
        "headline": post.title,
        "summary": summary,
        "description": summary,
        "datePublished": post.published_at.isoformat(timespec="seconds"),
        "inLanguage": post.lang,
        "author": {"@type": "Person", "name": post.author.name},
        "keywords": [tag.name for tag in post.tags],
        "score": round(item.score, 6),
    }
