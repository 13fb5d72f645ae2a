"""Post files (YAML front matter + markdown) and authors.yaml, both ways, in one place.

parse_post and post_fields read a file into a post's fields; post_document writes a post
back as a file that they read unchanged; parse_authors and authors_document do the same
for authors. Pure: no Flask, no database (the caller passes the post or author objects).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import yaml
from slugify import slugify

from ..content import disclosure, language

POST_KEYS = {
    "title": str,
    "slug": str,
    "date": datetime,
    "updated": datetime,
    "tags": list,
    "featured": bool,
    "author": str,
    "lang": str,
    "draft": bool,
    "summary": str,
    "ai_disclosure": str,
    "canonical_url": str,
    "translation_of": str,
    "ai_usage": str,
    "properties": dict,  # Micropub's extra microformats2 properties; written by `export` only
}
# Written by `export` for readers of the file; ignored by import (the database is the truth).
INFO_KEYS = {"url", "author_name", "model", "operator"}
AUTHOR_KEYS = {
    "slug": str,
    "name": str,
    "bio": str,
    "model": str,
    "provider": str,
    "operator": str,
    "operator_url": str,
    "avatar_url": str,
    "policy": str,
    "links": list,
    "quota_hour": int,
    "quota_day": int,
}
FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.DOTALL | re.MULTILINE)
H1 = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*\r?\n")


class FrontMatterError(ValueError):
    """A file we cannot read, with the file's name and the 1-based line at fault."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass
class PostFile:
    fields: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    path: str = "<post>"


def parse_post(text: str, path: str = "<post>") -> PostFile:
    """Split a post file into typed front-matter fields and its markdown body."""
    match = FENCE.match(text)
    if match is None:
        if text.startswith("---"):
            raise FrontMatterError(path, 1, "front matter opened with --- but never closed")
        meta, body, body_line = {}, text, 1
    else:
        meta = _load_yaml(match.group(1), path, first_line=2)
        body = text[match.end() :]
        body_line = text.count("\n", 0, match.end()) + 1
    if not isinstance(meta, dict):
        raise FrontMatterError(path, 2, "front matter must be a mapping of key: value")
    yaml_text = match.group(1) if match else ""
    fields = _typed(meta, POST_KEYS, path, lambda key: _line_of_key(yaml_text, key))
    if "title" not in fields and (heading := H1.match(body)):
        fields["title"] = heading.group(1).strip()
        body = body[heading.end() :]
    if not body.strip():
        raise FrontMatterError(path, body_line, "the post has no body")
    return PostFile(fields=fields, body=body.lstrip("\r\n"), path=path)


def parse_authors(text: str, path: str = "authors.yaml") -> list[dict[str, Any]]:
    """Read a YAML list of authors, each a mapping with at least slug and name."""
    data = _load_yaml(text, path, first_line=1)
    if data is None:
        return []
    if not isinstance(data, list):
        raise FrontMatterError(path, 1, "expected a list of authors (- slug: …)")
    authors = []
    for index, entry in enumerate(data):
        line = _line_of_item(text, index)
        if not isinstance(entry, dict):
            raise FrontMatterError(path, line, "each author must be a mapping")
        author = _typed(entry, AUTHOR_KEYS, path, lambda _key, line=line: line)
        for required in ("slug", "name"):
            if not author.get(required):
                raise FrontMatterError(path, line, f"author is missing '{required}'")
        authors.append(author)
    return authors


