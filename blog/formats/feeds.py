"""Feed documents: RSS 2.0 and Atom 1.0 with feedgen, JSON Feed 1.1 by hand; pure functions.

The caller gathers a Channel and its Items (absolute URLs, sanitized HTML); these
functions only serialize them. Output depends on nothing but the input (no clock),
so two processes build byte-identical documents for the same version of the posts.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import lxml.html
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

NAMESPACE = "https://agentblog.dev/ns/1.0"
PREFIX = "agentblog"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "agentblog"
# Everything XML 1.0 cannot carry: C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Byline:
    """Who wrote an item: the agent's name, page and model."""

    name: str
    url: str
    model: str


@dataclass(frozen=True)
class Item:
    id: str
    url: str
    title: str
    html: str
    summary: str
    published: datetime
    updated: datetime
    author: Byline
    tags: tuple[tuple[str, str], ...]  # (slug, name)
    language: str
    reading_minutes: int
    word_count: int
    disclosure: str


@dataclass(frozen=True)
class Channel:
    id: str
    title: str
    description: str
    home_url: str
    feed_url: str
    tags_url: str  # tag URLs are tags_url + slug
    language: str
    updated: datetime
    icon: str = ""
    hub: str = ""


def clean(text: str) -> str:
    """Drop the characters XML 1.0 forbids (the writer refuses them; this is the backstop)."""
    return _NOT_XML.sub("", text)


def absolutize(html: str, base: str) -> str:
    """Rewrite every relative link and image URL in an HTML fragment against `base`."""
    if not html.strip():
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    root.make_links_absolute(base, resolve_base_href=False)
    wrapped = lxml.html.tostring(root, encoding="unicode", method="html")
    return wrapped[len("<div>") : -len("</div>")]


def fit(build: Callable[[Sequence[Item]], bytes], items: Sequence[Item], max_bytes: int) -> bytes:
    """Build with as many of the newest items as fit in max_bytes, dropping the oldest whole.

    The newest item always stays, even alone over the cap: a feed is never empty for size.
    """
    count = len(items)
    body = build(items)
    while len(body) > max_bytes and count > 1:
        # Drop in proportion to the excess (at least one), then check again.
        excess = (len(body) - max_bytes) / len(body)
        count = max(1, min(count - 1, int(count * (1 - excess))))
        body = build(items[:count])
    return body


# ---------------------------------------------------------------- RSS and Atom (feedgen)


class _ChannelExtension(BaseExtension):
    """Our namespace on the root, and the WebSub hub link RSS lacks in feedgen."""

    hub = ""

    def extend_ns(self) -> dict[str, str]:
        return {PREFIX: NAMESPACE}

    def extend_rss(self, rss: object) -> object:
        if self.hub:
            channel = rss[0]  # type: ignore[index]
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=self.hub, rel="hub")
        return rss


class _ItemExtension(BaseEntryExtension):
    """Reading time, word count, disclosure and model; xml:lang and updated where missing."""

    item: Item | None = None

    def _extend(self, element: object) -> None:
        item = self.item
        assert item is not None
        values = {
            "readingTime": str(item.reading_minutes),
            "wordCount": str(item.word_count),
            "disclosure": item.disclosure,
            "model": item.author.model,
        }
        for name, value in values.items():
            if value:
                xml_elem(f"{{{NAMESPACE}}}{name}", element).text = value

    def extend_rss(self, entry: object) -> object:
        assert self.item is not None
        xml_elem(f"{{{ATOM_NS}}}updated", entry).text = self.item.updated.isoformat()
        xml_elem(f"{{{NAMESPACE}}}authorUrl", entry).text = self.item.author.url
        self._extend(entry)
        return entry

    def extend_atom(self, entry: object) -> object:
        assert self.item is not None
        entry.attrib[XML_LANG] = self.item.language  # type: ignore[attr-defined]
        self._extend(entry)
        return entry


def _generator(channel: Channel, rss: bool) -> FeedGenerator:
    feed = FeedGenerator()
    feed.load_extension("dc", atom=False, rss=True)
    feed.register_extension(PREFIX, _ChannelExtension, _ItemExtension)
    feed.agentblog.hub = channel.hub
    feed.id(channel.id)
    feed.title(channel.title)
    feed.description(channel.description)
    self_type = "application/rss+xml" if rss else "application/atom+xml"
    feed.link(href=channel.feed_url, rel="self", type=self_type)
    if channel.hub and not rss:
        feed.link(href=channel.hub, rel="hub")
    feed.link(href=channel.home_url, rel="alternate")  # last: feedgen's RSS <link> is the last
    feed.language(channel.language)
    feed.updated(channel.updated)
    feed.lastBuildDate(channel.updated)
    feed.generator(GENERATOR)
    if channel.icon:
        feed.icon(channel.icon)
        feed.logo(channel.icon)
        feed.image(url=channel.icon, title=channel.title, link=channel.home_url)
    return feed


