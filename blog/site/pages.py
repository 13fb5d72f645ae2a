"""Pages for people: home, a post (or its markdown), tags, authors, the archive, about AI."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import posts
from ..content import disclosure
from ..formats.frontmatter import post_document
from ..http import conditional, i18n, usage
from ..http.templating import page_url
from ..http.urls import absolute_url
from ..models import Post
from .agents import home_markdown, markdown_reply
from .blueprint import bp
from .metadata import post_metadata

MARKDOWN_OR_HTML = ("text/html", "text/markdown")


def _per_page() -> int:
    return int(current_app.config["POSTS_PER_PAGE"])


def _page_one_elsewhere(number: int, **values: Any) -> Response | None:
    """Redirect (301) a listing's /page/1 to the listing's own URL: one URL per page."""
    if number != 1 or "number" not in (request.view_args or {}):
        return None
    return redirect(page_url(request.endpoint or "", 1, **values), 301)


@bp.get("/")
@conditional.conditional(negotiate=MARKDOWN_OR_HTML)
def index() -> Any:
    if conditional.preferred(MARKDOWN_OR_HTML) == "text/markdown":
        return home_markdown()
    response = make_response(_home(1))
    # Micropub discovery (W3C Micropub §5.3) by header as well as by <link>.
    response.headers["Link"] = f'<{absolute_url("micropub.endpoint")}>; rel="micropub"'
    return response


@bp.get("/page/<int:number>")
@conditional.conditional()
def page(number: int) -> Any:
    if moved := _page_one_elsewhere(number):
        return moved
    return _home(number)


def _home(number: int) -> Response:
    found = posts.reads.home_page(number, _per_page())
    if found is None:
        abort(404)
    return listing("site/index.html", found.items, page=found)


def listing(template: str, shown: list[Post], **context: Any) -> Response:
    """Render a page that shows posts, disclosing in its meta and header what it shows."""
    found = disclosure.listing_level(shown)
    meta = {"listing_disclosure": found.meta} if found else {}
    response = make_response(render_template(template, **context, **meta))
    if header := disclosure.listing_header_value(shown):
        response.headers["AI-Disclosure"] = header
    return usage.set_header(response, shown)


@bp.get("/posts/<slug>")
@conditional.conditional(negotiate=MARKDOWN_OR_HTML)
def post(slug: str) -> Any:
    found = posts.reads.public_post(slug)
    if found is None:
        abort(404)
    if conditional.preferred(MARKDOWN_OR_HTML) == "text/markdown":
        return markdown_response(found)
    i18n.use_language(found.lang)
    alternates = posts.reads.translations(found)
    related = posts.finding.related(found)
    metadata = post_metadata(found, alternates)
    body = render_template("site/post.html", post=found, related=related, **metadata)
    response = make_response(body)
    response.headers["AI-Disclosure"] = disclosure.header_value(found)
    response.content_language.add(found.lang)
    return usage.set_header(response, [found])


@bp.get("/posts/<slug>.md")
@conditional.conditional()
def post_markdown(slug: str) -> Any:
    found = posts.reads.public_post(slug)
    if found is None:
        abort(404)
    return markdown_response(found)


def markdown_response(post: Post) -> Response:
    """Answer with the post as markdown and front matter, disclosed like its page."""
    url = absolute_url("site.post", slug=post.slug)
    response = markdown_reply(post_document(post, url), [post])
    response.headers["AI-Disclosure"] = disclosure.header_value(post)
    signature = url_for("site.post_jws", slug=post.slug)
    response.headers["Link"] = f'<{signature}>; rel="alternate"; type="application/jose"'
    return response


@bp.get("/tags/")
@conditional.conditional()
def tags() -> Any:
    return render_template("site/tags.html", tags=posts.reads.tags_with_counts())


@bp.get("/tags/<slug>")
@bp.get("/tags/<slug>/page/<int:number>")
@conditional.conditional()
def tag(slug: str, number: int = 1) -> Any:
    if moved := _page_one_elsewhere(number, slug=slug):
        return moved
    found = posts.reads.get_tag(slug)
    page = posts.reads.tag_page(found, number, _per_page()) if found else None
    if page is None or page.total == 0:
        abort(404)
    return listing("site/tag.html", page.items, tag=found, page=page)


@bp.get("/authors/<slug>")
@bp.get("/authors/<slug>/page/<int:number>")
@conditional.conditional()
def author(slug: str, number: int = 1) -> Any:
    if moved := _page_one_elsewhere(number, slug=slug):
        return moved
    found = posts.reads.get_author(slug)
    page = posts.reads.author_page(found, number, _per_page()) if found else None
    if page is None:
        abort(404)
    return listing("site/author.html", page.items, author=found, page=page)


@bp.get("/archive")
@conditional.conditional()
def archive() -> Any:
    return render_template("site/archive.html", years=posts.archive.years())


@bp.get("/archive/<int:year>")
@bp.get("/archive/<int:year>/page/<int:number>")
@conditional.conditional()
def archive_year(year: int, number: int = 1) -> Any:
    if moved := _page_one_elsewhere(number, year=year):
        return moved
    found = posts.archive.year_page(year, number)
    if found is None:
        abort(404)
    shown = [post for _, month_posts in found.months for post in month_posts]
    return listing("site/archive_year.html", shown, page=found)


@bp.get("/about/ai")
@conditional.conditional()
def about_ai() -> Any:
    return render_template(
        "site/about_ai.html", authors=posts.crawl.authors(), levels=disclosure.LEVELS.values()
    )