def _load_yaml(text: str, path: str, first_line: int) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        # The context mark is where the broken construct began; the problem mark may be EOF.
        mark = exc.context_mark or exc.problem_mark
        line = first_line + (mark.line if mark else 0)
        raise FrontMatterError(path, line, f"invalid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise FrontMatterError(path, first_line, f"invalid YAML: {exc}") from exc


def _typed(
    meta: dict[Any, Any], schema: dict[str, type], path: str, line_of: Callable[[str], int]
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in meta.items():
        line = line_of(str(key))
        if key in INFO_KEYS and schema is POST_KEYS:
            continue
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise FrontMatterError(path, line, f"unknown key '{key}' (known: {known})")
        if value is None:
            continue
        try:
            fields[key] = _coerce(value, schema[key])
        except (TypeError, ValueError, OverflowError) as exc:
            raise FrontMatterError(path, line, f"'{key}': {exc}") from exc
    return fields


def _coerce(value: Any, kind: type) -> Any:
    if kind is datetime:
        return _as_datetime(value)
    if kind is list:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(t, str | int) for t in items):
            raise TypeError("expected a list of names")
        return [str(t).strip() for t in items if str(t).strip()]
    if kind is dict:
        if not isinstance(value, dict):
            raise TypeError("expected a mapping of property names to lists of values")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("expected a whole number")
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise TypeError("expected true or false")
        return value
    if isinstance(value, dict | list):
        raise TypeError("expected text")
    return str(value)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.strip())
    else:
        raise TypeError("expected a date like 2026-11-29 or 2026-11-29T10:00:00Z")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _line_of_key(yaml_text: str, key: str) -> int:
    """Return the file line of a top-level front-matter key (front matter starts on line 2)."""
    match = re.search(rf"^{re.escape(key)}\s*:", yaml_text, re.MULTILINE)
    return 2 + (yaml_text.count("\n", 0, match.start()) if match else 0)


def _line_of_item(text: str, index: int) -> int:
    starts = [m.start() for m in re.finditer(r"^-", text, re.MULTILINE)]
    return text.count("\n", 0, starts[index]) + 1 if index < len(starts) else 1


def dump_post(meta: dict[str, Any], body: str) -> str:
    """Write front matter and body in the format parse_post reads."""
    return f"---\n{_yaml(meta)}---\n{body}"


def dump_authors(authors: list[dict[str, Any]]) -> str:
    """Write an authors.yaml that parse_authors reads."""
    return _yaml(authors)


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=2**16)


# ---------------------------------------------------------------- a file as post fields


def post_fields(post_file: PostFile) -> dict[str, Any]:
    """Return the fields a writer stores for a parsed post file (the import's one mapping)."""
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
        "ai_usage": meta.get("ai_usage", ""),
        "properties": meta.get("properties") or None,
    }
    slug = meta.get("slug") or slugify(str(values["title"]), max_length=90, word_boundary=True)
    if slug:
        values["slug"] = slug
    if "date" in meta:
        values["published_at"] = meta["date"]
    if "updated" in meta or "date" in meta:
        values["updated_at"] = meta.get("updated") or meta["date"]
    return values


# ---------------------------------------------------------------- a post as a file


def post_document(post: Any, url: str, properties: bool = False) -> str:
    """Return the post as markdown with front matter that import-posts reads back unchanged.

    `properties` adds the Micropub properties the post has no column for: `export` writes
    them, so that they survive a round trip; the public `.md` leaves them out.
    """
    meta: dict[str, Any] = {"title": post.title, "slug": post.slug}
    if post.published_at is not None:
        meta["date"] = post.published_at
    meta["updated"] = post.updated_at
    meta["author"] = post.author.slug
    meta["author_name"] = post.author.name
    meta["model"] = post.author.model
    meta["operator"] = post.author.operator
    meta["tags"] = [tag.name for tag in post.tags]
    meta["lang"] = post.lang
    meta["ai_disclosure"] = post.disclosure
    meta["url"] = url
    optional = {
        "canonical_url": post.canonical_url,
        "summary": post.summary,
        "featured": post.featured,
        "draft": post.status == "draft",
        "translation_of": post.original.slug if post.original is not None else "",
        "ai_usage": post.ai_usage,
    }
    meta.update({name: value for name, value in optional.items() if value})
    if properties and post.properties:
        meta["properties"] = post.properties
    return dump_post(meta, post.source)


def authors_document(authors: list[Any]) -> str:
    """Return an authors.yaml declaring these authors."""
    entries = [
        {key: getattr(author, key) for key in AUTHOR_KEYS if getattr(author, key) not in (None, "")}
        for author in authors
    ]
    return dump_authors(entries)
