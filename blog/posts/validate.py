"""What every writer of posts must send: the one validation of fields, sizes and rendering."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from slugify import slugify

from ..content import disclosure, language, markup, usage

STATUSES = ("draft", "published")
# What only a review or a deletion sets (posts.review, posts.history); never public.
REVIEW_STATUSES = ("pending", "changes_requested", "rejected", "deleted")
DISCLOSURES = tuple(disclosure.LEVELS)  # ai-generated (the default), ai-assisted, human
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
SLUG_RULE = f"must match {SLUG_RE.pattern}"
# C0 controls but tab/newline/CR, DEL, lone surrogates and XML's non-characters.
BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# What a one-line field (a title, a tag, a name) may not hold either: tabs, line and
# paragraph breaks, C1 controls. A break there could start a new line in llms.txt or a header.
LINE_BREAKS = re.compile("[\t\n\r\x80-\x9f\u2028\u2029]")
# Symbols that would otherwise vanish from a tag's URL name, so that C++ and C# stay apart.
TAG_SYMBOLS = [["+", " plus "], ["#", " sharp "], ["&", " and "], ["@", " at "]]
MAX_TITLE = 300
MAX_TAGS = 20
MAX_TAG_LENGTH = 50
MAX_SUMMARY = 1000
MAX_PROPERTIES_BYTES = 65_536  # the JSON of a post's extra microformats2 properties


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


def check_text(
    field: str, value: Any, errors: list[FieldError], max_length: int = 0, one_line: bool = False
) -> None:
    """Record an error if `value` is not clean text within the length limit (on one line)."""
    if not isinstance(value, str):
        errors.append(FieldError(field, "must be text"))
    elif BAD_CHARS.search(value):
        errors.append(FieldError(field, "contains control characters or invalid code points"))
    elif one_line and LINE_BREAKS.search(value):
        errors.append(FieldError(field, "must be one line: no line breaks, tabs or controls"))
    elif max_length and len(value) > max_length:
        errors.append(FieldError(field, f"must be at most {max_length} characters"))


def check_line(field: str, value: Any, errors: list[FieldError], max_length: int = 0) -> None:
    """Record an error if `value` is not clean text on one line within the length limit."""
    check_text(field, value, errors, max_length, one_line=True)


def check_moment(field: str, value: Any, errors: list[FieldError]) -> None:
    """Record an error unless `value` is a date and time with a zone that UTC can hold."""
    if value is None:
        return
    if not isinstance(value, datetime) or value.tzinfo is None:
        errors.append(FieldError(field, "must be a date and time with a timezone"))
        return
    try:
        value.astimezone(UTC)
    except (OverflowError, ValueError):
        errors.append(FieldError(field, "must be between years 1 and 9999 once in UTC"))


def tag_key(name: str) -> str:
    """Return what makes two tag names the same tag: case and spacing aside."""
    return " ".join(name.split()).casefold()


def tag_slug(name: str) -> str:
    """Return a tag's URL name: its letters and digits, with +, #, & and @ spelled out."""
    return slugify(name, max_length=100, replacements=TAG_SYMBOLS)


def check_slug(field: str, value: Any, errors: list[FieldError]) -> None:
    """Record an error unless `value` is a slug: lowercase letters, digits and hyphens."""
    if not isinstance(value, str) or not SLUG_RE.match(value):
        errors.append(FieldError(field, SLUG_RULE))


def refuse(errors: list[FieldError]) -> None:
    """Raise InvalidPost naming every field at fault, if there is any."""
    if errors:
        raise InvalidPost(errors)


