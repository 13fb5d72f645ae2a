"""sitemaps.org XML: a urlset of pages (with hreflang alternates), or an index of urlsets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree import ElementTree as ET

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
MAX_URLS = 50_000  # the protocol's limit for one file
ET.register_namespace("", SITEMAP_NS)
ET.register_namespace("xhtml", XHTML_NS)


@dataclass(frozen=True)
class Entry:
    loc: str
    lastmod: datetime | None = None
    alternates: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (hreflang, href)


def _w3c(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _document(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _located(root: ET.Element, tag: str, entry: Entry) -> ET.Element:
    """Add a <url> or <sitemap> element with the entry's <loc> and <lastmod>."""
    node = ET.SubElement(root, f"{{{SITEMAP_NS}}}{tag}")
    ET.SubElement(node, f"{{{SITEMAP_NS}}}loc").text = entry.loc
    if entry.lastmod is not None:
        ET.SubElement(node, f"{{{SITEMAP_NS}}}lastmod").text = _w3c(entry.lastmod)
    return node


def urlset(entries: Sequence[Entry]) -> bytes:
    """Return a <urlset> listing every entry, alternates as xhtml:link elements."""
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for entry in entries:
        url = _located(root, "url", entry)
        for hreflang, href in entry.alternates:
            attributes = {"rel": "alternate", "hreflang": hreflang, "href": href}
            ET.SubElement(url, f"{{{XHTML_NS}}}link", attributes)
    return _document(root)


def index(sitemaps: Sequence[Entry]) -> bytes:
    """Return a <sitemapindex> pointing to each part."""
    root = ET.Element(f"{{{SITEMAP_NS}}}sitemapindex")
    for part in sitemaps:
        _located(root, "sitemap", part)
    return _document(root)


def parts(entries: Sequence[Entry], size: int) -> list[Sequence[Entry]]:
    """Split entries into consecutive parts of at most `size`."""
    return [entries[start : start + size] for start in range(0, len(entries), size)]


def newest(entries: Sequence[Entry]) -> datetime | None:
    """Return the latest lastmod among entries, if any."""
    moments = [entry.lastmod for entry in entries if entry.lastmod is not None]
    return max(moments) if moments else None
