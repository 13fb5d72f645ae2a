"""The site for people: home, post, tags, authors and archive pages; sitemap and robots.txt."""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from functools import cache
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    send_from_directory,
    url_for,
)
from jinja2 import StrictUndefined, make_logging_undefined
from sqlalchemy.exc import SQLAlchemyError

from . import (
    disclosure,
    discovery,
    documents,
    i18n,
    jsonld,
    language,
    markup,
    media,
    queries,
    sitemap,
    web,
)
from .extensions import limiter
from .models import Post

bp = Blueprint("site", __name__)
STATIC = Path(__file__).parent / "static"
FIRST_IMAGE = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


def init_app(app: Flask) -> None:
    """Set up templates: absolute URLs, and undefined variables that never cost a reader a page."""
    limiter.exempt(bp)  # pages have no limits: skip the per-request check
    if app.testing or app.debug:
        app.jinja_env.undefined = StrictUndefined
    else:
        app.jinja_env.undefined = make_logging_undefined(logging.getLogger("blog.templates"))
    app.jinja_env.globals.update(
        absolute_url=web.absolute_url, site=_site, page_url=page_url, stylesheet_url=stylesheet_url
    )
    app.jinja_env.globals["site_authors"] = _site_authors
    app.jinja_env.filters.update(
        isodate=lambda moment: moment.isoformat(timespec="seconds"),
        monthid=lambda moment: f"{moment:%Y-%m}",
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    _check_settings(app)
    i18n.init_app(app)
    web.init_app(app, [app.template_folder, STATIC, i18n.TRANSLATIONS])


def _site() -> dict[str, Any]:
    config = current_app.config
    return {
        "title": config["TITLE"],
        "description": config["DESCRIPTION"],
        "language": config["LANGUAGE"],
        "base_url": config["BASE_URL"],
        "operator": config["OPERATOR"],
        "operator_url": config["OPERATOR_URL"],
        "logo": _absolute(config["LOGO"]) if config["LOGO"] else "",
    }


def _site_authors() -> list[Any]:
    # The header is on the error pages too: a database fault must not take them down.
    try:
        return queries.public_authors()
    except SQLAlchemyError:
        logging.getLogger(__name__).warning("could not list the authors for the header")
        return []


def page_url(endpoint: str, number: int, **values: Any) -> str:
    """Link to page `number` of a listing; page 1 is the listing's own URL."""
    if number > 1:
        return url_for(endpoint, number=number, **values)
    return url_for("site.index" if endpoint == "site.page" else endpoint, **values)


@cache
def _stylesheet() -> tuple[str, str]:
    css = (STATIC / "style.css").read_text() + "\n" + markup.highlight_css()
    return css, hashlib.blake2b(css.encode(), digest_size=8).hexdigest()


def stylesheet_url() -> str:
    """Return the stylesheet's URL, which changes whenever its content does."""
    return url_for("site.stylesheet", digest=_stylesheet()[1])


@bp.get("/assets/style.<digest>.css")
def stylesheet(digest: str) -> Response:
    css, current = _stylesheet()
    if digest != current:
        return redirect(url_for("site.stylesheet", digest=current))
    response = Response(css, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 365 * 24 * 3600
    response.cache_control.immutable = True
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    return send_from_directory(STATIC, "favicon.ico", max_age=7 * 24 * 3600)


@bp.get("/media/<name>")
def media_file(name: str) -> Response:
    """Serve an uploaded image: its name is its content hash, so it never changes."""
    if not media.NAME_RE.match(name):
        abort(404)
    folder = Path(current_app.instance_path) / "media"
    response = send_from_directory(folder, name, mimetype=media.content_type(name))
    response.cache_control.public = True
    response.cache_control.max_age = 365 * 24 * 3600
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _per_page() -> int:
    return int(current_app.config["POSTS_PER_PAGE"])


@bp.get("/")
@web.conditional()
def index() -> Any:
    return _home(1)


@bp.get("/page/<int:number>")
@web.conditional()
def page(number: int) -> Any:
    if number == 1:
        return redirect(url_for("site.index"), 301)
    return _home(number)


def _home(number: int) -> str:
    found = queries.home_page(number, _per_page())
    if found is None:
        abort(404)
    return render_template("index.html", page=found)


MARKDOWN_OR_HTML = ("text/html", "text/markdown")


@bp.get("/posts/<slug>")
@web.conditional(negotiate=MARKDOWN_OR_HTML)
def post(slug: str) -> Any:
    found = queries.public_post(slug)
    if found is None:
        abort(404)
    if web.preferred(MARKDOWN_OR_HTML) == "text/markdown":
        return _markdown(found)
    i18n.use_language(found.lang)
    alternates = discovery.translations(found)
    body = render_template("post.html", post=found, **_post_metadata(found, alternates))
    response = make_response(body)
    response.headers["AI-Disclosure"] = disclosure.header_value(found)
    response.content_language.add(found.lang)
    return response


@bp.get("/posts/<slug>.md")
@web.conditional()
def post_markdown(slug: str) -> Any:
    found = queries.public_post(slug)
    if found is None:
        abort(404)
    return _markdown(found)


def _markdown(post: Post) -> Response:
    url = web.absolute_url("site.post", slug=post.slug)
    response = Response(documents.post_document(post, url), mimetype="text/markdown")
    response.headers["AI-Disclosure"] = disclosure.header_value(post)
    return response


@bp.get("/llms.txt")
@web.conditional()
def llms_txt() -> Any:
    recent = queries.recent_posts(current_app.config["LLMS_POSTS"], with_html=False)
    body = render_template("llms.txt", recent=recent, tags=queries.tags_with_counts())
    return Response(body, mimetype="text/plain")


@bp.get("/llms-full.txt")
@web.conditional()
def llms_full_txt() -> Any:
    body = f"# {current_app.config['TITLE']}\n\n> {current_app.config['DESCRIPTION']}\n"
    size, cap = len(body.encode()), current_app.config["LLMS_FULL_MAX_BYTES"]
    for post in queries.recent_posts(current_app.config["LLMS_POSTS"]):
        part = "\n" + _markdown(post).get_data(as_text=True)
        size += len(part.encode())
        if size > cap:
            break  # whole posts only: never cut one in the middle
        body += part
    return Response(body, mimetype="text/plain")


@bp.get("/tags/")
@web.conditional()
def tags() -> Any:
    return render_template("tags.html", tags=queries.tags_with_counts())


@bp.get("/tags/<slug>")
@bp.get("/tags/<slug>/page/<int:number>")
@web.conditional()
def tag(slug: str, number: int = 1) -> Any:
    found = queries.get_tag(slug)
    page = queries.tag_page(found, number, _per_page()) if found else None
    if page is None or page.total == 0:
        abort(404)
    return render_template("tag.html", tag=found, page=page)


@bp.get("/authors/<slug>")
@bp.get("/authors/<slug>/page/<int:number>")
@web.conditional()
def author(slug: str, number: int = 1) -> Any:
    found = queries.get_author(slug)
    page = queries.author_page(found, number, _per_page()) if found else None
    if page is None:
        abort(404)
    return render_template("author.html", author=found, page=page)


@bp.get("/archive")
@web.conditional()
def archive() -> Any:
    return render_template("archive.html", months=queries.archive())


def _check_settings(app: Flask) -> None:
    if language.canonical(app.config["LANGUAGE"]) is None:
        raise ValueError(f"BLOG_LANGUAGE: {app.config['LANGUAGE']!r} is not a BCP 47 tag")
    if app.config["BYLINE"]:
        try:
            disclosure.check_byline(app.config["BYLINE"])
        except ValueError as exc:
            raise ValueError(f"BLOG_BYLINE: {exc}") from exc
    if not 1 <= app.config["SITEMAP_MAX_URLS"] <= sitemap.MAX_URLS:
        raise ValueError(f"BLOG_SITEMAP_MAX_URLS: must be between 1 and {sitemap.MAX_URLS}")


# ---------------------------------------------------------------- disclosure and metadata


def _absolute(url: str, base: str = "") -> str:
    return urljoin(base or current_app.config["BASE_URL"] + "/", url)


def _publisher(post: Post) -> dict[str, Any]:
    config = current_app.config
    if config["OPERATOR"]:
        name, url = config["OPERATOR"], config["OPERATOR_URL"]
    elif post.author.operator:
        name, url = post.author.operator, post.author.operator_url
    else:
        name, url = config["TITLE"], ""
    publisher: dict[str, Any] = {"@type": "Organization", "name": name}
    publisher["url"] = url or config["BASE_URL"] + "/"
    if config["LOGO"]:
        publisher["logo"] = {"@type": "ImageObject", "url": _absolute(config["LOGO"])}
    return publisher


def _post_metadata(post: Post, alternates: list[discovery.Translation]) -> dict[str, Any]:
    """Return what post.html's head needs: canonical URL, image, alternates and JSON-LD."""
    url = web.absolute_url("site.post", slug=post.slug)
    found = FIRST_IMAGE.search(post.html)
    image = _absolute(unescape(found.group(1)), url) if found else _site()["logo"]
    image = image or web.absolute_url("static", filename="social-card.png")  # the default card
    others = {p.id: web.absolute_url("site.post", slug=p.slug) for p in alternates}
    links = jsonld.Links(
        url=url,
        canonical=post.canonical_url or url,
        image=image,
        translation_of=others.get(post.translation_of_id, ""),
        translations=[others[p.id] for p in alternates if p.translation_of_id == post.id],
    )
    author_url = web.absolute_url("site.author", slug=post.author.slug)
    who = disclosure.schema_org(post, author_url, _publisher(post))
    return {
        "canonical": links.canonical,
        "image": image,
        "alternates": alternates,
        "language_names": language.autonyms([post.lang, *(p.lang for p in alternates)]),
        "ai_disclosure": disclosure.level(post).meta,
        "structured_data": jsonld.blog_posting(post, links, who),
    }


@bp.get("/about/ai")
@web.conditional()
def about_ai() -> Any:
    return render_template(
        "about_ai.html", authors=discovery.authors(), levels=disclosure.LEVELS.values()
    )


# ---------------------------------------------------------------- crawlers


def _slug_urls(endpoint: str) -> Callable[[str], str]:
    """Return slug -> absolute URL, building the route once: slugs are URL-safe as they are."""
    head, _, tail = web.absolute_url(endpoint, slug="SLUG").rpartition("SLUG")
    return lambda slug: head + slug + tail


def _sitemap_entries() -> list[sitemap.Entry]:
    rows = discovery.sitemap_posts()
    post_url = _slug_urls("site.post")
    urls = {row.slug: post_url(row.slug) for row in rows}
    # A post whose canonical URL is elsewhere (cross-posted) is not ours to list.
    own = [row for row in rows if row.canonical_url in ("", urls[row.slug])]
    groups: dict[int, list[discovery.SitemapPost]] = defaultdict(list)
    for row in own:
        groups[row.group].append(row)
    newest = max((row.updated_at for row in rows), default=None)
    entries = [
        sitemap.Entry(web.absolute_url(endpoint), newest)
        for endpoint in ("site.index", "site.archive", "site.tags")
    ]
    for row in own:
        members = groups[row.group]
        alternates = [(m.lang, urls[m.slug]) for m in members] if len(members) > 1 else []
        entries.append(sitemap.Entry(urls[row.slug], row.updated_at, alternates))
    for endpoint, found in (
        ("site.tag", discovery.sitemap_tags()),
        ("site.author", discovery.sitemap_authors()),
    ):
        url = _slug_urls(endpoint)
        entries += [sitemap.Entry(url(slug), moment) for slug, moment in found]
    return entries


def _xml(body: bytes) -> Response:
    return Response(body, mimetype="application/xml")


@bp.get("/sitemap.xml")
@web.conditional()
def sitemap_xml() -> Any:
    entries = _sitemap_entries()
    size = current_app.config["SITEMAP_MAX_URLS"]
    if len(entries) <= size:
        return _xml(sitemap.urlset(entries))
    parts = [
        sitemap.Entry(web.absolute_url("site.sitemap_part", number=n), sitemap.newest(part))
        for n, part in enumerate(sitemap.parts(entries, size), start=1)
    ]
    return _xml(sitemap.index(parts))


@bp.get("/sitemap-<int:number>.xml")
@web.conditional()
def sitemap_part(number: int) -> Any:
    parts = sitemap.parts(_sitemap_entries(), current_app.config["SITEMAP_MAX_URLS"])
    if not 1 <= number <= len(parts) or len(parts) == 1:
        abort(404)
    return _xml(sitemap.urlset(parts[number - 1]))


@bp.get("/robots.txt")
@web.conditional()
def robots() -> Any:
    sitemap_url = web.absolute_url("site.sitemap_xml")
    body = f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n"
    return Response(body, mimetype="text/plain")
