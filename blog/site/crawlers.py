"""What crawlers and agents read: llms.txt, llms-full.txt, the sitemap and robots.txt."""

from __future__ import annotations

from collections import defaultdict
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


def _sitemap_entries() -> list[sitemap.Entry]:
    rows = posts.crawl.sitemap_posts()
    post_url = slug_urls("site.post")
    urls = {row.slug: post_url(row.slug) for row in rows}
    # A post whose canonical URL is elsewhere (cross-posted) is not ours to list.
    own = [row for row in rows if row.canonical_url in ("", urls[row.slug])]
    groups: dict[int, list[posts.crawl.SitemapPost]] = defaultdict(list)
    for row in own:
        groups[row.group].append(row)
    newest = max((row.updated_at for row in rows), default=None)
    entries = [
        sitemap.Entry(absolute_url(endpoint), newest)
        for endpoint in ("site.index", "site.archive", "site.tags")
    ]
    for row in own:
        members = groups[row.group]
        alternates = [(m.lang, urls[m.slug]) for m in members] if len(members) > 1 else []
        entries.append(sitemap.Entry(urls[row.slug], row.updated_at, alternates))
    for endpoint, found in (
        ("site.tag", posts.crawl.sitemap_tags()),
        ("site.author", posts.crawl.sitemap_authors()),
    ):
        url = slug_urls(endpoint)
        entries += [sitemap.Entry(url(slug), moment) for slug, moment in found]
    return entries


def _xml(body: bytes) -> Response:
    return Response(body, mimetype="application/xml")


@bp.get("/sitemap.xml")
@conditional.conditional()
def sitemap_xml() -> Any:
    entries = _sitemap_entries()
    size = current_app.config["SITEMAP_MAX_URLS"]
    if len(entries) <= size:
        return _xml(sitemap.urlset(entries))
    parts = [
        sitemap.Entry(absolute_url("site.sitemap_part", number=n), sitemap.newest(part))
        for n, part in enumerate(sitemap.parts(entries, size), start=1)
    ]
    return _xml(sitemap.index(parts))


@bp.get("/sitemap-<int:number>.xml")
@conditional.conditional()
def sitemap_part(number: int) -> Any:
    parts = sitemap.parts(_sitemap_entries(), current_app.config["SITEMAP_MAX_URLS"])
    if not 1 <= number <= len(parts) or len(parts) == 1:
        abort(404)
    return _xml(sitemap.urlset(parts[number - 1]))


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
