"""The only writer of posts: create, update, preview and import, one transaction each.

Delete, restore and revisions are in `history`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..access import audit, keys
from ..access.audit import Actor
from ..content import language, markup, reading_time, usage
from ..delivery import outbox
from ..extensions import db, write_transaction
from ..models import Author, Post, utcnow
from ..search import index as search_index
from . import counts, quotas, review
from .naming import free_slug, slug_exists, tags_named
from .reads import get_post
from .validate import FieldError, InvalidPost, SlugTaken, render, validate

FIELDS_SET_AS_IS = (
    "title",
    "slug",
    "summary",
    "featured",
    "lang",
    "author",
    "updated_at",
    "disclosure",
    "canonical_url",
    "properties",
    "ai_usage",
)
WRITE_ATTEMPTS = 10  # under PostgreSQL, concurrent writers may pick the same free slug


def create_post(
    author: Author,
    values: dict[str, Any],
    on_save: Callable[[Post], None] | None = None,
    actor: Actor | None = None,
) -> Post:
    """Validate, render and store a new post by `author`; raise PostError on refusal.

    An agent's create (a token actor) is refused with QuotaExceeded past its quotas.

    `on_save(post)` runs inside the same transaction once the post has its id: what it
    writes (an idempotency record) is committed with the post, and if it raises, neither is.
    """
    values = {name: value for name, value in values.items() if value is not None}
    validate(values, creating=True)
    _canonicalize(values)
    rendering = _rendering(values["content"])
    related = search_index.related_for(values["title"], values.get("tags", []))

    def create() -> Post:
        with write_transaction():
            quotas.check_quota(author, actor)
            slug = values.get("slug") or free_slug(values["title"])
            now = utcnow()
            with db.session.no_autoflush:  # one INSERT of the finished row, not three
                post = Post(author=author, slug=slug, status="draft", lang="en")
                post.created_at = post.updated_at = now
                db.session.add(post)
                _assign(post, values, rendering, now)
                review.hold(post, actor)
            outbox.record_write(None, post)
            review.record(None, post)
            audit.keep_revision(post, actor)
            audit.record(actor, "post.created", audit.post_target(post))
            search_index.record(post, related, new=True)
            if on_save is not None:
                db.session.flush()
                on_save(post)
            counts.record(counts.NOTHING, post)  # last: see posts.counts
        return post

    def taken() -> str | None:
        slug = values.get("slug")
        return slug if slug and slug_exists(slug) else None

    return _retried(create, taken)


def _retried(write: Callable[[], Post], taken: Callable[[], str | None]) -> Post:
    """Run `write`, again when a concurrent writer took the same free slug or made one of
    the same new tags first; raise SlugTaken when `taken()` names a slug asked for."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return write()
        except IntegrityError:
            slug = taken()
            if slug is not None:
                raise SlugTaken(slug) from None
            if attempt == WRITE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def update_post(
    post: Post,
    values: dict[str, Any],
    check: Callable[[Post], None] | None = None,
    actor: Actor | None = None,
) -> Post:
    """Apply a partial update to `post`, re-rendering if its content changed.

    `check(post)` sees the locked, current row inside the transaction and may raise to
    refuse the write (a stale If-Match): no concurrent writer can slip in between.
    """
    validate(values, creating=False)
    values = dict(values)
    _canonicalize(values)
    rendering = None
    if "content" in values or "summary" in values:
        rendering = _rendering(values.get("content", post.source))
    post_id = post.id
    tags = values["tags"] if "tags" in values else [tag.name for tag in post.tags]
    related = search_index.related_for(values.get("title", post.title), tags, post_id)

    def taken() -> str | None:
        slug = values.get("slug")
        other = slug and db.session.scalar(select(Post.id).where(Post.slug == slug)) != post_id
        return slug if other else None

    found = (rendering, related)
    return _retried(lambda: _update_once(post_id, values, found, check, actor), taken)


def _update_once(
    post_id: int,
    values: dict[str, Any],
    found: tuple[Rendering | None, str],
    check: Callable[[Post], None] | None,
    actor: Actor | None,
) -> Post:
    rendering, related = found  # worked out before the writers' queue
    with write_transaction():
        post = db.session.get(Post, post_id, with_for_update={"of": Post}, populate_existing=True)
        if post is None:
            raise LookupError(post_id)
        if check is not None:
            check(post)
        before, counted = outbox.state_of(post), counts.counted(post)
        now = utcnow()
        _assign(post, values, rendering, now)
        post.updated_at = values.get("updated_at") or now
        review.hold(post, actor)
        outbox.record_write(before, post)
        review.record(before, post)
        audit.keep_revision(post, actor)
        audit.record(actor, "post.updated", audit.post_target(post))
        search_index.record(post, related)
        counts.record(counted, post)  # last: see posts.counts
    return post


