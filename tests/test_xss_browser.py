"""No script runs from a post: tests/xss/payloads.txt, published, loaded in a real Chromium.

Each payload sets window.__xss when it runs. The control test shows every one of them does
run when rendered without our sanitizer; the others show none runs from a post page or from
any feed's item HTML, through the API or import. The sanitizer is tested with the page's CSP
bypassed; the CSP is tested on its own, by injecting a script into a real page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post

from .support import live
from .support.factories import author_with_token, make_app
from .test_browser import PAGES

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).resolve().parent / "xss" / "payloads.txt"
# Fire every handler an attribute could carry, then follow every link that is not http(s) or
# mailto (javascript: runs on click), then give queued tasks a moment.
TRIGGER = """async (pause) => {
  const events = ["load", "error", "click", "dblclick", "mouseover", "mouseenter", "mousedown",
    "mouseup", "mousemove", "focus", "focusin", "blur", "input", "change", "toggle", "scroll",
    "animationstart", "animationend", "transitionend", "pointerover", "pointerdown", "keydown",
    "keyup", "submit", "wheel", "copy", "paste", "play", "canplay", "loadstart", "begin",
    "start", "pageshow", "hashchange", "message", "resize"];
  for (const target of [window, ...document.querySelectorAll("*")]) {
    if (target !== window && target.closest("form.site-search")) continue;
    for (const name of events) target.dispatchEvent(new Event(name));
  }
  for (const el of document.querySelectorAll("a, area, button, input")) {
    // The blog's own search form navigates by design; nothing a post holds is inside it.
    if (el.closest("form.site-search")) continue;
    const raw = el.getAttribute("href") || el.getAttribute("xlink:href") || "";
    const url = typeof el.href === "string" ? el.href : raw;
    const plain = /^(https?|mailto):/i.test(url) && !/^\\s*javascript/i.test(raw);
    if ((el.localName === "a" || el.localName === "area") && plain) continue;
    el.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}));
  }
  if (pause && window.__xss === undefined) await new Promise((done) => setTimeout(done, pause));
  return window.__xss === undefined ? null : window.__xss;
}"""
XSS = "window.__xss === undefined ? null : window.__xss"


def corpus() -> list[tuple[str, str]]:
    """Return (name, markdown) for every payload in the corpus file."""
    entries = CORPUS.read_text(encoding="utf-8").split("\n%%\n")[1:]
    found = []
    for entry in entries:
        name, _, source = entry.partition("\n")
        assert name.startswith("#! ") and source.strip(), entry
        found.append((name[3:], source.strip("\n") + "\n"))
    return found


PAYLOADS = corpus()


def test_the_corpus_is_big_enough() -> None:
    assert len(PAYLOADS) >= 60
    assert len({source for _, source in PAYLOADS}) == len(PAYLOADS), "a payload is repeated"


def fired(page: Page) -> list[Any]:
    """Trigger everything on the page; return what any frame set window.__xss to."""
    results = [page.evaluate(TRIGGER, 50)]
    results += [frame.evaluate(XSS) for frame in page.frames[1:]]
    return [value for value in results if value is not None]


def fired_in_frames(page: Page, documents: list[str]) -> list[int]:
    """Show each document in its own frame of one page; return the indexes of those that ran.

    A frame is a document of its own, as a page would be, and one page load serves them all.
    """
    frames = "".join(f'<iframe srcdoc="{escape(d, quote=True)}"></iframe>' for d in documents)
    page.set_content(f"<!doctype html><body>{frames}</body>", wait_until="load")
    children = page.main_frame.child_frames
    assert len(children) == len(documents)
    for frame in children:
        frame.evaluate(TRIGGER, 0)
    page.wait_for_timeout(200)  # for what the clicks and events queued
    return [n for n, frame in enumerate(children) if frame.evaluate(XSS) is not None]


# ---------------------------------------------------------------- the corpus is live


def naive_markdown() -> MarkdownIt:
    """A renderer with no sanitizer and no link check: what a careless blog would serve."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.use(footnote_plugin).use(tasklists_plugin)
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


