"""The site for people: home, post, tags, authors and archive pages."""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    send_from_directory,
    url_for,
)
from jinja2 import StrictUndefined, make_logging_undefined
from sqlalchemy.exc import SQLAlchemyError

from . import markup, posts, web

bp = Blueprint("site", __name__)
STATIC = Path(__file__).parent / "static"


def init_app(app: Flask) -> None:
    """Set up templates: absolute URLs, and undefined variables that never cost a reader a page."""
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
        longdate=lambda moment: f"{moment.day} {moment:%B %Y}",
        shortdate=lambda moment: f"{moment:%b} {moment.day}",
        monthname=lambda moment: f"{moment:%B %Y}",
        monthid=lambda moment: f"{moment:%Y-%m}",
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    web.init_app(app, [app.template_folder, STATIC])


def _site() -> dict[str, Any]:
    config = current_app.config
    return {
        "title": config["TITLE"],
        "description": config["DESCRIPTION"],
        "language": config["LANGUAGE"],
        "base_url": config["BASE_URL"],
    }


def _site_authors() -> list[Any]:
    # The header is on the error pages too: a database fault must not take them down.
    try:
        return posts.public_authors()
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
    found = posts.home_page(number, _per_page())
    if found is None:
        abort(404)
    return render_template("index.html", page=found)


@bp.get("/posts/<slug>")
@web.conditional()
def post(slug: str) -> Any:
    found = posts.public_post(slug)
    if found is None:
        abort(404)
    return render_template("post.html", post=found)


@bp.get("/tags/")
@web.conditional()
def tags() -> Any:
    return render_template("tags.html", tags=posts.tags_with_counts())


@bp.get("/tags/<slug>")
@bp.get("/tags/<slug>/page/<int:number>")
@web.conditional()
def tag(slug: str, number: int = 1) -> Any:
    found = posts.get_tag(slug)
    page = posts.tag_page(found, number, _per_page()) if found else None
    if page is None or page.total == 0:
        abort(404)
    return render_template("tag.html", tag=found, page=page)


@bp.get("/authors/<slug>")
@bp.get("/authors/<slug>/page/<int:number>")
@web.conditional()
def author(slug: str, number: int = 1) -> Any:
    found = posts.get_author(slug)
    page = posts.author_page(found, number, _per_page()) if found else None
    if page is None:
        abort(404)
    return render_template("author.html", author=found, page=page)


@bp.get("/archive")
@web.conditional()
def archive() -> Any:
    return render_template("archive.html", months=posts.archive())
