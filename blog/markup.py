"""Markdown to sanitized HTML, plain text and excerpt; pure functions, no Flask."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

MAX_NESTING = 20
MAX_HTML_DEPTH = 100
EXCERPT_CHARS = 280
# Lexers are regular expressions, some of which backtrack badly: huge blocks stay plain.
MAX_HIGHLIGHT_CHARS = 100_000
EXTERNAL_REL = "noopener nofollow ugc"
LIGHT_STYLE, DARK_STYLE = "default", "github-dark"


class MarkupError(ValueError):
    """Content we refuse to render; ``code`` is stable, ``str(error)`` is for humans.

    Codes: invalid_text, nesting_too_deep, unstable_html, render_failed.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Rendered:
    """What render() makes of a post; every field derives from the sanitized html."""

    html: str
    text: str
    excerpt: str
    images: int
    warnings: tuple[str, ...]


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
    "input": {"class", "checked"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"},
    **{tag: {"class"} for tag in ("ul", "section", "hr", "code", "span")},
    **{h: {"id"} for h in _HEADINGS},
}  # fmt: skip
_ALIGN = {f"text-align:{side}" for side in ("left", "center", "right")}
# markdown-it writes column alignment as exactly these styles; no other style passes.
_TAG_VALUES = {"th": {"style": _ALIGN}, "td": {"style": _ALIGN}}
# Code blocks and tables may scroll sideways on a phone: tabindex lets keyboards scroll them.
_SET_VALUES = {
    "img": {"loading": "lazy"},
    "pre": {"class": "highlight", "dir": "ltr", "tabindex": "0"},
    "table": {"tabindex": "0"},
    "input": {"type": "checkbox", "disabled": "disabled"},
}
_CLASSES = {
    "pre": {"highlight"}, "ul": {"contains-task-list"}, "ol": {"footnotes-list"},
    "li": {"task-list-item", "footnote-item"}, "input": {"task-list-item-checkbox"},
    "hr": {"footnotes-sep"}, "section": {"footnotes"}, "sup": {"footnote-ref"},
    "a": {"footnote-backref"},
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


def _add_rel(match: re.Match[str]) -> str:
    """Mark a sanitized link to another site with EXTERNAL_REL."""
    attrs = match.group(1) or ""
    href = _HREF.search(attrs)
    if href and _EXTERNAL.match(_INVISIBLE.sub("", unescape(href.group(1)))):
        return f'<a{attrs} rel="{EXTERNAL_REL}">'
    return match.group(0)


def _check_text(text: str) -> None:
    """Raise MarkupError for lone surrogates and control characters."""
    bad = _BAD_CHARS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise MarkupError("invalid_text", f"character U+{ord(bad.group()):04X} on line {line}")


def sanitize(html: str) -> str:
    """Clean HTML against the allowlist and mark external links."""
    _check_text(html)
    return _A_TAG.sub(_add_rel, _CLEANER.clean(html))


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


def _audit(tokens: list[Token]) -> tuple[str, ...]:
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


# --- markdown ---------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _lexer(lang: str) -> Lexer | None:
    """Find the Pygments lexer for a fence's language name, if any."""
    try:
        return get_lexer_by_name(lang, stripnl=False) if lang else None
    except ClassNotFound:
        return None


def _highlight(code: str, name: str, attrs: str) -> str:
    """Render a fenced block: Pygments spans with classes, else escaped text."""
    lang = re.sub(r"[^a-z0-9_+#.-]", "", name.lower())[:40]
    lexer = _lexer(lang) if len(code) <= MAX_HIGHLIGHT_CHARS else None
    body = escapeHtml(code)
    if lexer:
        with contextlib.suppress(Exception):  # a lexer bug must not lose the post
            body = highlight(code, lexer, HtmlFormatter(nowrap=True))
    cls = f' class="language-{lang}"' if lang else ""
    return f'<pre class="highlight" dir="ltr"><code{cls}>{body}</code></pre>'


def _slug(title: str) -> str:
    """Make a heading id that keeps letters of any script (CJK included)."""
    slug = re.sub(r"[^\w\- ]", "", title.lower()).strip().replace(" ", "-")
    return re.sub(r"-{2,}", "-", slug) or "section"


def _guard_nesting(md: MarkdownIt) -> None:
    """Make the block parser raise where it would silently drop too-deep content."""
    tokenize = md.block.tokenize

    def guarded(state: StateBlock, start_line: int, end_line: int) -> None:
        if state.level >= md.options.maxNesting:
            line = state.skipEmptyLines(start_line)
            if line < end_line and state.sCount[line] >= state.blkIndent:
                message = f"quotes and lists nest deeper than {MAX_NESTING} levels"
                raise MarkupError("nesting_too_deep", message)
        tokenize(state, start_line, end_line)

    md.block.tokenize = guarded  # type: ignore[method-assign]


def _markdown() -> MarkdownIt:
    """Build the parser: CommonMark, tables, strikethrough, footnotes, tasks, anchors."""
    options = {"html": True, "typographer": False, "maxNesting": MAX_NESTING}
    md = MarkdownIt("commonmark", {**options, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(tasklists_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=_slug)
    _guard_nesting(md)
    return md


_MD = _markdown()


# --- plain text: sanitized HTML escapes "<" and ">" everywhere but in tags --------------

_BLOCK_TAG = re.compile(
    r"</?(?:p|h[1-6]|li|ul|ol|dl|dt|dd|tr|th|td|table|caption|pre|blockquote|hr|br|section"
    r"|figure|figcaption|details|summary)\b[^>]*>"
)
_ANY_TAG = re.compile(r"<[^>]*>")
_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.DOTALL)
_FOOTNOTE_REF = re.compile(r'<sup class="footnote-ref">.*?</sup>', re.DOTALL)
_FOOTNOTES = '<section class="footnotes">'


def _strip_tags(html: str) -> str:
    """Return the text of an HTML fragment."""
    return unescape(_ANY_TAG.sub("", html))


def _plain_text(html: str) -> str:
    """Return the text of sanitized HTML, one line per block, code included."""
    lines = (line.rstrip() for line in _strip_tags(_BLOCK_TAG.sub("\n", html)).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _lead(html: str) -> str:
    """Return the text of the paragraphs before the footnotes, whitespace collapsed."""
    body = html.split(_FOOTNOTES, 1)[0]
    texts = (_strip_tags(_FOOTNOTE_REF.sub("", p)) for p in _PARAGRAPH.findall(body))
    return " ".join(filter(None, (" ".join(t.split()) for t in texts)))


def _is_wide(char: str) -> bool:
    """Tell whether a character is wide (CJK): a word boundary lies on each side."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Cut collapsed text to at most limit chars at a word boundary, ending with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = limit - 1
    while cut > limit // 2 and not (
        text[cut].isspace() or _is_wide(text[cut]) or _is_wide(text[cut - 1])
    ):
        cut -= 1
    if cut <= limit // 2:
        cut = limit - 1  # one huge word: cut inside it, but not before a combining mark
        while cut > 1 and unicodedata.combining(text[cut]):
            cut -= 1
    return text[:cut].rstrip(" ,;:-—") + "…"


def render(source: str) -> Rendered:
    """Render markdown to sanitized HTML with its plain text, excerpt and warnings."""
    _check_text(source)
    try:
        env: dict[str, Any] = {}
        tokens = _MD.parse(source, env)
        warnings = _audit(tokens)
        html = _stable(sanitize(_MD.renderer.render(tokens, _MD.options, env)))
    except MarkupError:
        raise
    except Exception as error:  # the contract: only MarkupError escapes
        raise MarkupError("render_failed", f"could not render: {error!r}") from error
    text = _plain_text(html)
    return Rendered(
        html=html,
        text=text,
        excerpt=excerpt(_lead(html) or text),
        images=html.count("<img"),
        warnings=warnings,
    )


def _stable(html: str) -> str:
    """Sanitize again until the HTML is a fixed point of sanitize()."""
    for _ in range(3):
        again = sanitize(html)
        if again == html:
            return html
        html = again
    raise MarkupError("unstable_html", "the HTML does not settle under sanitizing")


@lru_cache(maxsize=1)
def highlight_css() -> str:
    """Return CSS for highlighted code: light theme, dark one for dark color schemes."""
    light, dark = (_style_defs(style) for style in (LIGHT_STYLE, DARK_STYLE))
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"


def _style_defs(style: str) -> str:
    """Return one Pygments style's rules, scoped to .highlight (no bare pre rules)."""
    formatter = HtmlFormatter(style=style)
    rules = formatter.get_background_style_defs(".highlight")
    return "\n".join(rules + formatter.get_token_style_defs(".highlight"))