def test_every_payload_runs_when_not_sanitized(browser: Browser) -> None:
    """Without this, a payload that runs nowhere would prove nothing below."""
    context = browser.new_context(bypass_csp=True)
    md = naive_markdown()
    pages = [md.render(source) for _, source in PAYLOADS]
    ran = set(fired_in_frames(context.new_page(), pages))
    dead = []
    for n, (name, _) in enumerate(PAYLOADS):
        if n in ran or runs(context, pages[n]):
            continue
        # Mutation XSS runs only once a sanitizer serializes and the browser parses again.
        page = context.new_page()
        reparsed = page.evaluate(
            "h => new DOMParser().parseFromString(h, 'text/html').body.innerHTML", pages[n]
        )
        page.close()
        if not runs(context, reparsed):
            dead.append(name)
    context.close()
    assert not dead, f"these payloads run nowhere, so they test nothing: {dead}"


def runs(context: Any, html: str) -> bool:
    page = context.new_page()
    try:
        page.set_content(f"<!doctype html><meta charset=utf-8><body>{html}</body>")
        return bool(fired(page)) or bool(wait_for_xss(page))
    finally:
        page.close()


def wait_for_xss(page: Page) -> bool:
    try:
        page.wait_for_function("window.__xss !== undefined", timeout=2000)
    except Exception:  # noqa: BLE001 (Playwright's timeout)
        return False
    return True


# ---------------------------------------------------------------- published, nothing runs


@dataclass(frozen=True)
class Published:
    base: str
    slugs: list[str]  # api-N then file-N, N the payload's index


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """Import every payload as a file, serve the blog, then publish each through the API."""
    folder = tmp_path_factory.mktemp("xss")
    url = f"sqlite:///{folder / 'blog.sqlite'}"
    instance = folder / "instance"
    app = make_app(instance, SECRET_KEY="xss", DATABASE_URL=url, TESTING=True)
    files, count = folder / "posts", len(PAYLOADS)
    files.mkdir()
    (files / "authors.yaml").write_text("- slug: quill\n  name: Quill\n", encoding="utf-8")
    for n, (_, source) in enumerate(PAYLOADS):
        front = f"---\ntitle: Imported payload {n}\nslug: file-{n}\nauthor: quill\n---\n"
        (files / f"file-{n}.md").write_text(front + source, encoding="utf-8")
    with app.app_context():
        db.create_all()
    raw = author_with_token(app, {"slug": "quill", "name": "Quill"}, "xss")
    result = app.test_cli_runner().invoke(args=["import-posts", str(files)])
    assert f"{len(PAYLOADS)} created" in result.output, result.output
    published = Published("", [f"{kind}-{n}" for kind in ("api", "file") for n in range(count)])
    limits = {"API_WRITE_LIMIT": "10000 per minute", "FEED_ITEMS": "1000"}
    with live.running(
        url, instance, workers=2, SECRET_KEY="xss", POSTS_PER_PAGE="1000", **limits
    ) as server:
        base = server.url
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {raw}"
            for n, (name, source) in enumerate(PAYLOADS):
                body = {"title": name, "content": source, "slug": f"api-{n}"}
                made = session.post(
                    f"{base}/api/v1/posts", json={**body, "status": "published"}, timeout=30
                )
                assert made.status_code == 201, (name, made.text)
        with app.app_context():
            html = {slug: text for slug, text in db.session.execute(select(Post.slug, Post.html))}
        twins = [n for n in range(count) if html[f"api-{n}"] != html[f"file-{n}"]]
        assert not twins, f"import and the API stored different HTML for payloads {twins}"
        yield replace(published, base=base)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def sanitizer_only(browser: Browser) -> Iterator[Page]:
    """A tab that ignores the site's CSP: only the sanitizer stands between payload and page."""
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


LEFTOVERS = """() => [...document.querySelectorAll('*')].flatMap(e =>
  [...e.attributes].filter(a => a.name.startsWith('on')).map(a => e.localName + ' ' + a.name)
  .concat(/^(iframe|object|embed|frame)$/.test(e.localName)
    || (e.localName === 'script' && e.type !== 'application/ld+json') ? [e.localName] : []))"""


