"""How a post's slug and tags are found: the first free slug for a title, tags by name."""

from __future__ import annotations

from slugify import slugify
from sqlalchemy import bindparam, func, or_, select

from ..extensions import db
from ..models import Post, Tag
from .validate import FieldError, InvalidPost, tag_key, tag_slug

SLUG_BATCH = 32  # candidate slugs asked for at once: base, base-2, … base-32


def tags_named(names: list[str]) -> list[Tag]:
    """Return the tags with these names, made when new; distinct names get distinct slugs."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(tag_key(name), " ".join(name.split()))
    slugs = {key: tag_slug(name) for key, name in wanted.items()}
    found_by = {"keys": list(wanted), "slugs": list(slugs.values())}
    candidates = db.session.scalars(_TAGS_NAMED, found_by).all()
    by_key = {tag_key(tag.name): tag for tag in candidates}
    by_slug = {tag.slug: tag for tag in candidates}
    found: list[Tag] = []
    new: list[Tag] = []
    for key, name in wanted.items():
        tag = by_key.get(key)
        if tag is None and slugs[key] in by_slug:
            other = by_slug[slugs[key]].name
            message = f"'{name}' would share the address /tags/{slugs[key]} with the tag '{other}'"
            raise InvalidPost([FieldError("tags", message + "; name it differently")])
        if tag is None:
            tag = Tag(slug=slugs[key], name=name)
            new.append(tag)
            by_slug[tag.slug] = tag
        found.append(tag)
    # Inserted in slug order: two writers making the same new tags wait for each other's
    # first one instead of each holding one the other needs (a deadlock on PostgreSQL).
    db.session.add_all(sorted(new, key=lambda tag: tag.slug))
    return found


# Built once: a publish runs them with new values only.
_TAGS_NAMED = select(Tag).where(
    or_(
        func.lower(Tag.name).in_(bindparam("keys", expanding=True)),
        Tag.slug.in_(bindparam("slugs", expanding=True)),
    )
)
_SLUGS_TAKEN = select(Post.slug).where(Post.slug.in_(bindparam("slugs", expanding=True)))


def slug_exists(slug: str) -> bool:
    return db.session.scalar(select(Post.id).where(Post.slug == slug)) is not None


def free_slug(title: str) -> str:
    base = slugify(title, max_length=90, word_boundary=True) or "post"
    for first in range(1, 10**6, SLUG_BATCH):
        # One indexed IN lookup for a batch of candidates: a title used k times cost k queries.
        candidates = [numbered(base, n) for n in range(first, first + SLUG_BATCH)]
        taken = set(db.session.scalars(_SLUGS_TAKEN, {"slugs": candidates}))
        free = next((slug for slug in candidates if slug not in taken), None)
        if free is not None:
            return free
    raise AssertionError("unreachable: a million posts with one title")


def numbered(base: str, n: int) -> str:
    return base if n == 1 else f"{base}-{n}"
