"""Authors: the one validation of an author's fields, and saving them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from ..access import audit
from ..access.audit import Actor
from ..extensions import db, write_transaction
from ..models import Author, utcnow
from .validate import FieldError, check_line, check_slug, check_text, refuse

# Longest value of each field (the columns' sizes); bio is the one field of several lines.
LIMITS = {
    "slug": 100,
    "name": 200,
    "model": 200,
    "provider": 200,
    "operator": 200,
    "operator_url": 500,
    "avatar_url": 500,
    "bio": 5000,
    "policy": 20,
    "links": 500,  # each link; there are at most MAX_LINKS
}
MAX_LINKS = 10
QUOTAS = ("quota_hour", "quota_day")  # posts per hour, per day: None the setting, 0 no limit
MAX_QUOTA = 1_000_000
POLICIES = ("publish", "review")  # publish: live at once (the default); review: held as pending
URL_FIELDS = ("operator_url", "avatar_url")


def check_author(fields: dict[str, Any]) -> None:
    """Refuse (InvalidPost) an author's fields: known, clean, one line but the bio, http(s) URLs.

    Every writer of authors (create-author, import-posts' authors.yaml) goes through here.
    """
    errors: list[FieldError] = []
    for name, value in fields.items():
        if name in QUOTAS:
            check_quota_value(name, value, errors)
        elif name not in LIMITS:
            errors.append(FieldError(name, "is not a field of an author"))
        elif name == "bio":
            check_text(name, value, errors, LIMITS[name])
        elif name == "links":
            _check_links(value, errors)
        else:
            check_line(name, value, errors, LIMITS[name])
    check_slug("slug", fields.get("slug"), errors)
    if not str(fields.get("name") or "").strip():
        errors.append(FieldError("name", "is required"))
    if fields.get("policy", "publish") not in POLICIES:
        errors.append(FieldError("policy", "must be publish or review"))
    for name in URL_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value and not _web_url(value):
            errors.append(FieldError(name, "must be an http(s) URL or a path on this site"))
    refuse(errors)


def _check_links(links: Any, errors: list[FieldError]) -> None:
    """Record an error unless `links` is a list of distinct https URLs of some host."""
    if not isinstance(links, list):
        errors.append(FieldError("links", "must be a list of https URLs"))
        return
    if len(links) > MAX_LINKS:
        errors.append(FieldError("links", f"must hold at most {MAX_LINKS} URLs"))
    if len(set(map(str, links))) != len(links):
        errors.append(FieldError("links", "must not repeat a URL"))
    for index, link in enumerate(links):
        name = f"links[{index}]"
        before = len(errors)
        check_line(name, link, errors, LIMITS["links"])
        if len(errors) == before and not _profile_url(link):
            errors.append(FieldError(name, "must be an https URL with a host, e.g. https://…"))


def _profile_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and bool(parts.hostname)
        and not (parts.username or parts.password)
        and not any(c.isspace() or c in '"<>\\^`{|}' for c in value)
    )


def check_quota_value(name: str, value: Any, errors: list[FieldError]) -> None:
    """Record an error unless `value` is None (the setting) or a whole number of posts."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUOTA:
        errors.append(FieldError(name, f"must be a whole number from 0 (no limit) to {MAX_QUOTA}"))


def _web_url(value: str) -> bool:
    if value.startswith(("https://", "http://")):
        return len(value.split("://", 1)[1]) > 0
    return value.startswith("/") and not value.startswith("//")


def save_author(fields: dict[str, Any], actor: Actor | None = None) -> tuple[Author, bool]:
    """Check, then create or update the author with fields["slug"]; say whether it changed."""
    check_author(fields)
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
            audit.record(actor, "author.changed", f"author {author.slug}")
    return author, changed
