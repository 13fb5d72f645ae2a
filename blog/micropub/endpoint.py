"""/micropub: create, update, delete and undelete posts; answer q=config, source, category."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, jsonify, request
from slugify import slugify

from .. import posts
from ..http.auth import current_author, quota_problem, reads, token_actor, writes
from ..http.errors import Problem
from ..http.urls import absolute_url
from ..models import Post
from . import auth, parse, photos, properties
from .blueprint import bp

QUERIES = ("config", "source", "syndicate-to", "category")
POST_TYPES = [
    {"type": "note", "name": "Note"},
    {"type": "article", "name": "Article"},
    {"type": "photo", "name": "Photo"},
]


@bp.post("/micropub")
def endpoint() -> Response:
    parse.limit_body(parse.MAX_PHOTOS)
    auth.authenticate(parse.form_token())
    return _write(parse.read_call())


@writes
def _write(call: parse.Call) -> Response:
    if call.action == "create":
        return _create(call)
    auth.require("update" if call.action == "update" else "delete")
    post = _own_post(call.url)
    if call.action == "update":
        return _update(post, call.changes)
    if call.action == "delete":
        posts.delete_post(post, actor=token_actor())
        return Response(status=204)
    return _undelete(post)


def _create(call: parse.Call) -> Response:
    if not (auth.holds("create") or auth.holds("draft")):
        auth.require("create")
    if not call.properties and not call.files:
        raise parse.bad("nothing to create: send at least content")
    fields = properties.post_values(call.properties)
    if fields.setdefault("status", "published" if auth.holds("create") else "draft") == "published":
        auth.require("create")
    fields["lang"] = current_app.config["LANGUAGE"]
    if slug := _suggested_slug(call.commands):
        fields["slug"] = slug
    actor = token_actor()
    if call.files:  # refuse the post before storing its photos
        _save(lambda: posts.preview_post(fields))
        _save(lambda: posts.check_quota(current_author(), actor))
        photos.attach(call.files, fields)
    return _created(_save(lambda: posts.create_post(current_author(), fields, actor=actor)))


def _created(post: Post) -> Response:
    """Answer 201 with the post's URL; the seam for review: a pending post will get 202."""
    status = 202 if _awaiting_review(post) else 201
    return Response(status=status, headers={"Location": _url(post)})


def _awaiting_review(post: Post) -> bool:
    """Tell whether the post waits for an operator's review (its author's policy)."""
    return post.status == "pending"


def _update(post: Post, changes: dict[str, Any]) -> Response:
    current = properties.source(post, _url(post))
    current.pop("url")
    changed = apply_changes(current, changes)
    fields = properties.post_values(changed)
    publishing = fields.get("status") == "published" and post.status != "published"
    if publishing or (post.status == "published" and not auth.updates_published()):
        auth.require("create")
    fields = {k: v for k, v in fields.items() if v != _stored(post, k)}
    if fields:
        _save(lambda: posts.update_post(post, fields, actor=token_actor()))
    return Response(status=204)


def apply_changes(current: properties.Properties, changes: dict[str, Any]) -> Any:
    """Apply replace, then add, then delete (whole properties or some values) to `current`."""
    result = dict(current)
    for kind in ("replace", "add"):
        given = changes.get(kind, {})
        if not isinstance(given, dict):
            raise parse.bad(f"{kind} must be an object of property names and lists of values")
        for name, values in given.items():
            if not isinstance(values, list):
                raise parse.bad(f"{kind}.{name} must be a list of values")
            result[name] = values if kind == "replace" else [*result.get(name, []), *values]
    removed = changes.get("delete", [])
    if isinstance(removed, list) and all(isinstance(name, str) for name in removed):
        for name in removed:
            result.pop(name, None)
    elif isinstance(removed, dict) and all(isinstance(v, list) for v in removed.values()):
        for name, values in removed.items():
            result[name] = [v for v in result.get(name, []) if v not in values]
    else:
        raise parse.bad("delete must list property names or map names to lists of values")
    return {name: values for name, values in result.items() if values != []}


def _stored(post: Post, field: str) -> Any:
    if field == "tags":
        return [tag.name for tag in post.tags]
    if field == "published_at" and post.published_at is not None:
        return post.published_at.replace(microsecond=0)  # q=source shows whole seconds
    return getattr(post, "source" if field == "content" else field, None)


def _undelete(post: Post) -> Response:
    """Bring back a deleted post (posts keeps it, hidden)."""
    try:
        posts.restore_post(post, actor=token_actor())
    except posts.NotDeleted:
        raise parse.bad("the post is not deleted", "not_deleted") from None
    return Response(status=204)


def _save(write: Any) -> Post:
    """Run the writer; its refusals become invalid_request (413 for oversized content)."""
    try:
        return write()
    except posts.QuotaExceeded as exc:
        raise quota_problem(exc) from None
    except posts.PostError as exc:
        status = 413 if exc.code == "content_too_large" else 400
        raise Problem(status, exc.code, str(exc)) from None


def _own_post(url: str) -> Post:
    """Find the post a URL of this blog names; 400 for another URL, 403 for another's post."""
    head = absolute_url("site.post", slug="SLUG").rpartition("SLUG")[0]
    parts = urlsplit(url)
    plain = f"{parts.scheme}://{parts.netloc}{parts.path}"
    slug = plain[len(head) :] if plain.startswith(head) else ""
    post = posts.reads.get_post(slug) if posts.SLUG_RE.match(slug) else None
    if post is None:
        raise parse.bad(f"{url} is not the URL of a post on this blog")
    if post.author_id != current_author().id:
        raise Problem(403, "forbidden", f"{url} is another author's post")
    return post


def _suggested_slug(commands: dict[str, list[Any]]) -> str:
    values = commands.get("mp-slug", [])
    if not values:
        return ""
    if len(values) != 1 or not isinstance(values[0], str):
        raise parse.bad("mp-slug takes one text value")
    return slugify(values[0], max_length=100, word_boundary=True)


def _url(post: Post) -> str:
    return absolute_url("site.post", slug=post.slug)


@bp.get("/micropub")
def query() -> Response:
    auth.authenticate(None)
    return _query()


@reads
def _query() -> Response:
    asked = request.args.get("q", "")
    if asked == "config":
        media = absolute_url("micropub.media_endpoint")
        return jsonify(
            {"media-endpoint": media, "syndicate-to": [], "post-types": POST_TYPES, "q": QUERIES}
        )
    if asked == "syndicate-to":
        return jsonify({"syndicate-to": []})
    if asked == "category":
        return jsonify({"categories": posts.reads.tag_names(request.args.get("filter", ""))})
    if asked == "source":
        return _source()
    raise parse.bad(f"unknown query q={asked!r}: ask for one of {', '.join(QUERIES)}")


def _source() -> Response:
    auth.require_source()
    url = request.args.get("url", "")
    if not url:
        raise parse.bad("q=source needs the url of a post")
    post = _own_post(url)
    found = properties.source(post, _url(post))
    wanted = request.args.getlist("properties[]") or request.args.getlist("properties")
    if wanted:
        return jsonify({"properties": {k: v for k, v in found.items() if k in wanted}})
    return jsonify({"type": ["h-entry"], "properties": found})
