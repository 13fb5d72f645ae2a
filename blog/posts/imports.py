"""Import posts/*.md files: each file is one post, found again by its slug on every run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..formats.frontmatter import PostFile, post_fields
from ..models import Author, Post, utcnow
from .reads import get_post
from .validate import FieldError, InvalidPost, tag_key
from .write import create_post, translation_root, update_post


@dataclass
class SlugClaims:
    """The slugs one import run hands out, so that two files never become one post.

    A file's own `slug:` is its key; a file without one gets its title's slug, or, when an
    earlier file of the run (or any file's own `slug:`) has it, the next free `-2`, `-3`…
    The same files get the same slugs on every run.
    """

    explicit: dict[str, str] = field(default_factory=dict)  # slug -> the file that names it
    taken: dict[str, str] = field(default_factory=dict)  # slug -> the file that got it
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, files: dict[str, PostFile]) -> SlugClaims:
        """Start a run over these parsed files (by file name)."""
        claims = cls()
        for name, post_file in files.items():
            if post_file.fields.get("slug"):
                claims.explicit.setdefault(post_file.fields["slug"], name)
        return claims

    def claim(self, name: str, slug: str, own: bool) -> str:
        """Return the slug the file `name` gets; refuse a `slug:` another file names too."""
        if own:
            other = self.explicit.get(slug, name)
            if other != name:
                message = f"'{slug}' is also the slug of {other} in this import"
                raise InvalidPost([FieldError("slug", message)])
            self.taken[slug] = name
            return slug
        candidate, n = slug, 1
        while self.taken.get(candidate, name) != name or self.explicit.get(candidate, name) != name:
            n += 1
            candidate = f"{slug}-{n}"
        self.taken[candidate] = name
        if candidate != slug:
            holder = self.explicit.get(slug) or self.taken[slug]
            self.notes.append(f"{name}: the slug {slug} belongs to {holder}; using {candidate}")
        return candidate


def import_post(post_file: PostFile, author: Author, claims: SlugClaims | None = None) -> str:
    """Create or update the post a posts/*.md file describes; return what happened."""
    values = post_fields(post_file)
    if claims is not None and values.get("slug"):
        own = bool(post_file.fields.get("slug"))
        values["slug"] = claims.claim(post_file.path, values["slug"], own)
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


def _differs(post: Post, name: str, value: Any) -> bool:
    if name == "content":
        return post.source != value
    if name == "tags":
        return {tag_key(tag.name) for tag in post.tags} != {tag_key(t) for t in value}
    if name == "properties":
        return (post.properties or None) != value
    if name == "updated_at":
        return False  # a change of its own is not a reason to rewrite the post
    if name == "translation_of":
        root = translation_root(value) if value else None
        # A slug that names no post differs, so the update refuses it by name.
        return bool(value and root is None) or (root.id if root else None) != post.translation_of_id
    return getattr(post, name) != value
