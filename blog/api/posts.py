"""The author's posts: create (with dry runs and Idempotency-Key), list, read, update, delete."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Response, current_app, request

from .. import posts
from ..access import audit, idempotency
from ..formats.frontmatter import post_document
from ..http import conditional, usage
from ..http.auth import (
    current_author,
    current_token,
    reads,
    require_scope,
    require_token,
    token_actor,
    writes,
)
from ..http.errors import Problem
from ..http.urls import absolute_url
from ..models import Post, utcnow
from . import openapi
from .blueprint import JSON, PREFIX, bp
from .openapi import MERGE_PATCH, operation
from .schemas import (
    MAX_ID,
    CreateQuery,
    ListQuery,
    PostCreate,
    PostOut,
    PostPage,
    PostPatch,
    PreviewOut,
    RevisionList,
)
from .serializers import (
    decode_cursor,
    encode_cursor,
    post_out,
    post_problem,
    preview_out,
    revision_out,
)

KEY_RE = re.compile(openapi.IDEMPOTENCY_KEY)
POST_ID = "<int:post_id>"
MARKDOWN = "text/markdown"


@dataclass(frozen=True)
class Answer:
    """A post's JSON and the headers that go with it (Location, ETag)."""

    text: str
    headers: dict[str, str]


@bp.post(f"{PREFIX}/posts")
@require_token("posts:write")
@writes
@operation(
    "Create a post; with ?dry_run=true, render and check it without saving",
    status=201,
    response=PostOut,
    also=((200, PreviewOut),),
    body=PostCreate,
    query=CreateQuery,
    errors=(409,),
    headers=("Idempotency-Key",),
    response_headers=("Location", "ETag"),
)
def create_post(body: PostCreate, query: CreateQuery) -> Response:
    values = body.model_dump(exclude_unset=True)
    key = _idempotency_key()
    if query.dry_run:
        return _preview(values)
    if values.get("status") == "published":
        require_scope("posts:publish")
    values.setdefault("lang", current_app.config["LANGUAGE"])
    if key is None:
        return _create(values, None)
    claim = _claim(key, body.model_dump(mode="json", exclude_unset=True))
    if claim.outcome == "replay":
        headers = {**claim.headers, "Idempotent-Replayed": "true"}
        return Response(claim.body, claim.status_code, headers, mimetype=JSON)
    try:
        return _create(values, claim)
    except BaseException:
        idempotency.release(claim)
        raise


def _claim(key: str, payload: dict[str, Any]) -> idempotency.Claim:
    """Claim the key for this request: a replay, or a 409/422 as the draft prescribes."""
    print_ = idempotency.fingerprint("POST", request.path, payload)
    keep = timedelta(hours=current_app.config["IDEMPOTENCY_KEY_HOURS"])
    abandoned = timedelta(seconds=current_app.config["IDEMPOTENCY_TAKEOVER_SECONDS"])
    claim = idempotency.claim(current_token().id, key, print_, keep, abandoned)
    if claim.outcome == "in_progress":
        detail = "a request with this Idempotency-Key is still running; retry shortly"
        raise Problem(409, "idempotency_key_in_use", detail, headers={"Retry-After": "1"})
    if claim.outcome == "mismatch":
        detail = "this Idempotency-Key was used with a different body; use a new key"
        raise Problem(422, "idempotency_key_reused", detail)
    return claim


def _create(values: dict[str, Any], claim: idempotency.Claim | None) -> Response:
    """Create the post; a claimed key keeps the response in the post's own transaction."""
    answer: Answer | None = None

    def on_save(post: Post) -> None:
        nonlocal answer
        answer = _created(post)
        if claim is not None:
            idempotency.complete(claim, 201, answer.text, answer.headers)

    # Without a key, nothing keeps the answer in the transaction: it is built after the commit,
    # outside the writers' queue (its signature exports and signs the post: ~1 ms each).
    keep = on_save if claim is not None else None
    try:
        post = posts.create_post(current_author(), values, on_save=keep, actor=token_actor())
    except posts.PostError as exc:
        raise post_problem(exc) from None
    except idempotency.KeyLost:
        detail = "another request took over this Idempotency-Key; retry to get its response"
        raise Problem(409, "idempotency_key_in_use", detail) from None
    answer = answer or _created(post)
    return Response(answer.text, 201, answer.headers, mimetype=JSON)


def _created(post: Post) -> Answer:
    text = _post_json(post)
    location = absolute_url("api.get_post", post_id=post.id)
    return Answer(text, {"Location": location, "ETag": f'"{_version(text)}"'})


@bp.post(f"{PREFIX}/preview")
@require_token("posts:write")
@writes
@operation("Render and check a post without saving it", response=PreviewOut, body=PostCreate)
def preview(body: PostCreate) -> Response:
    return _preview(body.model_dump(exclude_unset=True))


def _preview(values: dict[str, Any]) -> Response:
    try:
        found = posts.preview_post(values)
    except posts.PostError as exc:
        raise post_problem(exc) from None
    return Response(preview_out(found).model_dump_json(), 200, mimetype=JSON)


