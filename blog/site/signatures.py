"""Signed posts for readers: each post's detached JWS and each author's DID document."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from .. import posts
from ..formats import signatures
from ..http import conditional, errors
from ..http.urls import absolute_url
from ..models import Post
from .blueprint import bp

DID_JSON = "application/did+json"


def post_signature(post: Post) -> str | None:
    """Return the detached JWS over the post's markdown as /posts/<slug>.md serves it."""
    url = absolute_url("site.post", slug=post.slug)
    author_url = absolute_url("site.author", slug=post.author.slug)
    return posts.signing.signature(post, url, author_url)


@bp.get("/posts/<slug>.md.jws")
@conditional.conditional()
def post_jws(slug: str) -> Any:
    found = posts.reads.public_post(slug)
    if found is None:
        detail = f"There is no public post '{slug}': drafts and scheduled posts are not signed."
        return errors.problem(404, "unknown_post", detail)
    signed = post_signature(found)
    if signed is None:
        detail = "The author's key cannot be used (the blog's secret key changed): not signed."
        return errors.problem(503, "signing_key_unavailable", detail)
    return Response(signed + "\n", mimetype=signatures.JOSE)


@bp.get("/authors/<slug>/did.json")
@conditional.conditional()
def author_did(slug: str) -> Any:
    found = posts.reads.get_author(slug)
    if found is None:
        return errors.problem(404, "unknown_author", f"There is no author '{slug}'.")
    document = posts.signing.did_document(found, absolute_url("site.author", slug=slug))
    return Response(json.dumps(document, indent=2) + "\n", mimetype=DID_JSON)
