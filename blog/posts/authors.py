"""Authors: the one validation of an author's fields, and saving them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db, write_transaction
from ..models import Author, utcnow
from .validate import FieldError, check_slug, check_text, refuse

MAX_AUTHOR_FIELD = 500


def check_author(fields: dict[str, Any]) -> None:
    """Refuse (InvalidPost) an author's fields unless each is clean text and the slug a slug."""
    errors: list[FieldError] = []
    for name, value in fields.items():
        check_text(name, value, errors, MAX_AUTHOR_FIELD)
    check_slug("slug", fields.get("slug"), errors)
    refuse(errors)


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