@bp.get(f"{PREFIX}/posts")
@require_token("posts:read")
@reads
@operation("List the author's posts, newest first", response=PostPage, query=ListQuery)
def list_posts(query: ListQuery) -> Response:
    if query.q is not None:
        found = posts.finding.find(query.q, query.limit, author_id=current_author().id)
        page = PostPage(items=[_post_out(item.post) for item in found], next_cursor=None)
        return Response(page.model_dump_json(), 200, mimetype=JSON)
    before = decode_cursor(query.cursor) if query.cursor else None
    found = posts.reads.author_posts(
        current_author().id, query.status, query.tag, before, query.limit + 1, query.slug
    )
    items, more = found[: query.limit], len(found) > query.limit
    cursor = encode_cursor(items[-1].id) if more else None
    page = PostPage(items=[_post_out(post) for post in items], next_cursor=cursor)
    response = Response(page.model_dump_json(), 200, mimetype=JSON)
    if cursor:
        args = {**request.args.to_dict(), "cursor": cursor}
        response.headers["Link"] = f'<{absolute_url("api.list_posts", **args)}>; rel="next"'
    return response


@bp.get(f"{PREFIX}/posts/{POST_ID}")
@require_token("posts:read")
@reads
@operation(
    "Read one of the author's posts; with Accept: text/markdown, its markdown source",
    response=PostOut,
    errors=(404,),
    alternatives=((MARKDOWN, "The markdown with front matter, as /posts/<slug>.md serves it"),),
)
def get_post(post_id: int) -> Response:
    post = _own_post(post_id)
    if conditional.preferred((JSON, MARKDOWN)) == MARKDOWN:
        text = post_document(post, absolute_url("site.post", slug=post.slug))
        response = Response(text, 200, mimetype=MARKDOWN)
    else:
        response = conditional.unless_fresh(_post_response(post))
    response.vary.add("Accept")
    return usage.set_header(response, [post])


@bp.patch(f"{PREFIX}/posts/{POST_ID}")
@require_token("posts:write")
@writes
@operation(
    "Change some fields of a post; send If-Match to refuse a stale write",
    response=PostOut,
    body=PostPatch,
    media_types=(JSON, MERGE_PATCH),
    errors=(404, 409, 412),
    headers=("If-Match",),
    response_headers=("ETag",),
)
def update_post(post_id: int, body: PostPatch) -> Response:
    post = _own_post(post_id)
    values = body.model_dump(exclude_unset=True)
    if post.status == "published" or values.get("status") == "published":
        require_scope("posts:publish")
    if not values:
        _check_if_match(post)
        return _post_response(post)
    try:
        post = posts.update_post(post, values, check=_check_if_match, actor=token_actor())
    except posts.PostError as exc:
        raise post_problem(exc) from None
    return _post_response(post)


def _check_if_match(post: Post) -> None:
    if "If-Match" not in request.headers:
        return
    # Werkzeug reads an unquoted tag as a tag and an unreadable one as none: never guess.
    if not conditional.well_formed_etags(request.headers["If-Match"]):
        detail = 'If-Match must be * or entity tags such as "3f2a…", as ETag gave them'
        raise Problem(400, "invalid_if_match", detail)
    # Strong comparison, but Flask-Compress's coding suffix (:gzip, :br…) names the same post.
    if not conditional.names(request.if_match, _version(_post_json(post)), weak=False):
        detail = "the post changed since you read it: GET it again, then retry with its ETag"
        raise Problem(412, "etag_mismatch", detail)


@bp.get(f"{PREFIX}/posts/{POST_ID}/revisions")
@require_token("posts:read")
@reads
@operation("List a post's kept versions, newest first", response=RevisionList, errors=(404,))
def list_revisions(post_id: int) -> Response:
    post = _own_post(post_id)
    found = RevisionList(items=[revision_out(r) for r in audit.revisions(post.id)])
    return Response(found.model_dump_json(), 200, mimetype=JSON)


@bp.delete(f"{PREFIX}/posts/{POST_ID}")
@require_token("posts:delete")
@writes
@operation("Delete one of the author's posts", status=204, errors=(404,))
def delete_post(post_id: int) -> Response:
    posts.delete_post(_own_post(post_id), actor=token_actor())
    return Response(status=204)


def _own_post(post_id: int) -> Post:
    post = posts.reads.post_by_id(post_id) if post_id <= MAX_ID else None
    if post is None or post.status == "deleted":
        raise Problem(404, "not_found", f"there is no post {post_id}")
    if post.author_id != current_author().id:
        raise Problem(403, "not_your_post", f"post {post_id} belongs to another author")
    return post


def _idempotency_key() -> str | None:
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    match = KEY_RE.match(raw.strip())
    if not match:
        detail = "Idempotency-Key must be 1 to 255 printable ASCII characters, e.g. a UUID"
        raise Problem(400, "invalid_idempotency_key", detail)
    return match.group(1)


def _post_out(post: Post) -> PostOut:
    """Serialize a post as every answer gives it: lists and single reads alike, signed."""
    url = absolute_url("site.post", slug=post.slug)
    author_url = absolute_url("site.author", slug=post.author.slug)
    public = post.is_public_at(utcnow())
    signature = posts.signing.signature(post, url, author_url) if public else None
    return post_out(post, url, signature=signature)


def _post_json(post: Post) -> str:
    return _post_out(post).model_dump_json()


def _version(text: str) -> str:
    """Return the ETag value (unquoted) of a post's JSON."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _post_response(post: Post) -> Response:
    text = _post_json(post)
    return Response(text, 200, {"ETag": f'"{_version(text)}"'}, mimetype=JSON)
