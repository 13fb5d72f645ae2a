"""The only writer of posts: validation, rendering at save time, tags, slugs, import."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from slugify import slugify
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from . import disclosure, language, markup, outbox, reading_time
from .extensions import db, write_transaction
from .frontmatter import PostFile
from .models import Author, Post, Tag, utcnow
from .queries import get_post

STATUSES = ("draft", "published")
DISCLOSURES = tuple(disclosure.LEVELS)  # ai-generated (the default), ai-assisted, human
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
# C0 controls but tab/newline/CR, DEL, lone surrogates and XML's non-characters.
BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
RTL_LANGS = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku", "ps", "sd", "ug", "ur", "yi"}
RTL_SCRIPTS = {"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg"}
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
)
MAX_TITLE = 300
MAX_TAGS = 20
MAX_TAG_LENGTH = 50
MAX_SUMMARY = 1000
WRITE_ATTEMPTS = 10  # under PostgreSQL, concurrent writers may pick the same free slug


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class PostError(Exception):
    """A write we refuse; `code` is stable and machine-readable."""

    code = "invalid_post"


class InvalidPost(PostError):
    code = "validation_failed"

    def __init__(self, errors: list[FieldError], code: str = "") -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
        self.code = code or self.code


class SlugTaken(PostError):
    code = "slug_conflict"

    def __init__(self, slug: str) -> None:
        super().__init__(f"another post already uses the slug '{slug}'")
        self.slug = slug


# ---------------------------------------------------------------- validation


def text_direction(lang: str) -> str:
    """Return "rtl" for right-to-left languages and scripts, else "ltr"."""
    parts = lang.lower().split("-")
    if parts[0] in RTL_LANGS or any(p in RTL_SCRIPTS for p in parts[1:]):
        return "rtl"
    return "ltr"


def check_text(field: str, value: Any, errors: list[FieldError], max_length: int = 0) -> None:
    """Record an error if `value` is not clean text within the length limit."""
    if not isinstance(value, str):
        errors.append(FieldError(field, "must be text"))
    elif BAD_CHARS.search(value):
        errors.append(FieldError(field, "contains control characters or invalid code points"))
    elif max_length and len(value) > max_length:
        errors.append(FieldError(field, f"must be at most {max_length} characters"))


def _validate(values: dict[str, Any], creating: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    for name in ("title", "content"):
        if creating and not str(values.get(name) or "").strip():
            errors.append(FieldError(name, "is required"))
        elif name in values:
            check_text(name, values[name], errors, MAX_TITLE if name == "title" else 0)
            if isinstance(values[name], str) and not values[name].strip():
                errors.append(FieldError(name, "must not be empty"))
    if "summary" in values:
        check_text("summary", values["summary"], errors, MAX_SUMMARY)
    if "slug" in values and not SLUG_RE.match(str(values["slug"])):
        errors.append(FieldError("slug", "must match ^[a-z0-9][a-z0-9-]{0,99}$"))
    if "lang" in values and language.canonical(values["lang"]) is None:
        errors.append(FieldError("lang", "must be a BCP 47 language tag such as en or zh-Hans"))
    if "translation_of" in values:
        original = values["translation_of"]
        if not isinstance(original, str) or (original and not SLUG_RE.match(original)):
            errors.append(FieldError("translation_of", "must be the slug of the original post"))
    if "status" in values and values["status"] not in STATUSES:
        errors.append(FieldError("status", "must be draft or published"))
    if "disclosure" in values and values["disclosure"] not in DISCLOSURES:
        errors.append(FieldError("disclosure", "must be ai-generated, ai-assisted or human"))
    if "canonical_url" in values:
        check_text("canonical_url", values["canonical_url"], errors, 500)
        url = str(values["canonical_url"])
        if url and not url.startswith(("https://", "http://")):
            errors.append(FieldError("canonical_url", "must be an http(s) URL"))
    if "tags" in values:
        _validate_tags(values["tags"], errors)
    for name in ("published_at", "updated_at"):
        moment = values.get(name)
        if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
            errors.append(FieldError(name, "must be a date and time with a timezone"))
    return errors


def _validate_tags(tags: Any, errors: list[FieldError]) -> None:
    if not isinstance(tags, list):
        errors.append(FieldError("tags", "must be a list of names"))
        return
    if len(tags) > MAX_TAGS:
        errors.append(FieldError("tags", f"at most {MAX_TAGS} tags"))
    for tag in tags:
        check_text("tags", tag, errors, MAX_TAG_LENGTH)
        if isinstance(tag, str) and not slugify(tag):
            errors.append(FieldError("tags", f"'{tag}' has no letters or digits"))


# ---------------------------------------------------------------- writing


def create_post(
    author: Author, values: dict[str, Any], on_save: Callable[[Post], None] | None = None
) -> Post:
    """Validate, render and store a new post by `author`; raise PostError on refusal.

    `on_save(post)` runs inside the same transaction once the post has its id: what it
    writes (an idempotency record) is committed with the post, and if it raises, neither is.
    """
    values = {name: value for name, value in values.items() if value is not None}
    errors = _validate(values, creating=True)
    if errors:
        raise InvalidPost(errors)
    _canonicalize(values)
    rendered = _render(values["content"])
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with write_transaction():
                slug = values.get("slug") or _free_slug(values["title"])
                post = Post(author=author, slug=slug, status="draft", lang="en")
                db.session.add(post)
                _assign(post, values, rendered)
                outbox.record_write(None, post)
                if on_save is not None:
                    db.session.flush()
                    on_save(post)
            return post
        except IntegrityError:
            # A concurrent writer took the slug or created the same tag first.
            if "slug" in values and _slug_exists(values["slug"]):
                raise SlugTaken(values["slug"]) from None
            if attempt == WRITE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def update_post(
    post: Post, values: dict[str, Any], check: Callable[[Post], None] | None = None
) -> Post:
    """Apply a partial update to `post`, re-rendering if its content changed.

    `check(post)` sees the locked, current row inside the transaction and may raise to
    refuse the write (a stale If-Match): no concurrent writer can slip in between.
    """
    errors = _validate(values, creating=False)
    if errors:
        raise InvalidPost(errors)
    values = dict(values)
    _canonicalize(values)
    rendered = None
    if "content" in values or "summary" in values:
        rendered = _render(values.get("content", post.source))
    post_id = post.id
    try:
        with write_transaction():
            post = db.session.get(
                Post, post_id, with_for_update={"of": Post}, populate_existing=True
            )
            if post is None:
                raise LookupError(post_id)
            if check is not None:
                check(post)
            before = outbox.state_of(post)
            _assign(post, values, rendered)
            post.updated_at = values.get("updated_at") or utcnow()
            outbox.record_write(before, post)
    except IntegrityError:
        raise SlugTaken(values.get("slug", "")) from None
    return post


def delete_post(post: Post) -> None:
    """Delete a post and its tag links."""
    post_id = post.id
    with write_transaction():
        doomed = db.session.get(Post, post_id)
        if doomed is not None:
            outbox.record_delete(doomed)
            db.session.delete(doomed)


def _canonicalize(values: dict[str, Any]) -> None:
    if "lang" in values:
        values["lang"] = language.canonical(values["lang"])


def _render(content: str) -> markup.Rendered:
    settings = current_app.config
    size, most = len(content.encode("utf-8", "surrogatepass")), settings["API_MAX_MARKDOWN_BYTES"]
    if size > most:
        message = f"is {size} bytes of UTF-8; the limit is {most}"
        raise InvalidPost([FieldError("content", message)], code="content_too_large")
    try:
        return markup.render(content, budget=settings["RENDER_BUDGET"])
    except markup.MarkupError as exc:
        raise InvalidPost([FieldError("content", str(exc))], code=exc.code) from exc


def _assign(post: Post, values: dict[str, Any], rendered: markup.Rendered | None) -> None:
    for name in FIELDS_SET_AS_IS:
        if name in values:
            setattr(post, name, values[name])
    post.direction = text_direction(post.lang)
    if rendered is not None:
        counts = reading_time.estimate(rendered.text, rendered.images)
        post.source = values.get("content", post.source)
        post.html = rendered.html
        post.word_count = counts.words
        post.cjk_count = counts.cjk_chars
        post.image_count = counts.images
        post.reading_minutes = counts.minutes
        post.excerpt = post.summary or rendered.excerpt
    if "tags" in values:
        post.tags = _tags_named(values["tags"])
    if "translation_of" in values:
        post.translation_of_id = _link_translation(post, values["translation_of"])
    _assign_status(post, values)


def _assign_status(post: Post, values: dict[str, Any]) -> None:
    if "published_at" in values:
        post.published_at = values["published_at"]
    if "status" in values:
        post.status = values["status"]
    if post.status == "published" and post.published_at is None:
        post.published_at = utcnow()


def _translation_root(slug: str) -> Post | None:
    """Return the original a translation of `slug` belongs to: slug's own original, or slug."""
    target = get_post(slug)
    if target is not None and target.translation_of_id is not None:
        return db.session.get(Post, target.translation_of_id) or target
    return target


