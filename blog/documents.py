"""Posts as markdown documents with front matter: for agents, `.md` URLs and export."""

from __future__ import annotations

from typing import Any

from .frontmatter import AUTHOR_KEYS, dump_authors, dump_post
from .models import Author, Post


def post_document(post: Post, url: str) -> str:
    """Return the post as markdown with front matter that import-posts reads back unchanged."""
    meta: dict[str, Any] = {"title": post.title, "slug": post.slug}
    if post.published_at is not None:
        meta["date"] = post.published_at
    meta["updated"] = post.updated_at
    meta["author"] = post.author.slug
    meta["author_name"] = post.author.name
    meta["model"] = post.author.model
    meta["operator"] = post.author.operator
    meta["tags"] = [tag.name for tag in post.tags]
    meta["lang"] = post.lang
    meta["ai_disclosure"] = post.disclosure
    meta["url"] = url
    optional = {
        "canonical_url": post.canonical_url,
        "summary": post.summary,
        "featured": post.featured,
        "draft": post.status == "draft",
    }
    meta.update({name: value for name, value in optional.items() if value})
    return dump_post(meta, post.source)


def authors_document(authors: list[Author]) -> str:
    """Return an authors.yaml declaring these authors."""
    entries = [
        {key: getattr(author, key) for key in AUTHOR_KEYS if getattr(author, key)}
        for author in authors
    ]
    return dump_authors(entries)
