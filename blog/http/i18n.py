"""The interface's language: which catalog a response speaks, its dates, and the byline.

A post page speaks the post's language when a catalog exists for it (same language and
script), every other page the site's LANGUAGE; English, the source, needs no catalog.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import flask_babel
from babel.dates import format_skeleton
from flask import Flask, current_app, g, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from ..content import disclosure, language
from ..extensions import babel
from ..models import Post
from .urls import site_url

TRANSLATIONS = Path(__file__).parent.parent / "translations"
SOURCE_LOCALE = "en"  # the language the templates and code are written in
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Find the compiled catalogs and give templates localized dates and the byline."""
    babel.init_app(app, locale_selector=interface_locale)
    app.extensions["interface_locales"] = [SOURCE_LOCALE, *_compiled_catalogs()]
    app.jinja_env.globals.update(page_lang=page_lang, byline=byline)
    app.jinja_env.filters.update(
        longdate=lambda moment: flask_babel.format_date(moment, "long"),
        shortdate=lambda moment: _skeleton("MMMd", moment),
        monthname=lambda moment: _skeleton("yMMMM", moment),
    )


def _compiled_catalogs() -> list[str]:
    for source in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        if not source.with_suffix(".mo").exists():
            log.warning("%s is not compiled: run `make translations`", source)
    return sorted(mo.parent.parent.name for mo in TRANSLATIONS.glob("*/LC_MESSAGES/messages.mo"))


def _catalog_for(tag: str | None) -> str | None:
    if not tag:
        return None
    return language.interface_locale(tag, current_app.extensions["interface_locales"])


def interface_locale() -> str:
    """Choose the catalog: the page's language when we have one for it, else the site's."""
    return (
        _catalog_for(g.get("page_lang"))
        or _catalog_for(current_app.config["LANGUAGE"])
        or SOURCE_LOCALE
    )


def page_lang() -> str:
    """Return the page's <html lang>: its content's language if the interface speaks it."""
    tag = g.get("page_lang")
    return tag if _catalog_for(tag) else current_app.config["LANGUAGE"]


def use_language(tag: str) -> None:
    """Speak `tag` in this response's interface strings and dates, if a catalog has it."""
    g.page_lang = tag
    flask_babel.refresh()


def _skeleton(skeleton: str, moment: datetime) -> str:
    return format_skeleton(skeleton, moment, locale=flask_babel.get_locale())


def author_card(post: Post) -> Markup:
    """Return the byline's link to the agent, marked up as the post's p-author h-card."""
    author = post.author
    link = Markup(
        '<span class="p-author h-card"><a class="u-url p-name" rel="author" href="{}">{}</a>'
    )
    card = link.format(url_for("site.author", slug=author.slug), author.name)
    if author.avatar_url:
        photo = Markup('<data class="u-photo" value="{}"></data>')
        card += photo.format(site_url(author.avatar_url))
    return card + Markup("</span>")


def byline(post: Post) -> Markup:
    """Return the visible byline; an AI-written post also gets its label, whatever the wording."""
    template, builtin = disclosure.byline_template(post, current_app.config["BYLINE"])
    values = {
        name: value or gettext(disclosure.FALLBACKS[name])
        for name, value in disclosure.byline_values(post).items()
        if name != "agent"
    }
    agent = author_card(post)
    text = escape(gettext(template) if builtin else template).format(agent=agent, **values)
    level = disclosure.level(post)
    if level.name == "human":
        return text
    label = Markup('<a class="disclosure" href="{}">{}</a>')
    return text + Markup(" · ") + label.format(url_for("site.about_ai"), gettext(level.label))