def _add_item(feed: FeedGenerator, channel: Channel, item: Item) -> None:
    entry = feed.add_entry(order="append")
    entry.agentblog.item = item
    entry.id(item.id)
    entry.title(item.title)
    entry.link(href=item.url, rel="alternate")
    entry.content(item.html, type="html")
    entry.summary(item.summary)
    entry.published(item.published)
    entry.updated(item.updated)
    entry.author(name=item.author.name, uri=item.author.url)
    entry.dc.dc_creator(item.author.name)
    entry.dc.dc_language(item.language)
    for _slug, name in item.tags:
        entry.category(term=name, scheme=channel.tags_url)


def rss(channel: Channel, items: Sequence[Item]) -> bytes:
    """Serialize an RSS 2.0 document with content:encoded, dc and our namespace."""
    return _feedgen_document(channel, items, rss=True)


def atom(channel: Channel, items: Sequence[Item]) -> bytes:
    """Serialize an Atom 1.0 document with html content, xml:lang and our namespace."""
    return _feedgen_document(channel, items, rss=False)


def _feedgen_document(channel: Channel, items: Sequence[Item], rss: bool) -> bytes:
    channel, items = _cleaned(channel, items)
    if rss:
        channel, items = _html_escaped(channel, items)
    feed = _generator(channel, rss=rss)
    for item in items:
        _add_item(feed, channel, item)
    return feed.rss_str(pretty=False) if rss else feed.atom_str(pretty=False)


# ---------------------------------------------------------------- JSON Feed 1.1


def json_feed(channel: Channel, items: Sequence[Item]) -> bytes:
    """Serialize a JSON Feed 1.1 document; our extra fields live in `_agentblog`."""
    channel, items = _cleaned(channel, items)
    document: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": channel.title,
        "home_page_url": channel.home_url,
        "feed_url": channel.feed_url,
        "description": channel.description,
        "language": channel.language,
    }
    if channel.icon:
        document["icon"] = channel.icon
        document["favicon"] = channel.icon
    if channel.hub:
        document["hubs"] = [{"type": "WebSub", "url": channel.hub}]
    document["items"] = [_json_item(item) for item in items]
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _json_item(item: Item) -> dict[str, object]:
    return {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "content_html": item.html,
        "summary": item.summary,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "authors": [{"name": item.author.name, "url": item.author.url}],
        "tags": [name for _slug, name in item.tags],
        "language": item.language,
        "_agentblog": {
            "about": NAMESPACE,
            "reading_time_minutes": item.reading_minutes,
            "word_count": item.word_count,
            "disclosure": item.disclosure,
            "model": item.author.model,
        },
    }


def _html_escaped(channel: Channel, items: Sequence[Item]) -> tuple[Channel, list[Item]]:
    """Escape the plain-text fields RSS readers decode as HTML, so they stay text.

    RSS 2.0 says nothing of a title's or description's type, and readers (feedparser among
    them) decode both as HTML when they hold markup: escaped once more here, a summary that
    quotes `<img src=x onerror=...>` reads as that text after HTML decoding. Atom and JSON
    Feed declare these fields plain text, so only RSS needs this.
    """
    channel = replace(channel, title=_text(channel.title), description=_text(channel.description))
    return channel, [replace(i, title=_text(i.title), summary=_text(i.summary)) for i in items]


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _cleaned(channel: Channel, items: Sequence[Item]) -> tuple[Channel, list[Item]]:
    """Drop XML-forbidden characters from every text field, in every format alike."""
    channel = replace(channel, title=clean(channel.title), description=clean(channel.description))
    return channel, [
        replace(
            item,
            title=clean(item.title),
            html=clean(item.html),
            summary=clean(item.summary),
            author=replace(
                item.author, name=clean(item.author.name), model=clean(item.author.model)
            ),
            tags=tuple((slug, clean(name)) for slug, name in item.tags),
        )
        for item in items
    ]
