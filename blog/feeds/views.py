"""Feeds for readers and their software: RSS 2.0, Atom 1.0 and JSON Feed 1.1, site-wide and per tag.

Feed readers poll: `conditional` keeps a built feed in this process under its ETag,
derived from the cheap public_version query, and answers 200 or 304 from it, so the
feed is built once per version per process rather than once per request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, g

from .. import posts
from ..extensions import limiter
from ..formats import feeds as feedformats
from ..formats.feeds import Channel, Item
from ..http import errors, usage
from ..http.conditional import conditional
from ..http.urls import absolute_url, site_url
from ..models import Post, Tag

bp = Blueprint("feeds", __name__)
limiter.exempt(bp)  # feeds have no rate limits: skip the per-request check

Serializer = Callable[[Channel, Sequence[Item]], bytes]
FORMATS: dict[str, tuple[str, Serializer]] = {
    "rss": ("application/rss+xml", feedformats.rss),
    "atom": ("application/atom+xml", feedformats.atom),
    "json": ("application/feed+json", feedformats.json_feed),
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------- views


@bp.get("/feed.xml")
@conditional("FEED_MAX_AGE")
def rss() -> Response:
    return serve("rss")


@bp.get("/atom.xml")
@conditional("FEED_MAX_AGE")
def atom() -> Response:
    return serve("atom")


@bp.get("/feed.json")
@conditional("FEED_MAX_AGE")
def json() -> Response:
    return serve("json")


@bp.get("/tags/<slug>/feed.xml")
@conditional("FEED_MAX_AGE")
def tag_rss(slug: str) -> Response:
    return serve("rss", slug)


@bp.get("/tags/<slug>/atom.xml")
@conditional("FEED_MAX_AGE")
def tag_atom(slug: str) -> Response:
    return serve("atom", slug)


@bp.get("/tags/<slug>/feed.json")
@conditional("FEED_MAX_AGE")
def tag_json(slug: str) -> Response:
    return serve("json", slug)


def serve(kind: str, tag_slug: str | None = None) -> Response:
    """Answer with the feed of this kind (and tag) from the cache, building it on a miss."""
    tag = posts.reads.get_tag(tag_slug) if tag_slug is not None else None
    found = None if tag_slug is not None and tag is None else feed_body(kind, tag)
    if found is None:
        return not_found(kind, f"There is no tag '{tag_slug}' with public posts.")
    body, shown = found
    response = Response(body, content_type=f"{FORMATS[kind][0]}; charset=utf-8")
    usage.set_header(response, shown)
    hub = current_app.config["WEBSUB_HUB"]
    if hub:
        self_url = feed_url(kind, tag)
        response.headers["Link"] = f'<{hub}>; rel="hub", <{self_url}>; rel="self"'
    return response


def not_found(kind: str, detail: str) -> Response:
    """Say 404 in the feed's own kind of document: problem+json or problem+xml."""
    if kind == "json":
        return errors.problem(404, "unknown_tag", detail)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<problem xmlns="urn:ietf:rfc:7807">'
        f"<type>{errors.PROBLEM_TYPE}unknown_tag</type><title>Not Found</title>"
        f"<status>404</status><detail>{escape(feedformats.clean(detail))}</detail>"
        "<code>unknown_tag</code></problem>\n"
    )
    return Response(body, status=404, content_type="application/problem+xml; charset=utf-8")


# ---------------------------------------------------------------- building


def feed_body(kind: str, tag: Tag | None) -> tuple[bytes, list[Post]] | None:
    """Build the feed's bytes (and its posts) for the version `conditional` just read.

    None for a tag without public posts.

    `conditional` keeps the response under its ETag, so this runs once per version
    per process rather than once per request.
    """
    items = posts.reads.recent_posts(int(current_app.config["FEED_ITEMS"]), tag)
    if tag is not None and not items:
        return None
    return build(kind, tag, items, g.public_version[1]), items


def build(kind: str, tag: Tag | None, found: list[Post], newest: datetime | None) -> bytes:
    """Serialize the posts as a feed of this kind, within FEED_MAX_BYTES."""
    channel = make_channel(kind, tag, newest)
    items = [make_item(post) for post in found]
    serializer = FORMATS[kind][1]
    limit = int(current_app.config["FEED_MAX_BYTES"])
    return feedformats.fit(lambda chosen: serializer(channel, chosen), items, limit)


def feed_url(kind: str, tag: Tag | None) -> str:
    """Return the absolute URL of the feed of this kind, site-wide or for a tag."""
    if tag is None:
        return absolute_url(f"feeds.{kind}")
    return absolute_url(f"feeds.tag_{kind}", slug=tag.slug)


def make_channel(kind: str, tag: Tag | None, newest: datetime | None) -> Channel:
    """Describe the feed: titles, links, language, icon and hub."""
    config = current_app.config
    if tag is None:
        title, description = config["TITLE"], config["DESCRIPTION"]
        home = absolute_url("site.index")
    else:
        title = f"{config['TITLE']}: {tag.name}"
        description = f"Posts tagged “{tag.name}” on {config['TITLE']}."
        home = absolute_url("site.tag", slug=tag.slug)
    icon = site_url(config["FEED_ICON"]) if config["FEED_ICON"] else ""
    return Channel(
        id=home,
        title=title,
        description=description,
        home_url=home,
        feed_url=feed_url(kind, tag),
        tags_url=absolute_url("site.tags"),
        language=config["LANGUAGE"],
        updated=newest or EPOCH,
        icon=icon,
        hub=config["WEBSUB_HUB"],
    )


def make_item(post: Post) -> Item:
    """Turn a public post into a feed item with absolute links and its stable id."""
    url = absolute_url("site.post", slug=post.slug)
    published = post.published_at or post.created_at
    return Item(
        id=entry_id(post),
        url=url,
        title=post.title,
        html=feedformats.absolutize(post.html, url),
        summary=post.excerpt,
        published=published,
        updated=max(post.updated_at, published),
        author=feedformats.Byline(
            name=post.author.name,
            url=absolute_url("site.author", slug=post.author.slug),
            model=post.author.model,
        ),
        tags=tuple((tag.slug, tag.name) for tag in post.tags),
        language=post.lang,
        reading_minutes=post.reading_minutes,
        word_count=post.word_count,
        disclosure=post.disclosure,
    )


def entry_id(post: Post) -> str:
    """Return the post's tag: URI (RFC 4151), which no edit of title or slug changes."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"tag:{host},{post.created_at:%Y-%m-%d}:post:{post.id}"
