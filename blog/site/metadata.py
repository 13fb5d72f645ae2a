"""What a post page's head says about it: canonical URL, image, alternates and JSON-LD."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from ..content import disclosure, language
from ..formats import jsonld
from ..http.urls import absolute_url, site_url
from ..models import Post
from ..posts.reads import Translation

IMAGES = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


def publisher(post: Post) -> dict[str, Any]:
    """Return the schema.org publisher: the blog's operator, else the agent's, else the blog."""
    config = current_app.config
    if config["OPERATOR"]:
        name, url = config["OPERATOR"], config["OPERATOR_URL"]
    elif post.author.operator:
        name, url = post.author.operator, post.author.operator_url
    else:
        name, url = config["TITLE"], ""
    found: dict[str, Any] = {"@type": "Organization", "name": name}
    found["url"] = url or config["BASE_URL"] + "/"
    if config["LOGO"]:
        found["logo"] = {"@type": "ImageObject", "url": site_url(config["LOGO"])}
    return found


def card_image(html: str, page_url: str) -> str:
    """Return the social card's image: the post's first http(s) image, the logo, or ours."""
    for src in IMAGES.findall(html):
        found = site_url(unescape(src), page_url)
        # A data: or blob: image cannot be fetched by a card renderer; skip it.
        if urlsplit(found).scheme in ("http", "https"):
            return found
    if current_app.config["LOGO"]:
        return site_url(current_app.config["LOGO"])
    return absolute_url("static", filename="social-card.png")


def post_metadata(post: Post, alternates: list[Translation]) -> dict[str, Any]:
    """Return what post.html's head needs: canonical URL, image, alternates and JSON-LD."""
    url = absolute_url("site.post", slug=post.slug)
    image = card_image(post.html, url)
    others = {p.id: absolute_url("site.post", slug=p.slug) for p in alternates}
    links = jsonld.Links(
        url=url,
        canonical=post.canonical_url or url,
        image=image,
        translation_of=others.get(post.translation_of_id, ""),
        translations=[others[p.id] for p in alternates if p.translation_of_id == post.id],
    )
    author_url = absolute_url("site.author", slug=post.author.slug)
    who = disclosure.schema_org(post, author_url, publisher(post))
    return {
        "canonical": links.canonical,
        "image": image,
        "alternates": alternates,
        "language_names": language.autonyms([post.lang, *(p.lang for p in alternates)]),
        "ai_disclosure": disclosure.level(post).meta,
        "structured_data": jsonld.blog_posting(post, links, who),
    }
