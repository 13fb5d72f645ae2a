"""schema.org BlogPosting for a post, built as a dict (templates serialize it with tojson)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class NamedTag(Protocol):
    name: str


class ArticleFacts(Protocol):
    title: str
    excerpt: str
    lang: str
    word_count: int
    cjk_count: int
    reading_minutes: int
    published_at: datetime | None
    updated_at: datetime
    tags: list[Any]


@dataclass(frozen=True)
class Links:
    """The absolute URLs a BlogPosting refers to, resolved by the caller."""

    url: str
    canonical: str
    image: str = ""
    translation_of: str = ""  # the original, when this post is a translation
    translations: list[str] = field(default_factory=list)  # posts translated from this one


def duration(minutes: int) -> str:
    """Return an ISO 8601 duration in minutes ("PT3M")."""
    return f"PT{max(1, minutes)}M"


def blog_posting(post: ArticleFacts, links: Links, who: dict[str, Any]) -> dict[str, Any]:
    """Return the BlogPosting object; `who` holds author, publisher and disclosure properties."""
    published = post.published_at or post.updated_at
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.excerpt,
        "url": links.url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": links.canonical},
        "inLanguage": post.lang,
        "datePublished": published.isoformat(timespec="seconds"),
        "dateModified": max(post.updated_at, published).isoformat(timespec="seconds"),
        # CJK characters are read one at a time: each counts as a word, as readers count them.
        "wordCount": post.word_count + post.cjk_count,
        "timeRequired": duration(post.reading_minutes),
        "keywords": [tag.name for tag in post.tags],
        **who,
    }
    if links.image:
        data["image"] = links.image
    if links.translation_of:
        data["translationOfWork"] = {"@type": "BlogPosting", "@id": links.translation_of}
    if links.translations:
        data["workTranslation"] = [
            {"@type": "BlogPosting", "@id": url} for url in links.translations
        ]
    return data