def test_no_payload_runs_on_its_post_page(published: Published, sanitizer_only: Page) -> None:
    page, ran, left = sanitizer_only, [], []
    for slug in published.slugs[: len(PAYLOADS)]:  # the imported twins hold the same HTML
        response = page.goto(f"{published.base}/posts/{slug}", wait_until="load")
        assert response is not None and response.status == 200, slug
        if fired(page):
            ran.append(slug)
        left += [f"{slug}: {found}" for found in page.evaluate(LEFTOVERS)]
    assert not ran, f"script ran on {ran}"
    assert not left, f"handlers, scripts or frames left: {left}"


def test_listings_show_no_payload_running(published: Published, sanitizer_only: Page) -> None:
    for path in ("/", "/archive", "/authors/quill"):
        sanitizer_only.goto(published.base + path, wait_until="load")
        assert not fired(sanitizer_only), path


def feed_items(base: str) -> dict[str, list[str]]:
    """Return each feed format's item HTML, as a feed reader would get it."""
    get = lambda path: requests.get(base + path, timeout=30)  # noqa: E731
    atom_ns = {"a": "http://www.w3.org/2005/Atom"}
    content = "{http://purl.org/rss/1.0/modules/content/}encoded"
    rss = etree.fromstring(get("/feed.xml").content)
    atom = etree.fromstring(get("/atom.xml").content)
    feed = get("/feed.json").json()
    return {
        "rss": [
            e.text or "" for e in rss.iter("description", content) if e.getparent().tag == "item"
        ],
        "atom": [e.text or "" for e in atom.iterfind(".//a:entry/a:content", atom_ns)]
        + [e.text or "" for e in atom.iterfind(".//a:entry/a:summary", atom_ns)],
        "json": [item.get("content_html", "") for item in feed["items"]]
        + [item.get("summary", "") for item in feed["items"]],
    }


def test_no_payload_runs_from_any_feed(published: Published, browser: Browser) -> None:
    """Each item's HTML, shown as a page the way a feed reader without a sanitizer would."""
    context = browser.new_context(bypass_csp=True)
    page, ran = context.new_page(), []
    for kind, items in feed_items(published.base).items():
        assert len([i for i in items if i]) >= len(PAYLOADS) * 2, (kind, len(items))
        unique = list(dict.fromkeys(items))  # the API's and the file's copy are alike
        ran += [f"{kind}: {unique[n][:100]}" for n in fired_in_frames(page, unique)]
        assert page.evaluate(XSS) is None, kind
    context.close()
    assert not ran, ran


def test_the_feed_documents_themselves_run_nothing(published: Published, browser: Browser):
    context = browser.new_context()
    page = context.new_page()
    for path in ("/feed.xml", "/atom.xml", "/feed.json"):
        response = page.goto(published.base + path, wait_until="load")
        assert response is not None and response.status == 200, path
        assert page.evaluate("window.__xss ?? null") is None, path
    context.close()


# ---------------------------------------------------------------- the CSP, on its own


INJECTED = '<script>window.__xss = 1</script><img src="/nope" onerror="window.__xss = 2">'


def test_the_csp_stops_a_script_that_got_past_the_sanitizer(published, browser: Browser):
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)

    def inject(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace("</main>", INJECTED + "</main>")
        route.fulfill(response=response, body=body)

    page.route("**/posts/api-0", inject)
    page.goto(published.base + "/posts/api-0", wait_until="load")
    assert "__xss = 1" in page.content(), "the injection did not happen"
    assert not fired(page)
    assert len(violations) >= 2, violations  # the inline script and the inline handler
    context.close()


def test_pages_break_no_rule_of_their_own_csp(site, browser: Browser) -> None:
    """Sample pages, JSON-LD included, load with no CSP violation reported."""
    context = browser.new_context()
    page = context.new_page()
    reported: list[str] = []
    page.on("console", lambda m: reported.append(m.text) if m.type in ("error", "warning") else 0)
    for name, (path, status) in PAGES.items():
        response = page.goto(site.url + path, wait_until="load")
        assert response is not None and response.status == status, name
        if name.startswith("post"):
            ld = page.locator('script[type="application/ld+json"]')
            assert json.loads(ld.first.text_content() or "")["@type"]
    context.close()
    assert not [text for text in reported if "Content Security Policy" in text], reported
