"""Markdown to sanitized HTML, plain text and excerpt; pure functions, no Flask."""

from __future__ import annotations

import contextlib
import html
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from pathlib import Path
from types import FrameType
from typing import Any

import markdown_it
import mdit_py_plugins
import pygments
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from . import sanitize as sanitize_module
from .sanitize import MarkupError, audit, check_text, sanitize
from .timelimit import Budget, OverBudget, limit

MAX_NESTING = 20
# Reference links repeat their URL wherever they are used, so a small source can ask for a huge
# page (40,000 uses of a 120 KB URL: 5 GB). Output past this is refused before it is built;
# it also bounds the sanitizer, native code no timer can interrupt (~0.3 s a MB here).
MAX_HTML_CHARS = 2_000_000
EXCERPT_CHARS = 280
# Lexers are regular expressions, some of which backtrack badly: huge blocks stay plain.
MAX_HIGHLIGHT_CHARS = 100_000
LIGHT_STYLE, DARK_STYLE = "default", "github-dark"


@dataclass(frozen=True)
class Rendered:
    """What render() makes of a post; every field derives from the sanitized html."""

    html: str
    text: str
    excerpt: str
    images: int
    warnings: tuple[str, ...]


# --- markdown ---------------------------------------------------------------------------


_FORMATTER = HtmlFormatter(nowrap=True)  # building one computes its stylesheet: 5 ms


@lru_cache(maxsize=128)
def _lexer(lang: str) -> Lexer | None:
    """Find the Pygments lexer for a fence's language name, if any."""
    try:
        return get_lexer_by_name(lang, stripnl=False) if lang else None
    except ClassNotFound:
        return None


def _highlight(code: str, name: str = "", attrs: str = "") -> str:
    """Render a fenced block: Pygments spans with classes, else escaped text."""
    lang = re.sub(r"[^a-z0-9_+#.-]", "", name.lower())[:40]
    lexer = _lexer(lang) if len(code) <= MAX_HIGHLIGHT_CHARS else None
    body = escapeHtml(code)
    if lexer:
        with contextlib.suppress(Exception):  # a lexer bug must not lose the post
            body = highlight(code, lexer, _FORMATTER)
    cls = f' class="language-{lang}"' if lang else ""
    return f'<pre class="highlight" dir="ltr" tabindex="0"><code{cls}>{body}</code></pre>'


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


def _align_classes(state: StateCore) -> None:
    """Write table column alignment as a class: the site's CSP ignores style attributes."""
    for token in state.tokens:
        style = token.attrs.pop("style", None) if token.type in ("th_open", "td_open") else None
        if isinstance(style, str) and style.startswith("text-align:"):
            token.attrSet("class", "align-" + style.removeprefix("text-align:"))


def _markdown() -> MarkdownIt:
    """Build the parser: CommonMark, tables, strikethrough, footnotes, tasks, anchors."""
    options = {"html": True, "typographer": False, "maxNesting": MAX_NESTING}
    md = MarkdownIt("commonmark", {**options, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(tasklists_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=_slug)
    md.add_render_rule("code_block", lambda _, tokens, i, *__: _highlight(tokens[i].content))
    md.core.ruler.push("align_classes", _align_classes)
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


def render(source: str, budget: float | None = None) -> Rendered:
    """Render markdown to sanitized HTML with its plain text, excerpt and warnings.

    Past `budget` seconds the render stops and MarkupError("render_timeout") is raised.
    """
    check_text(source)
    try:
        with limit(budget, _interruptible) as clock:
            return _render(source, clock)
    except OverBudget:
        message = f"the post took longer than {budget:g} s to render: simplify or split it"
        raise MarkupError("render_timeout", message) from None
    except MarkupError:
        raise
    except (MemoryError, RecursionError) as error:
        raise MarkupError("too_complex", f"the post is too complex to render: {error!r}") from None
    except Exception as error:  # the contract: only MarkupError escapes
        raise MarkupError("render_failed", f"could not render: {error!r}") from error


# The render's own code, which holds no state beyond this call: the alarm may raise here.
_RENDER_CODE = (
    *(
        str(Path(m.__file__ or "").parent) + os.sep
        for m in (markdown_it, mdit_py_plugins, pygments)
    ),
    *(str(Path(m.__file__ or "").parent) + os.sep for m in (html, re)),
    __file__,
    sanitize_module.__file__ or "",
)


def _interruptible(frame: FrameType) -> bool:
    """Tell whether the frame running when the budget ran out is the render's own code."""
    return frame.f_code.co_filename.startswith(_RENDER_CODE)


def _render(source: str, clock: Budget) -> Rendered:
    env: dict[str, Any] = {}
    tokens = _MD.parse(source, env)
    _check_size(_expansion(tokens))
    warnings = audit(tokens)
    raw = _MD.renderer.render(tokens, _MD.options, env)
    _check_size(len(raw))
    with clock.shielded():
        html = sanitize(raw)
    html = _stable(html, clock)
    text = _plain_text(html)
    return Rendered(
        html=html,
        text=text,
        excerpt=excerpt(_lead(html) or text),
        images=html.count("<img"),
        warnings=warnings,
    )


def _expansion(tokens: list[Token]) -> int:
    """Count the characters of text and attributes the tokens would write out."""
    total = 0
    for block in tokens:
        for token in block.children or (block,):
            total += len(token.content) + sum(len(str(v)) for v in token.attrs.values())
    return total


def _check_size(chars: int) -> None:
    if chars > MAX_HTML_CHARS:
        message = f"the post would render to more than {MAX_HTML_CHARS:,} characters of HTML"
        raise MarkupError("output_too_large", message)


def _stable(html: str, clock: Budget) -> str:
    """Sanitize again until the HTML is a fixed point of sanitize()."""
    for _ in range(3):
        with clock.shielded():
            again = sanitize(html)
        if again == html:
            return html
        html = again
    raise MarkupError("unstable_html", "the HTML does not settle under sanitizing")


@lru_cache(maxsize=1)
def highlight_css() -> str:
    """Return CSS for highlighted code: light theme, dark one for dark color schemes."""
    # Not get_style_defs(): it adds unscoped rules for every <pre> on the page.
    light, dark = (
        "\n".join(f.get_background_style_defs(".highlight") + f.get_token_style_defs(".highlight"))
        for f in (HtmlFormatter(style=LIGHT_STYLE), HtmlFormatter(style=DARK_STYLE))
    )
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