def _canonicalize(values: dict[str, Any]) -> None:
    if "lang" in values:
        values["lang"] = language.canonical(values["lang"])
    if "ai_usage" in values:
        values["ai_usage"] = usage.canonical(values["ai_usage"])


Rendering = tuple[markup.Rendered, reading_time.ReadingTime]


def _rendering(content: str) -> Rendering:
    """Render and count before the write transaction: the writers' queue need not wait."""
    rendered = render(content)
    return rendered, reading_time.estimate(rendered.text, rendered.images)


def _assign(post: Post, values: dict[str, Any], rendering: Rendering | None, now: datetime) -> None:
    for name in FIELDS_SET_AS_IS:
        if name in values:
            setattr(post, name, values[name])
    post.direction = language.direction(post.lang)
    if rendering is not None:
        rendered, reading = rendering
        post.source = values.get("content", post.source)
        post.html = rendered.html
        post.word_count = reading.words
        post.cjk_count = reading.cjk_chars
        post.image_count = reading.images
        post.reading_minutes = reading.minutes
        post.excerpt = post.summary or rendered.excerpt
    if "tags" in values:
        post.tags = tags_named(values["tags"])
    if "translation_of" in values:
        post.translation_of_id = _link_translation(post, values["translation_of"])
    _assign_status(post, values, now)
    post.signing_key = keys.current_key(post.author)  # this version signs with it


def _assign_status(post: Post, values: dict[str, Any], now: datetime) -> None:
    if "published_at" in values:
        post.published_at = values["published_at"]
    if "status" in values:
        post.status = values["status"]
    if post.status == "published" and post.published_at is None:
        post.published_at = now


def translation_root(slug: str) -> Post | None:
    """Return the original a translation of `slug` belongs to: slug's own original, or slug."""
    target = get_post(slug)
    if target is not None and target.translation_of_id is not None:
        return db.session.get(Post, target.translation_of_id) or target
    return target


def _link_translation(post: Post, slug: str) -> int | None:
    if not slug:
        return None
    own = "must name another post, not this one or one of its translations"
    if slug == post.slug:  # a new post is not in the database yet (assembled unflushed)
        raise InvalidPost([FieldError("translation_of", own)])
    root = translation_root(slug)
    if root is None:
        raise InvalidPost([FieldError("translation_of", f"no post has the slug '{slug}'")])
    if root is post or root.slug == post.slug:
        raise InvalidPost([FieldError("translation_of", own)])
    if root.author_id != post.author.id:
        message = f"'{slug}' is another author's post: link translations of your own posts only"
        raise InvalidPost([FieldError("translation_of", message)])
    if post.lang in _group_languages(root, post):
        message = f"the post '{slug}' already has a version in {post.lang}"
        raise InvalidPost([FieldError("translation_of", message)])
    if post.id is not None:
        # Keep groups one level deep: this post's own translations follow it to the original.
        db.session.execute(
            update(Post).where(Post.translation_of_id == post.id).values(translation_of_id=root.id)
        )
    return root.id


def _group_languages(root: Post, post: Post) -> set[str]:
    """Return the languages of `root`'s group (root and its translations), `post` left out."""
    query = select(Post.lang).where(
        or_(Post.id == root.id, Post.translation_of_id == root.id), Post.id != (post.id or 0)
    )
    return set(db.session.scalars(query))


@dataclass(frozen=True)
class Preview:
    """What create_post would store, computed without saving anything."""

    slug: str
    slug_taken: bool
    html: str
    excerpt: str
    word_count: int
    reading_minutes: int
    warnings: tuple[str, ...]


def preview_post(values: dict[str, Any]) -> Preview:
    """Validate and render a new post exactly as create_post would, and save nothing."""
    values = {name: value for name, value in values.items() if value is not None}
    validate(values, creating=True)
    rendered, reading = _rendering(values["content"])
    slug = values.get("slug") or free_slug(values["title"])
    return Preview(
        slug=slug,
        slug_taken="slug" in values and slug_exists(slug),
        html=rendered.html,
        excerpt=values.get("summary") or rendered.excerpt,
        word_count=reading.words,
        reading_minutes=reading.minutes,
        warnings=rendered.warnings,
    )
