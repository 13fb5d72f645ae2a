"""The HTML allowlist: what may stay in a post, what is dropped, and notes on what was."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import nh3
from markdown_it.token import Token
from pygments.token import STANDARD_TYPES

MAX_HTML_DEPTH = 100
EXTERNAL_REL = "noopener nofollow ugc"


class MarkupError(ValueError):
    """Content we refuse to render; ``code`` is stable, ``str(error)`` is for humans.

    Codes: invalid_text, nesting_too_deep, output_too_large, render_timeout, too_complex,
    unstable_html, render_failed.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- sanitizer policy -------------------------------------------------------------------

_HEADINGS = {f"h{n}" for n in range(1, 7)}
_TAGS = _HEADINGS | {
    "p", "a", "img", "ul", "ol", "li", "blockquote", "pre", "code", "span", "em", "strong",
    "b", "i", "del", "s", "ins", "sup", "sub", "small", "table", "thead", "tbody", "tr",
    "th", "td", "caption", "hr", "br", "figure", "figcaption", "details", "summary", "input",
    "section", "abbr", "kbd", "samp", "var", "mark", "dl", "dt", "dd",
}  # fmt: skip
_DROP_WITH_CONTENT = {
    "script", "style", "template", "noscript", "iframe", "object", "svg", "math",
    "textarea", "select", "title", "xmp", "noembed", "noframes",
}  # fmt: skip
_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"lang", "dir"}, "a": {"href", "title", "id", "class"},
    "img": {"src", "alt", "title", "width", "height"}, "ol": {"class", "start"},
    "li": {"id", "class"}, "sup": {"id", "class"}, "abbr": {"title"}, "details": {"open"},
    "input": {"class", "checked", "disabled"}, "pre": {"class"},
    "th": {"colspan", "rowspan", "class"}, "td": {"colspan", "rowspan", "class"},
    **{tag: {"class"} for tag in ("ul", "section", "hr", "code", "span")},
    **{h: {"id"} for h in _HEADINGS},
}  # fmt: skip
# Column alignment is a class (markup.py turns markdown-it's style into one): the site's CSP
# ignores style attributes, so no style passes at all.
_ALIGN = {f"align-{side}" for side in ("left", "center", "right")}
# Code blocks get tabindex="0" from the renderer: keyboards can scroll a wide one sideways.
_TAG_VALUES = {"pre": {"tabindex": {"0"}}}
# One forced attribute a tag: nh3 writes several in hash order, which changes per process.
# A table may scroll sideways on a phone: tabindex lets keyboards scroll it.
_SET_VALUES = {
    "img": {"loading": "lazy"},
    "input": {"type": "checkbox"},
    "table": {"tabindex": "0"},
}
_CLASSES = {
    "pre": {"highlight"}, "ul": {"contains-task-list"}, "ol": {"footnotes-list"},
    "li": {"task-list-item", "footnote-item"}, "input": {"task-list-item-checkbox"},
    "hr": {"footnotes-sep"}, "section": {"footnotes"}, "sup": {"footnote-ref"},
    "a": {"footnote-backref"}, "th": _ALIGN, "td": _ALIGN,
}  # fmt: skip
_TOKEN_CLASSES = {name for name in STANDARD_TYPES.values() if name}
_CLASS_PATTERNS = {
    "code": re.compile(r"language-[a-z0-9_+#.-]{1,40}"),
    "span": re.compile(r"([a-z0-9]{1,4})(-[A-Za-z0-9]+)*"),
}
_LANG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
_SCHEMES = {"http", "https", "mailto"}
# Browsers skip whitespace and controls in URLs ("java\tscript:"); check a copy without any.
_INVISIBLE = re.compile(
    r"[\s\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]"
)
_SCHEME = re.compile(r"([^/?#\\:]*):")
_RASTER_DATA = re.compile(r"data:image/(png|gif|jpeg|webp)[;,]", re.IGNORECASE)
_EXTERNAL = re.compile(r"(https?:|[/\\]{2})", re.IGNORECASE)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _url_problem(tag: str, attr: str, value: str) -> str | None:
    """Return the scheme that makes this URL unsafe on this tag, or None."""
    url = _INVISIBLE.sub("", value)
    match = _SCHEME.match(url)
    if not match:
        return None
    scheme = match.group(1).lower()
    if scheme in _SCHEMES or (tag, attr) == ("img", "src") and _RASTER_DATA.match(url):
        return None
    return f"{scheme}:"