def _link_translation(post: Post, slug: str) -> int | None:
    if not slug:
        return None
    root = _translation_root(slug)
    if root is None:
        raise InvalidPost([FieldError("translation_of", f"no post has the slug '{slug}'")])
    if root is post or root.slug == post.slug:
        message = "must name another post, not this one or one of its translations"
        raise InvalidPost([FieldError("translation_of", message)])
    if post.id is not None:
        # Keep groups one level deep: this post's own translations follow it to the original.
        db.session.execute(
            update(Post).where(Post.translation_of_id == post.id).values(translation_of_id=root.id)
        )
    return root.id


def _tags_named(names: list[str]) -> list[Tag]:
    by_slug: dict[str, str] = {}
    for name in names:
        by_slug.setdefault(slugify(name, max_length=100), name.strip())
    existing = db.session.scalars(select(Tag).where(Tag.slug.in_(by_slug))).all()
    found = {tag.slug: tag for tag in existing}
    for slug, name in by_slug.items():
        if slug not in found:
            found[slug] = Tag(slug=slug, name=name)
            db.session.add(found[slug])
    return [found[slug] for slug in by_slug]


def _slug_exists(slug: str) -> bool:
    return db.session.scalar(select(Post.id).where(Post.slug == slug)) is not None


def _free_slug(title: str) -> str:
    base = slugify(title, max_length=90, word_boundary=True) or "post"
    candidate, n = base, 1
    while _slug_exists(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def import_post(post_file: PostFile, author: Author) -> str:
    """Create or update the post a posts/*.md file describes; return what happened."""
    values = _values_from_file(post_file)
    existing = get_post(values["slug"]) if values.get("slug") else None
    if existing is None:
        create_post(author, values)
        return "created"
    changes = {name: value for name, value in values.items() if _differs(existing, name, value)}
    if existing.author_id != author.id:
        changes["author"] = author
    if not changes:
        return "unchanged"
    changes.setdefault("updated_at", values.get("updated_at") or utcnow())
    update_post(existing, changes)
    return "updated"


def _values_from_file(post_file: PostFile) -> dict[str, Any]:
    meta = post_file.fields
    values: dict[str, Any] = {
        "title": meta.get("title", ""),
        "content": post_file.body,
        "tags": meta.get("tags", []),
        "featured": meta.get("featured", False),
        "lang": language.canonical(meta.get("lang", "en")) or meta.get("lang"),
        "status": "draft" if meta.get("draft") else "published",
        "summary": meta.get("summary", ""),
        "disclosure": meta.get("ai_disclosure", disclosure.DEFAULT),
        "canonical_url": meta.get("canonical_url", ""),
        "translation_of": meta.get("translation_of", ""),
    }
    slug = meta.get("slug") or slugify(str(values["title"]), max_length=90, word_boundary=True)
    if slug:
        values["slug"] = slug
    if "date" in meta:
        values["published_at"] = meta["date"]
    if "updated" in meta or "date" in meta:
        values["updated_at"] = meta.get("updated") or meta["date"]
    return values


def _differs(post: Post, name: str, value: Any) -> bool:
    if name == "content":
        return post.source != value
    if name == "tags":
        return {tag.slug for tag in post.tags} != {slugify(t, max_length=100) for t in value}
    if name == "updated_at":
        return False  # a change of its own is not a reason to rewrite the post
    if name == "translation_of":
        root = _translation_root(value) if value else None
        # A slug that names no post differs, so the update refuses it by name.
        return bool(value and root is None) or (root.id if root else None) != post.translation_of_id
    return getattr(post, name) != value


def save_author(fields: dict[str, Any]) -> tuple[Author, bool]:
    """Create or update the author with fields["slug"]; return it and whether it changed."""
    with write_transaction():
        author = db.session.scalar(select(Author).where(Author.slug == fields["slug"]))
        changed = author is None
        if author is None:
            author = Author(slug=fields["slug"])
            db.session.add(author)
        for name, value in fields.items():
            if getattr(author, name, None) != value:
                setattr(author, name, value)
                changed = True
        if changed:
            author.updated_at = utcnow()
    return author, changed


# ---------------------------------------------------------------- authoring API


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
    errors = _validate(values, creating=True)
    if errors:
        raise InvalidPost(errors)
    rendered = _render(values["content"])
    counts = reading_time.estimate(rendered.text, rendered.images)
    slug = values.get("slug") or _free_slug(values["title"])
    return Preview(
        slug=slug,
        slug_taken="slug" in values and _slug_exists(slug),
        html=rendered.html,
        excerpt=values.get("summary") or rendered.excerpt,
        word_count=counts.words,
        reading_minutes=counts.minutes,
        warnings=rendered.warnings,
    )
