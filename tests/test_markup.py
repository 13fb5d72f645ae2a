"""Tests for blog.markup: markdown features, sanitizer policy, text, excerpt, limits."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.content import sanitize as policy
from blog.content.markup import MarkupError, excerpt, highlight_css, render, sanitize
from blog.content.sanitize import EXTERNAL_REL

PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="
RICH = f"""# A title

Intro with **bold**, _em_, ~~gone~~, `code`, a [site](https://example.com/a?b=1&c=2),
an [internal page](/posts/other), [mail](mailto:a@example.com) and a note.[^1]

## Hello World

## 你好，世界

### Hello World

| left | centre | right |
|:-----|:------:|------:|
| 1    | 2      | 3     |

- [ ] to do
- [x] done

3. three
4. four

> quoted

```python
def f(x):
    return x + 1  # add
```

```
plain <b>text</b>
```

    indented code

![a picture](https://example.com/a.png) ![inline]({PNG})

<details><summary>More</summary>

<kbd>Ctrl</kbd> and <mark>marked</mark> and <abbr title="HyperText">HTML</abbr>.

</details>

[^1]: The footnote.
"""


def soup(source: str) -> BeautifulSoup:
    return BeautifulSoup(render(source).html, "html.parser")


def hrefs(source: str) -> list[str | None]:
    return [a.get("href") for a in soup(source).find_all("a")]


# --- markdown features ------------------------------------------------------------------


def test_rich_document_renders_every_feature_without_warnings():
    result = render(RICH)
    page = BeautifulSoup(result.html, "html.parser")
    assert result.warnings == ()
    assert [c.get("class") for c in page.find_all("th")] == [
        ["align-left"],
        ["align-center"],
        ["align-right"],
    ]
    assert not page.find_all(style=True)  # the site's CSP would ignore a style attribute
    assert page.find("s").text == "gone"
    assert page.find("ol")["start"] == "3"
    assert page.find("blockquote").text.strip() == "quoted"
    assert page.find("kbd") and page.find("mark") and page.find("abbr")["title"] == "HyperText"
    assert page.find("details").find("summary").text == "More"
    assert result.images == 2


def test_footnotes_link_both_ways():
    page = soup(RICH)
    ref = page.find("sup", class_="footnote-ref").find("a")
    assert ref["href"] == "#fn1" and ref["id"] == "fnref1"
    item = page.find("li", id="fn1")
    assert "The footnote." in item.text
    assert item.find("a", class_="footnote-backref")["href"] == "#fnref1"


def test_task_list_items_are_disabled_checkboxes():
    boxes = soup(RICH).find_all("input")
    assert [b["type"] for b in boxes] == ["checkbox", "checkbox"]
    assert all(b.has_attr("disabled") for b in boxes)
    assert [b.has_attr("checked") for b in boxes] == [False, True]


def test_headings_get_unique_ids_including_cjk():
    ids = [h.get("id") for h in soup(RICH).find_all(["h1", "h2", "h3"])]
    assert ids == ["a-title", "hello-world", "你好世界", "hello-world-1"]
    assert soup("#### Deep\n\n##### Deeper")("h4")[0]["id"] == "deep"
    assert soup("## !!!").h2["id"] == "section"


def test_python_block_is_highlighted_with_classes_only():
    page = soup(RICH)
    code = page.find("code", class_="language-python")
    assert code.parent.name == "pre" and code.parent["dir"] == "ltr"
    assert {c for s in code.find_all("span") for c in s["class"]} >= {"k", "nf"}
    assert not page.find_all(style=True)


@pytest.mark.parametrize("fence", ["```nosuchlang", "```", "``` {weird}"])
def test_unknown_or_missing_language_is_escaped_plain_code(fence):
    page = soup(f"{fence}\n<b>bold?</b> & <script>x</script>\n```")
    assert page.pre["dir"] == "ltr"
    assert page.code.text == "<b>bold?</b> & <script>x</script>\n"
    assert not page.code.find_all(True)


def test_unknown_language_keeps_its_class():
    assert soup("```nosuchlang\nx\n```").code["class"] == ["language-nosuchlang"]


def test_code_stays_left_to_right_in_rtl_posts():
    page = soup('<div dir="rtl">\n\nمرحبا\n\n```js\nlet a = 1;\n```\n\n    b = 2\n\n</div>')
    assert [pre["dir"] for pre in page.find_all("pre")] == ["ltr", "ltr"]


# --- sanitizer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JavaScript:alert(1)">x</a>',
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href="java\nscript:alert(1)">x</a>',
        '<a href="\u00a0javascript:alert(1)">x</a>',
        '<a href="\u2028javascript:alert(1)">x</a>',
        '<a href="&#14;javascript:alert(1)">x</a>',
        '<a href="vbscript:x">x</a>',
        '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>',
        "[x](javascript:alert(1))",
        "[x](<\u00a0javascript:alert(1)>)",
    ],
)
def test_dangerous_links_lose_their_href(source):
    assert hrefs(source) in ([], [None])


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<style>body{display:none}</style>",
        '<img src="x.png" onerror="alert(1)">',
        '<p onclick="alert(1)" style="background:url(javascript:alert(1))">p</p>',
        "<svg><script>alert(1)</script></svg>",
        "<math><mi>x</mi></math>",
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        '<object data="x.swf"></object><embed src="x.swf">',
        '<base href="https://evil.example/"><meta http-equiv="refresh" content="0">',
        '<form action="/x"><button formaction="/y">go</button></form>',
        '<td style="width:expression(alert(1))">x</td>',
    ],
)
def test_dangerous_markup_is_removed_and_reported(source):
    result = render(source)
    page = BeautifulSoup(result.html, "html.parser")
    assert not page.find_all(["script", "style", "svg", "math", "iframe", "object", "embed"])
    assert not page.find_all(["base", "meta", "form", "button"])
    for tag in page.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on") or a == "srcdoc"]
        assert tag.get("style") is None
    assert result.warnings


def test_warnings_name_what_was_removed():
    result = render('<script>x</script><a href="javascript:y">z</a><img src=a onerror=b>')
    assert "removed <script> element" in result.warnings
    assert "dropped link with scheme javascript:" in result.warnings
    assert "removed onerror attribute from <img>" in result.warnings


def test_raster_data_images_stay_other_data_urls_go():
    page = soup(f'![ok]({PNG}) <img src="data:image/svg+xml,&lt;svg/&gt;"> <a href="{PNG}">l</a>')
    assert [i.get("src") for i in page.find_all("img")] == [PNG, None]
    assert page.a.get("href") is None


def test_external_links_get_rel_internal_ones_do_not():
    page = soup(
        "[a](https://example.com) [b](/posts/x) [c](#top) [d](mailto:a@b.c)"
        ' <a href="//evil.example/">e</a> <a href="HTTP://X.example" rel="me">f</a>'
    )
    rels = {a.text: a.get("rel") for a in page.find_all("a")}
    external = EXTERNAL_REL.split()
    assert rels == {"a": external, "b": None, "c": None, "d": None, "e": external, "f": external}


def test_rel_survives_tricky_attribute_values():
    html = render('<a title="<a href=\'https://x\'>" href="/in">i</a> [o](https://x "a>b")').html
    page = BeautifulSoup(html, "html.parser")
    assert [(a.get("rel"), a.get("title")) for a in page.find_all("a")] == [
        (None, "<a href='https://x'>"),
        (EXTERNAL_REL.split(), "a>b"),
    ]


def test_images_are_lazy():
    page = soup('![a](/a.png) <img src="/b.png" loading="eager">')
    assert [i["loading"] for i in page.find_all("img")] == ["lazy", "lazy"]


def test_classes_are_allowlisted():
    page = soup('<span class="k evil">x</span> <p class="big">y</p>')
    assert page.span["class"] == ["k"] and not page.p.get("class")


@pytest.mark.parametrize(
    "source",
    [
        "<h1><div><h2>x</h2></div></h1>",  # a second parse un-nests the headings
        "<pre>\n\n\n\ncode</pre>",  # parsers eat the newline after <pre>
        '<div>&#14;<a title="&#1;t" href="/x">&#x1b;x</a></div>',  # references to controls
    ],
)
def test_output_settles_where_one_sanitize_pass_does_not(source):
    html = render(source).html
    assert sanitize(html) == html
    assert not any(c in html for c in "\x01\x0e\x1b")


# --- text, excerpt, images --------------------------------------------------------------


def test_text_has_code_and_excerpt_has_only_paragraphs():
    result = render(RICH)
    assert "return x + 1" in result.text and "The footnote." in result.text
    assert result.excerpt.startswith("Intro with bold, em, gone, code, a site,")
    assert "A title" not in result.excerpt and "def f" not in result.excerpt
    assert "[1]" not in result.excerpt


def test_short_excerpt_is_whole_and_unmarked():
    assert render("# T\n\nOne  short\nparagraph.").excerpt == "One short paragraph."


def test_long_excerpt_cuts_at_a_word_boundary():
    words = " ".join(f"word{n}" for n in range(200))
    cut = render(words).excerpt
    assert len(cut) <= 280 and cut.endswith("…")
    assert cut[:-1].split(" ")[-1] in words.split(" ")


def test_excerpt_spans_paragraphs_until_full():
    cut = render("First para.\n\n" + "Second one goes on. " * 30).excerpt
    assert cut.startswith("First para. Second one") and cut.endswith("…")


def test_cjk_excerpt_cuts_at_a_character():
    cut = excerpt("中文" * 300)
    assert len(cut) == 280 and cut == "中文" * 139 + "中…"


def test_one_huge_word_is_cut_inside():
    assert excerpt("x" * 1000) == "x" * 279 + "…"


def test_no_paragraph_falls_back_to_text():
    assert render("- one\n- two").excerpt == "one two"


# --- refusals and limits ----------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\ud800b", "\udfff", "nul\x00", "bell\x07", "ff\x0c", "\x1b[0m"])
def test_invalid_text_is_refused(bad):
    with pytest.raises(MarkupError) as caught:
        render(bad)
    assert caught.value.code == "invalid_text"
    with pytest.raises(MarkupError):
        sanitize(bad)


def test_tabs_and_newlines_are_fine():
    assert render("a\tb\r\nc\n").text == "a\tb\nc"


@pytest.mark.parametrize(
    "source",
    [
        "> " * 50 + "x",
        "> " * 5000 + "x",
        "- " * 50 + "x",
        "".join("  " * i + "- item\n" for i in range(30)),
        "<div>" * 5000 + "x",
        "<span/>" * 5000,
    ],
)
def test_too_deep_nesting_is_refused_not_truncated(source):
    with pytest.raises(MarkupError) as caught:
        render(source)
    assert caught.value.code == "nesting_too_deep"


def test_nesting_just_under_the_limit_keeps_its_content():
    assert render("> " * 19 + "deep").text == "deep"
    assert render("".join("  " * i + f"- item{i}\n" for i in range(9))).text.endswith("item8")


def test_a_50_kb_post_renders_whole_within_the_default_budget():
    section = "## Part\n\nSome *prose* with a [link](https://example.com) and `code`.\n\n"
    code = "```python\n" + "def f(x):\n    return x  # echo\n" * 8 + "```\n\n"
    source = (section * 3 + code) * 110
    assert len(source) > 50_000
    html = render(source, budget=2.0).html
    assert html.count("<h2") == 330
    assert html.count('<pre class="highlight"') == 110


def test_highlight_css_has_light_and_dark_themes():
    css = highlight_css()
    light, dark = css.split("@media (prefers-color-scheme: dark)")
    assert ".highlight .k" in light and ".highlight .k" in dark
    assert "\npre {" not in css and not css.startswith("pre")


# --- properties -------------------------------------------------------------------------

PIECES = [
    "# ", "## ", "> ", "- ", "1. ", "- [ ] ", "`", "```", "```python\n", "*", "_", "~~", "|",
    "---", "[", "]", "(", ")", "![", "[^1]", "[^1]: ", "<", ">", "</", "<a href=", "<img src=",
    "<div>", "</div>", "<p>", "<script>", "<table>", "<td>", "<h1>", "<h2>", "&", "&#", ";",
    '"', "'", "=", "javascript:", "https://x.y/", "data:image/png;base64,", "\n", "\n\n", " ",
    "\t", "    ", "中文", "مرحبا", "\u00a0", "\u2028", "é", "<!--", "-->", "<![CDATA[", "\\",
    "<pre>", "</pre>", "<option>", "&#14;", "&#x85;", "<h1><div>",
]  # fmt: skip
SOURCES = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=60).map("".join),
)


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(SOURCES)
def test_render_output_is_a_fixed_point_of_sanitize(source):
    try:
        result = render(source)
    except MarkupError:
        return
    assert sanitize(result.html) == result.html
    assert len(result.excerpt) <= 280


def test_output_does_not_depend_on_the_process():
    # nh3 writes several forced attributes of one tag in hash order, which varies per process.
    assert all(len(forced) == 1 for forced in policy._SET_VALUES.values())
