"""Jinja for every surface: undefined names, the site's globals and filters, the stylesheet."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, url_for
from jinja2 import FileSystemBytecodeCache, StrictUndefined, make_logging_undefined
from sqlalchemy.exc import SQLAlchemyError

from ..content import markup
from ..models import Author
from ..posts import reads
from .urls import absolute_url, site_url

STATIC = Path(__file__).resolve().parent.parent / "static"
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Set up templates: absolute URLs, and undefined variables that never cost a reader a page."""
    if app.testing or app.debug:
        app.jinja_env.undefined = StrictUndefined
    else:
        app.jinja_env.undefined = make_logging_undefined(logging.getLogger("blog.templates"))
    app.jinja_env.globals.update(
        absolute_url=absolute_url,
        site=site,
        page_url=page_url,
        stylesheet_url=stylesheet_url,
        site_authors=site_authors,
    )
    app.jinja_env.filters.update(
        isodate=lambda moment: moment.isoformat(timespec="seconds"),
        monthid=lambda moment: f"{moment:%Y-%m}",
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Compiled templates kept in instance/ (keyed by each template's source): a worker's first
    # page loads them in milliseconds instead of compiling them again on every start (~0.3 s).
    folder = Path(app.instance_path, "templates-compiled")
    with contextlib.suppress(OSError):  # a read-only instance folder: compile, as before
        folder.mkdir(parents=True, exist_ok=True)
        app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(folder))


def site() -> dict[str, Any]:
    """Return what templates say about the blog: its title, language, operator and logo."""
    config = current_app.config
    return {
        "title": config["TITLE"],
        "description": config["DESCRIPTION"],
        "language": config["LANGUAGE"],
        "base_url": config["BASE_URL"],
        "operator": config["OPERATOR"],
        "operator_url": config["OPERATOR_URL"],
        "logo": site_url(config["LOGO"]) if config["LOGO"] else "",
    }


def site_authors() -> list[Author]:
    """Return the authors the header lists; none, rather than an error page, on a fault."""
    # The header is on the error pages too: a database fault must not take them down.
    try:
        return reads.public_authors()
    except SQLAlchemyError:
        log.warning("could not list the authors for the header")
        return []


def page_url(endpoint: str, number: int, **values: Any) -> str:
    """Link to page `number` of a listing; page 1 is the listing's own URL."""
    if number > 1:
        return url_for(endpoint, number=number, **values)
    return url_for("site.index" if endpoint == "site.page" else endpoint, **values)


@cache
def stylesheet() -> tuple[str, str]:
    """Return the stylesheet (ours and the code highlighting) and a digest of it."""
    css = (STATIC / "style.css").read_text() + "\n" + markup.highlight_css()
    return css, hashlib.blake2b(css.encode(), digest_size=8).hexdigest()


def stylesheet_url() -> str:
    """Return the stylesheet's URL, which changes whenever its content does."""
    return url_for("site.stylesheet", digest=stylesheet()[1])
