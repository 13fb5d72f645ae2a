"""Properties of render and reading time on arbitrary Unicode, markdown and HTML (Hypothesis)."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from blog.content.markup import MarkupError, render
from blog.content.reading_time import estimate
from blog.content.sanitize import sanitize

PIECES = [
    "# ", "> ", "- ", "1. ", "- [x] ", "`", "```", "```js\n", "~~~", "*", "**", "_", "~~", "|",
    "|-|", "---", "[", "]", "(", ")", "![", "[^1]", "[^1]: ", "[a]: ", "<", ">", "</", "\\",
    "<a href=", "<img src=", "<svg", "<math", "<script>", "<style>", "<iframe srcdoc=", "<div>",
    "</div>", "<table><tr><td>", "<details open ontoggle=", "<base href=", "<form>",
    "<meta http-equiv=refresh content=", "<object data=", "<embed src=", "<noscript>",
    "<template>", "<textarea>", "<title>", "<xmp>", "<!--", "-->", "<![CDATA[", "]]>", "<?",
    " onerror=", " onclick=", " style=", "expression(", "url(", "&", "&#", "&#x", ";", '"',
    "'", "=", "javascript:", "java\tscript:", "JaVaScRiPt:", "vbscript:", "data:text/html,",
    "data:image/png;base64,", "data:image/svg+xml,", "https://x.example/", "//evil.example",
    "mailto:a@b.c", "\u00a0", "\u2028", "\ufeff", "\u200b", "\x00", "\x0b", "\x1b", "\ud800",
    "\n", "\n\n", " ", "\t", "    ", "中文", "مرحبا", "é", "ﬃ", "\u0301",
]  # fmt: skip
SOURCES = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=80).map("".join),
)
EXPECTED_REFUSALS = {"invalid_text", "nesting_too_deep", "output_too_large"}
BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
PROPERTIES = settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# What a browser may be handed, decided here and not read from the sanitizer's own tables.
SAFE_TAGS = {
    "p", "a", "img", "ul", "ol", "li", "blockquote", "pre", "code", "span", "em", "strong", "b",
    "i", "del", "s", "ins", "sup", "sub", "small", "table", "thead", "tbody", "tr", "th", "td",
    "caption", "hr", "br", "figure", "figcaption", "details", "summary", "input", "section",
    "abbr", "kbd", "samp", "var", "mark", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f-\x9f\u00a0\u00ad\u1680\u2000-\u200f\u2028-\u202f"
                             r"\u205f-\u206f\u3000\ufeff]")  # fmt: skip
SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.I)


def dangerous_url(tag: str, url: str) -> bool:
    """Tell whether a browser would run or load something unsafe from this URL."""
    match = SCHEME.match(IGNORED_IN_URLS.sub("", url))
    if not match:
        return False  # relative
    scheme = match.group(1).lower()
    if tag == "img" and scheme == "data":
        return not re.match(r"data:image/(png|gif|jpeg|webp)[;,]", IGNORED_IN_URLS.sub("", url))
    return scheme not in ("http", "https", "mailto")


@PROPERTIES
@given(SOURCES)
@example("[^1]\n\n[^1]: " + "> " * 30)
@example("<h1><div><h2>x</h2></div></h1>")
def test_render_raises_only_expected_refusals(source: str) -> None:
    try:
        render(source)
    except MarkupError as error:
        assert error.code in EXPECTED_REFUSALS, (error.code, str(error))
        assert (error.code == "invalid_text") == bool(BAD_TEXT.search(source))
    else:
        assert not BAD_TEXT.search(source)


@PROPERTIES
@given(SOURCES)
@example("<h1><div><h2>x</h2></div></h1>")
@example("<pre>\n\n\ncode</pre>")
@example('<div>&#14;<a title="&#1;t" href="/x">&#x1b;x</a></div>')
def test_render_output_passes_the_sanitizer_unchanged(source: str) -> None:
    try:
        html = render(source).html
    except MarkupError:
        return
    assert sanitize(html) == html


@PROPERTIES
@given(SOURCES)
@example('<a href="java&#x09;script:alert(1)">x</a>')
@example('<img src="data:image/svg+xml,<svg onload=alert(1)>">')
@example("[x](<\u00a0javascript:alert(1)>)")
def test_render_output_holds_nothing_a_browser_would_run(source: str) -> None:
    try:
        html = render(source).html
    except MarkupError:
        return
    for element in BeautifulSoup(html, "html.parser").find_all(True):
        assert element.name in SAFE_TAGS, element.name
        for name, value in element.attrs.items():
            assert not name.startswith("on") and name not in ("style", "srcdoc"), (name, html)
            if name in ("href", "src"):
                assert not dangerous_url(element.name, value), (value, html)


@PROPERTIES
@given(SOURCES)
def test_every_rendered_post_takes_at_least_a_minute_to_read(source: str) -> None:
    try:
        rendered = render(source)
    except MarkupError:
        return
    counts = estimate(rendered.text, rendered.images)
    assert counts.minutes >= 1
    assert 0 <= counts.words <= len(rendered.text)
