"""Signed posts: the detached JWS over a post's markdown and its author's DID document."""

from __future__ import annotations

import logging
from typing import Any

from ..access import keys
from ..extensions import db, write_transaction
from ..formats import signatures
from ..formats.frontmatter import post_document
from ..models import Author, AuthorKey, Post

log = logging.getLogger(__name__)


def markdown_bytes(post: Post, url: str) -> bytes:
    """Return the exact bytes /posts/<slug>.md serves (`url` is the post's page)."""
    return post_document(post, url).encode("utf-8")


def signing_key(post: Post) -> AuthorKey:
    """Return the key this version of the post is signed with (the author's current one
    for a post written before posts were signed, made on first use)."""
    return post.signing_key or author_key(post.author)


def author_key(author: Author) -> AuthorKey:
    """Return the author's current key, making (and committing) one on first use."""
    existing = [key for key in keys.keys_of(author) if key.retired_at is None]
    if existing:
        return existing[-1]
    author_id = author.id
    with write_transaction():
        made = keys.current_key(db.session.get(Author, author_id) or author)
    return made


def signature(post: Post, url: str, author_url: str) -> str | None:
    """Return the detached JWS (EdDSA) over the post's markdown; kid is the key's DID URL.

    None when the key cannot be decrypted (SECRET_KEY changed since it was made): the post
    is served unsigned and the operator is told to rotate the author's key.
    """
    key = signing_key(post)
    kid = f"{signatures.did_web(author_url)}#{key.thumbprint}"
    try:
        return signatures.detached(
            kid, markdown_bytes(post, url), lambda data: keys.sign(key, data)
        )
    except keys.KeyUnavailable:
        log.warning("cannot sign %s: run `flask --app blog author rotate-key`", post.slug)
        return None


def did_document(author: Author, author_url: str) -> dict[str, Any]:
    """Return the author's DID document: the current key and every retired one."""
    author_key(author)  # made on first use, so a new author's document is never empty
    listed = [
        signatures.VerificationKey(key.thumbprint, key.public_key, key.retired_at is not None)
        for key in keys.keys_of(author)
    ]
    return signatures.did_document(signatures.did_web(author_url), listed)
