"""Between a post and its microformats2 properties: what Micropub sends, what q=source shows.

name, content, summary, category, published and post-status map onto the post's fields;
every other property (photo, location, like-of, a nested h-card…) is kept as sent in
`Post.properties` and shown again by q=source.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import nh3

from .. import posts
from ..content import sanitize
from ..http.errors import Problem
from ..models import Post
from ..posts.validate import check_size

SINGLE = ("name", "summary", "published", "post-status")
COLUMNS = (*SINGLE, "content", "category")
TITLE_CHARS = 80
MAX_VALUES = 100  # values of one property
Properties = dict[str, list[Any]]


def bad(detail: str) -> Problem:
    return Problem(400, "invalid_request", detail)


def post_values(properties: Properties) -> dict[str, Any]:
    """Turn h-entry properties into the writer's fields (title, content, tags…), or 400."""
    for name, values in properties.items():
        if not isinstance(values, list):
            raise bad(f"{name} must be a list of values, not {type(values).__name__}")
        if len(values) > MAX_VALUES:
            raise bad(f"{name} has more than {MAX_VALUES} values")
    values: dict[str, Any] = {}
    for name in SINGLE:
        if name in properties:
            values[name] = _one_text(name, properties[name])
    content, kept_html = _content(properties.get("content"))
    if content is None:
        raise bad("content is required: every post here has a text")
    extras = {k: v for k, v in properties.items() if k not in COLUMNS}
    _check_extras(extras)
    if kept_html is not None:
        extras["content"] = [{"html": kept_html}]
    fields: dict[str, Any] = {
        "title": values.get("name") or derived_title(content, kept_html is not None),
        "content": content,
        "summary": values.get("summary", ""),
        "tags": _categories(properties.get("category", [])),
        "properties": extras or None,
    }
    if "published" in values:
        fields["published_at"] = _moment(values["published"])
    if "post-status" in values:
        fields["status"] = values["post-status"]
        if fields["status"] not in posts.STATUSES:
            raise bad("post-status must be published or draft")
    return fields


def source(post: Post, url: str) -> Properties:
    """Return every property of `post`, as q=source shows and updates start from."""
    extras = dict(post.properties or {})
    kept = extras.pop("content", None)
    sent_html = kept is not None and kept[0].get("html") == post.source
    content = {"html": post.source, "value": _text(post.html)} if sent_html else post.source
    found: Properties = {
        "name": [post.title],
        "content": [content],
        "post-status": [post.status],
        "url": [url],
    }
    if post.published_at is not None:
        found["published"] = [post.published_at.isoformat(timespec="seconds")]
    if post.summary:
        found["summary"] = [post.summary]
    if post.tags:
        found["category"] = [tag.name for tag in post.tags]
    return {**found, **extras}


def derived_title(content: str, is_html: bool) -> str:
    """Make a title for a post sent without a name (a note): the start of its text."""
    text = " ".join((_text(content) if is_html else content).split())
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[:TITLE_CHARS].rsplit(" ", 1)[0]
    return cut + "…"


def _one_text(name: str, values: list[Any]) -> str:
    if len(values) != 1:
        raise bad(f"{name} takes exactly one value, not {len(values)}")
    if not isinstance(values[0], str):
        raise bad(f"{name} must be text, not {type(values[0]).__name__}")
    return values[0]


def _content(values: list[Any] | None) -> tuple[str | None, str | None]:
    """Return (the markdown or sanitized HTML to store, that HTML if HTML was sent)."""
    if not values:
        return None, None
    if len(values) != 1:
        raise bad("content takes exactly one value")
    value = values[0]
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict) and isinstance(value.get("html"), str):
        try:
            check_size(value["html"])  # the sanitizer's time grows with its input: bound it first
            clean = sanitize.sanitize(value["html"])
        except posts.PostError as exc:
            raise Problem(413, exc.code, str(exc)) from None
        except sanitize.MarkupError as exc:
            raise bad(f"content: {exc}") from None
        return clean, clean
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        return value["value"], None
    raise bad('content must be text, {"html": "…"} or {"value": "…"}')


def _categories(values: list[Any]) -> list[str]:
    names = []
    for value in values:
        if not isinstance(value, str):
            raise bad("category values must be text (tag names), not objects")
        names.append(value)
    return names


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise bad(f"published {text!r} is not an ISO 8601 date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_extras(extras: Properties) -> None:
    for name, values in extras.items():
        for value in values:
            _check_value(name, value, 0)
        if name == "photo":
            _check_photos(values)


def _check_value(name: str, value: Any, depth: int) -> None:
    """Refuse what a microformats2 value cannot be: only text and objects, clean and shallow."""
    if isinstance(value, str):
        errors: list[posts.FieldError] = []
        posts.check_text(name, value, errors)
        if errors:
            raise bad(f"{name}: {errors[0].message}")
    elif isinstance(value, dict) and depth < 4:
        for key, inner in value.items():
            items = inner if isinstance(inner, list) else [inner]
            for item in items:
                _check_value(f"{name}.{key}", item, depth + 1)
    else:
        raise bad(f"{name} values must be text or objects (nesting at most 4 deep)")


def _check_photos(values: list[Any]) -> None:
    for value in values:
        url = value.get("value") if isinstance(value, dict) else value
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise bad('photo must be an http(s) URL or {"value": URL, "alt": text}')


def _text(fragment: str) -> str:
    return html.unescape(nh3.clean(fragment, tags=set()))