def _class_ok(tag: str, name: str) -> bool:
    """Tell whether a class name may stay on a tag."""
    if name in _CLASSES.get(tag, ()):
        return True
    pattern = _CLASS_PATTERNS.get(tag)
    match = pattern.fullmatch(name) if pattern else None
    return bool(match) and (tag != "span" or match.group(1) in _TOKEN_CLASSES)


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    """Keep, rewrite or drop (None) one attribute that nh3 already allowed by name."""
    if attr in ("href", "src"):
        return None if _url_problem(tag, attr, value) else value
    if attr == "class":
        return " ".join(n for n in value.split() if _class_ok(tag, n)) or None
    if attr in ("width", "height", "start", "colspan", "rowspan"):
        return value if value.isascii() and value.isdigit() and len(value) <= 5 else None
    if attr == "dir":
        return value if value in ("ltr", "rtl", "auto") else None
    if attr == "lang":
        return value if _LANG.fullmatch(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    link_rel=None,
    tag_attribute_values=_TAG_VALUES,
    set_tag_attribute_values=_SET_VALUES,
    url_schemes=_SCHEMES | {"data"},
)
# nh3 serializes "<" and ">" in attribute values as entities, so "<a" only starts a tag.
_A_TAG = re.compile(r"<a(\s[^>]*)?>")
_HREF = re.compile(r'\shref="([^"]*)"')
_PRE_NEWLINE = re.compile(r"(<pre(?:\s[^>]*)?>\n)")


def _add_rel(match: re.Match[str]) -> str:
    """Mark a sanitized link to another site with EXTERNAL_REL."""
    attrs = match.group(1) or ""
    href = _HREF.search(attrs)
    if href and _EXTERNAL.match(_INVISIBLE.sub("", unescape(href.group(1)))):
        return f'<a{attrs} rel="{EXTERNAL_REL}">'
    return match.group(0)


def check_text(text: str) -> None:
    """Raise MarkupError for lone surrogates and control characters."""
    bad = _BAD_CHARS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise MarkupError("invalid_text", f"character U+{ord(bad.group()):04X} on line {line}")


def sanitize(html: str) -> str:
    """Clean HTML against the allowlist and mark external links."""
    check_text(html)
    clean = _CONTROLS.sub("", _CLEANER.clean(html))  # character references decode to them
    # Parsers drop the first newline after <pre>; html5ever does not write it back.
    return _A_TAG.sub(_add_rel, _PRE_NEWLINE.sub("\\1\n", clean))


# Tags that never nest, or close themselves: they do not count toward MAX_HTML_DEPTH.
_FLAT = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
_FLAT |= {"track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "option"}


class _Audit(HTMLParser):
    """Note what the sanitizer will remove from raw HTML; refuse HTML nested too deep."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.notes: dict[str, None] = {}
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _FLAT:
            self.depth += 1
            # html5ever is quadratic in the depth of block elements (40,000 divs: 3.5 s).
            if self.depth > MAX_HTML_DEPTH:
                raise MarkupError("nesting_too_deep", f"HTML nests deeper than {MAX_HTML_DEPTH}")
        if tag not in _TAGS:
            self.notes[f"removed <{tag}> element"] = None
            return
        allowed = _ATTRIBUTES["*"] | _ATTRIBUTES.get(tag, set()) | _SET_VALUES.get(tag, {}).keys()
        for name, value in attrs:
            values = _TAG_VALUES.get(tag, {}).get(name)
            if name not in allowed and (values is None or value not in values):
                self.notes[f"removed {name} attribute from <{tag}>"] = None
            elif name in ("href", "src"):
                self.check_url(tag, name, value or "")

    handle_startendtag = handle_starttag  # "<div/>" still opens a div

    def handle_endtag(self, tag: str) -> None:
        if tag not in _FLAT:
            self.depth = max(0, self.depth - 1)

    def handle_comment(self, data: str) -> None:
        self.notes["removed HTML comment"] = None

    def check_url(self, tag: str, attr: str, value: str) -> None:
        if scheme := _url_problem(tag, attr, value):
            what = "link" if attr == "href" else "image"
            self.notes[f"dropped {what} with scheme {scheme}"] = None


def audit(tokens: list[Token]) -> tuple[str, ...]:
    """List what sanitizing removes: markdown's own markup passes, so check raw HTML and URLs."""
    audit = _Audit()
    for token in (t for block in tokens for t in (block, *(block.children or ()))):
        if token.type in ("html_block", "html_inline"):
            audit.feed(token.content)
            audit.close()
            audit.reset()
        elif token.type == "link_open":
            audit.check_url("a", "href", str(token.attrGet("href") or ""))
        elif token.type == "image":
            audit.check_url("img", "src", str(token.attrGet("src") or ""))
    return tuple(audit.notes)
