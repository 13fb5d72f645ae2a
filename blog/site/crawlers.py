"""What crawlers and agents read: llms.txt, llms-full.txt, the sitemap and robots.txt."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from flask import Response, abort, current_app, render_template, url_for

from .. import posts
from ..content import usage as contentusage
from ..formats import sitemap
from ..http import conditional, usage
from ..http.urls import absolute_url, slug_urls
from .blueprint import bp
from .pages import markdown_response


@bp.get("/llms.txt")
@conditional.conditional()
def llms_txt() -> Any:
    recent = posts.reads.recent_posts(current_app.config["LLMS_POSTS"], with_html=False)
    tags = posts.reads.tags_with_counts()
    body = render_template("site/llms.txt", recent=recent, tags=tags)
    return Response(body, mimetype="text/plain")


@bp.get("/llms-full.txt")
@conditional.conditional()
def llms_full_txt() -> Any:
    body = f"# {current_app.config['TITLE']}\n\n> {current_app.config['DESCRIPTION']}\n"
    size, cap = len(body.encode()), current_app.config["LLMS_FULL_MAX_BYTES"]
    for post in posts.reads.recent_posts(current_app.config["LLMS_POSTS"]):
        part = "\n" + markdown_response(post).get_data(as_text=True)
        size += len(part.encode())
        if size > cap:
            break  # whole posts only: never cut one in the middle
        body += part
    return Response(body, mimetype="text/plain")


def _post_entries(
    rows: list[posts.crawl.SitemapPost], members: list[posts.crawl.SitemapPost]
) -> list[sitemap.Entry]:
    """Return the entries of `rows`; `members` holds their translation groups' posts."""
    post_url = slug_urls("site.post")
    urls = {row.slug: post_url(row.slug) for row in [*rows, *members]}
    # A post whose canonical URL is elsewhere (cross-posted) is not ours to list.
    own = [row for row in rows if row.canonical_url in ("", urls[row.slug])]
    groups: dict[int, list[posts.crawl.SitemapPost]] = defaultdict(list)
    for row in members:
        if row.canonical_url in ("", urls[row.slug]):
            groups[row.group].append(row)
    entries = []
    for row in own:
        group = groups[row.group]
        alternates = [(m.lang, urls[m.slug]) for m in group] if len(group) > 1 else []
        entries.append(sitemap.Entry(urls[row.slug], row.updated_at, alternates))
    return entries


def _other_entries(newest: datetime | None) -> list[sitemap.Entry]:
    """Return the listings', tags' and authors' entries: they do not grow with the posts."""
    entries = [
        sitemap.Entry(absolute_url(endpoint), newest)
        for endpoint in ("site.index", "site.archive", "site.tags")
    ]
    for endpoint, found in (
        ("site.tag", posts.crawl.sitemap_tags()),
        ("site.author", posts.crawl.sitemap_authors()),
    ):
        url = slug_urls(endpoint)
        entries += [sitemap.Entry(url(slug), moment) for slug, moment in found]
    return entries


def public_newest() -> datetime | None:
    """Return the newest change readers can see: the listings' lastmod."""
    return posts.reads.public_version()[1]


def _xml(body: bytes) -> Response:
    return Response(body, mimetype="application/xml")


def _layout() -> tuple[int, list[sitemap.Entry], list[tuple[int, datetime]]] | None:
    """Return (size, other entries, post id buckets) when the sitemap is an index, else None.

    Past SITEMAP_MAX_URLS the sitemap is an index of parts: first the listings, tags and
    authors, then one part per run of `size` post ids, so that building a part costs in
    proportion to that part (an id range), never to the whole blog.
    """
    size = current_app.config["SITEMAP_MAX_URLS"]
    newest = public_newest()
    others = _other_entries(newest)
    if len(others) + posts.crawl.public_count() <= size:
        return None
    return size, others, posts.crawl.sitemap_buckets(size)


@bp.get("/sitemap.xml")
@conditional.conditional(exists=lambda: True)
def sitemap_xml() -> Any:
    layout = _layout()
    if layout is None:
        rows = posts.crawl.sitemap_posts()
        entries = _other_entries(public_newest())
        return _xml(sitemap.urlset(entries[:3] + _post_entries(rows, rows) + entries[3:]))
    size, others, buckets = layout
    first = sitemap.parts(others, size)
    parts = [
        sitemap.Entry(absolute_url("site.sitemap_part", number=n), sitemap.newest(part))
        for n, part in enumerate(first, start=1)
    ]
    parts += [
        sitemap.Entry(absolute_url("site.sitemap_part", number=len(first) + n + 1), moment)
        for n, moment in buckets
    ]
    return _xml(sitemap.index(parts))


def _part_exists(number: int) -> bool:
    """Tell whether sitemap part `number` has URLs, without building it."""
    layout = _layout()
    if layout is None:
        return False
    size, others, buckets = layout
    first = len(sitemap.parts(others, size))
    # Post parts follow the listings' parts, one per id run with public posts: runs may be
    # missing (their posts deleted or drafted), and those parts are 404s.
    return 1 <= number <= first or number - first - 1 in {n for n, _ in buckets}


@bp.get("/sitemap-<int:number>.xml")
@conditional.conditional(exists=_part_exists)
def sitemap_part(number: int) -> Any:
    layout = _layout()
    if layout is None or number < 1:
        abort(404)
    size, others, _ = layout
    first = sitemap.parts(others, size)
    if number <= len(first):
        return _xml(sitemap.urlset(first[number - 1]))
    start = (number - len(first) - 1) * size + 1
    rows = posts.crawl.sitemap_posts(range(start, start + size))
    if not rows:
        abort(404)
    members = posts.crawl.sitemap_group_members({row.group for row in rows})
    return _xml(sitemap.urlset(_post_entries(rows, members)))


@bp.get("/robots.txt")
@conditional.conditional()
def robots() -> Any:
    sitemap_url = absolute_url("site.sitemap_xml")
    lines = [
        "User-agent: *",
        "Allow: /",
        "Disallow: /admin/",
        *usage_rules(),
        "",
        f"Sitemap: {sitemap_url}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


def usage_rules() -> list[str]:
    """Return robots.txt's AI usage lines: Content-Usage (aipref) per path, Content-Signal."""
    blog = usage.blog_preferences()
    rules = [f"Content-Usage: / {contentusage.content_usage(blog)}"]
    setting = current_app.config["AI_USAGE"]
    for slug, override in posts.crawl.usage_overrides():
        value = contentusage.content_usage(contentusage.effective(setting, override))
        path = url_for("site.post", slug=slug)
        # `$` ends the page's path; the .md prefix covers the markdown and its signature.
        rules += [f"Content-Usage: {path}$ {value}", f"Content-Usage: {path}.md {value}"]
    rules.append(f"Content-Signal: {contentusage.content_signal(blog)}")
    return rules
