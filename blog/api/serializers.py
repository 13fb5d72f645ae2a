"""The API's answers: posts, dry runs, the token's own view, and list cursors."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime

from .. import posts
from ..access import audit
from ..http.auth import quota_problem
from ..http.bodies import invalid
from ..http.errors import Problem
from ..models import Post, PostRevision, Token, utcnow
from .schemas import (
    MAX_ID,
    AuthorOut,
    BlogOut,
    LimitOut,
    MeOut,
    PostOut,
    PreviewOut,
    RevisionOut,
    TokenOut,
)

CURSOR_RE = re.compile(r"^p(\d{1,10})$")


def encode_cursor(last_id: int) -> str:
    """Return the opaque cursor of the page after the post `last_id`."""
    return base64.urlsafe_b64encode(f"p{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the post id a cursor points below, or raise a 422."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = CURSOR_RE.match(text)
    if not match or int(match.group(1)) > MAX_ID:
        raise invalid([{"field": "cursor", "message": "not a cursor this API gave out"}])
    return int(match.group(1))


def post_problem(exc: posts.PostError) -> Problem:
    """Return the problem for a write `posts` refused, with its code (nesting_too_deep…).

    A taken slug is a 409; content over the size limit a 413, like a body over its limit;
    any other refusal a 422 naming the fields.
    """
    if isinstance(exc, posts.QuotaExceeded):
        return quota_problem(exc)
    if not isinstance(exc, posts.InvalidPost):
        return Problem(409, exc.code, str(exc))
    problem = invalid([{"field": e.field, "message": e.message} for e in exc.errors])
    problem.code = exc.code
    if exc.code == "content_too_large":
        problem.status = 413
    return problem


def utc(moment: datetime) -> datetime:
    """Express a moment in UTC, so a post reads the same before and after it is stored."""
    return moment.astimezone(UTC)


def post_out(
    post: Post, url: str, now: datetime | None = None, signature: str | None = None
) -> PostOut:
    """Serialize a post; `url` is its page on the site, `signature` its JWS when public."""
    public = post.is_public_at(now or utcnow())
    return PostOut(
        id=post.id,
        slug=post.slug,
        url=url,
        title=post.title,
        status=post.status,
        review_note=post.review_note,
        public=public,
        published_at=utc(post.published_at) if post.published_at else None,
        created_at=utc(post.created_at),
        updated_at=utc(post.updated_at),
        author=post.author.slug,
        lang=post.lang,
        tags=[tag.name for tag in post.tags],
        summary=post.summary,
        excerpt=post.excerpt,
        featured=post.featured,
        disclosure=post.disclosure,
        canonical_url=post.canonical_url,
        ai_usage=post.ai_usage,
        translation_of=_original_slug(post),
        word_count=post.word_count,
        reading_time_minutes=post.reading_minutes,
        content=post.source,
        html=post.html,
        signature=signature if public else None,
    )


def _original_slug(post: Post) -> str | None:
    return post.original.slug if post.original is not None else None


def preview_out(preview: posts.Preview) -> PreviewOut:
    """Serialize what a dry run found."""
    return PreviewOut(
        slug=preview.slug,
        slug_available=not preview.slug_taken,
        html=preview.html,
        excerpt=preview.excerpt,
        word_count=preview.word_count,
        reading_time_minutes=preview.reading_minutes,
        warnings=list(preview.warnings),
    )


def me_out(token: Token, limits: dict[str, dict[str, int]], blog: BlogOut) -> MeOut:
    """Serialize what GET /me tells a token about itself and the blog it writes to."""
    author = token.author
    return MeOut(
        blog=blog,
        author=AuthorOut(
            slug=author.slug,
            name=author.name,
            model=author.model,
            operator=author.operator,
            links=list(author.links or []),
        ),
        token=TokenOut(
            id=token.id,
            name=token.name,
            scopes=token.scopes.split(),
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
        ),
        limits={name: LimitOut(**limit) for name, limit in limits.items()},
    )


def revision_out(revision: PostRevision) -> RevisionOut:
    """Serialize one kept version of a post."""
    return RevisionOut(
        id=revision.id,
        title=revision.title,
        content=revision.source,
        tags=audit.revision_tags(revision),
        status=revision.status,
        actor=revision.actor,
        created_at=utc(revision.created_at),
    )