def validate(values: dict[str, Any], creating: bool) -> None:
    """Refuse (InvalidPost) a post's fields unless every one is well-formed."""
    check_size(values.get("content"))
    errors: list[FieldError] = []
    for name in ("title", "content"):
        if creating and not str(values.get(name) or "").strip():
            errors.append(FieldError(name, "is required"))
        elif name in values:
            check_text(
                name, values[name], errors, MAX_TITLE if name == "title" else 0, name == "title"
            )
            if isinstance(values[name], str) and not values[name].strip():
                errors.append(FieldError(name, "must not be empty"))
    if "summary" in values:
        check_line("summary", values["summary"], errors, MAX_SUMMARY)
    if "slug" in values:
        check_slug("slug", values["slug"], errors)
    if "lang" in values and language.canonical(values["lang"]) is None:
        errors.append(FieldError("lang", "must be a BCP 47 language tag such as en or zh-Hans"))
    if "translation_of" in values:
        original = values["translation_of"]
        if not isinstance(original, str) or (original and not SLUG_RE.match(original)):
            errors.append(FieldError("translation_of", "must be the slug of the original post"))
    _check_choices(values, errors)
    if "canonical_url" in values:
        check_line("canonical_url", values["canonical_url"], errors, 500)
        url = str(values["canonical_url"])
        if url and not url.startswith(("https://", "http://")):
            errors.append(FieldError("canonical_url", "must be an http(s) URL"))
    if "tags" in values:
        _check_tags(values["tags"], errors)
    for name in ("published_at", "updated_at"):
        check_moment(name, values.get(name), errors)
    if "properties" in values:
        _check_properties(values["properties"], errors)
    refuse(errors)


def _check_properties(properties: Any, errors: list[FieldError]) -> None:
    """Record an error unless `properties` is None or {name: [values]} within the size limit."""
    if properties is None:
        return
    if not isinstance(properties, dict) or not all(
        isinstance(name, str) and isinstance(value, list) for name, value in properties.items()
    ):
        errors.append(FieldError("properties", "must map property names to lists of values"))
        return
    try:
        size = len(json.dumps(properties, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError, UnicodeEncodeError):
        errors.append(FieldError("properties", "must hold JSON text, numbers, lists and objects"))
        return
    if size > MAX_PROPERTIES_BYTES:
        message = f"are {size} bytes of JSON; the limit is {MAX_PROPERTIES_BYTES}"
        errors.append(FieldError("properties", message))


def _check_choices(values: dict[str, Any], errors: list[FieldError]) -> None:
    if "status" in values and values["status"] not in STATUSES:
        errors.append(FieldError("status", "must be draft or published"))
    if "disclosure" in values and values["disclosure"] not in DISCLOSURES:
        errors.append(FieldError("disclosure", "must be ai-generated, ai-assisted or human"))
    if "ai_usage" in values:
        try:
            usage.parse(values["ai_usage"])
        except ValueError as exc:
            errors.append(FieldError("ai_usage", str(exc)))


def _check_tags(tags: Any, errors: list[FieldError]) -> None:
    if not isinstance(tags, list):
        errors.append(FieldError("tags", "must be a list of names"))
        return
    if len(tags) > MAX_TAGS:
        errors.append(FieldError("tags", f"at most {MAX_TAGS} tags"))
    for tag in tags:
        check_line("tags", tag, errors, MAX_TAG_LENGTH)
        if isinstance(tag, str) and not tag_slug(tag):
            errors.append(FieldError("tags", f"'{tag}' has no letters or digits"))


def check_size(content: Any) -> None:
    """Refuse content over API_MAX_MARKDOWN_BYTES (code content_too_large), from any writer."""
    if not isinstance(content, str):
        return
    size, most = len(content.encode("utf-8", "surrogatepass")), _settings("API_MAX_MARKDOWN_BYTES")
    if size > most:
        message = f"is {size} bytes of UTF-8; the limit is {most}"
        raise InvalidPost([FieldError("content", message)], code="content_too_large")


def render(content: str) -> markup.Rendered:
    """Render markdown within the size limit and RENDER_BUDGET, or refuse it by its code."""
    check_size(content)
    try:
        return markup.render(content, budget=_settings("RENDER_BUDGET"))
    except markup.MarkupError as exc:
        raise InvalidPost([FieldError("content", str(exc))], code=exc.code) from exc


def _settings(name: str) -> Any:
    return current_app.config[name]
