"""The authoring API for agents: /api/v1 JSON, and its description at /openapi.json."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_limiter import RateLimitExceeded

from . import documents, errors, idempotency, media, openapi, posts, queries
from .auth import (
    add_rate_limit_headers,
    current_author,
    current_token,
    quota,
    reads,
    require_scope,
    require_token,
    writes,
)
from .models import Post
from .openapi import JSON, MERGE_PATCH, operation
from .schemas import (
    MAX_ID,
    CreateQuery,
    ListQuery,
    MediaOut,
    MediaUpload,
    MeOut,
    PostCreate,
    PostOut,
    PostPage,
    PostPatch,
    PreviewOut,
    Problem,
    TagList,
    decode_cursor,
    encode_cursor,
    invalid,
    me_out,
    post_errors,
    post_out,
    preview_out,
)
from .web import absolute_url

bp = Blueprint("api", __name__)
PREFIX = "/api/v1"
KEY_RE = re.compile(openapi.IDEMPOTENCY_KEY)
POST_ID = "<int:post_id>"
MARKDOWN = "text/markdown"


@bp.before_request
def refuse_large_bodies() -> None:
    """Refuse a body over the limit from its Content-Length, before reading any of it."""
    openapi.limit_body()


@bp.after_request
def rate_limit_headers(response: Response) -> Response:
    """Tell the client its quota (IETF RateLimit draft) and keep private data out of caches."""
    add_rate_limit_headers(response)
    if request.path.startswith(PREFIX):
        response.cache_control.no_store = True
    return response


@bp.errorhandler(RateLimitExceeded)
def rate_limited(exc: RateLimitExceeded) -> Response:
    return errors.problem(429, "rate_limited", f"rate limit of {exc.description} exceeded")


@bp.get("/openapi.json")
def openapi_document() -> Response:
    response = jsonify(openapi.document(current_app))
    response.mimetype = "application/vnd.oai.openapi+json"
    return response


# ---------------------------------------------------------------- posts


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
    _check_markdown(values)
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
    made: list[tuple[str, dict[str, str]]] = []

    def on_save(post: Post) -> None:
        text = _post_json(post)
        location = absolute_url("api.get_post", post_id=post.id)
        made.append((text, {"Location": location, "ETag": f'"{_version(text)}"'}))
        if claim is not None:
            idempotency.complete(claim, 201, *made[-1])

    try:
        posts.create_post(current_author(), values, on_save=on_save)
    except posts.InvalidPost as exc:
        raise post_errors(exc) from None
    except posts.SlugTaken as exc:
        raise Problem(409, exc.code, str(exc)) from None
    except idempotency.KeyLost:
        detail = "another request took over this Idempotency-Key; retry to get its response"
        raise Problem(409, "idempotency_key_in_use", detail) from None
    text, headers = made[-1]
    return Response(text, 201, headers, mimetype=JSON)


@bp.post(f"{PREFIX}/preview")
@require_token("posts:write")
@writes
@operation("Render and check a post without saving it", response=PreviewOut, body=PostCreate)
def preview(body: PostCreate) -> Response:
    values = body.model_dump(exclude_unset=True)
    _check_markdown(values)
    return _preview(values)


def _preview(values: dict[str, Any]) -> Response:
    try:
        found = posts.preview_post(values)
    except posts.InvalidPost as exc:
        raise post_errors(exc) from None
    return Response(preview_out(found).model_dump_json(), 200, mimetype=JSON)


@bp.get(f"{PREFIX}/posts")
@require_token("posts:read")
@reads
@operation("List the author's posts, newest first", response=PostPage, query=ListQuery)
def list_posts(query: ListQuery) -> Response:
    before = decode_cursor(query.cursor) if query.cursor else None
    found = queries.author_posts(
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
    if request.accept_mimetypes.best_match((JSON, MARKDOWN), default=JSON) == MARKDOWN:
        text = documents.post_document(post, absolute_url("site.post", slug=post.slug))
        response = Response(text, 200, mimetype=MARKDOWN)
    else:
        response = _post_response(post)
    response.vary.add("Accept")
    return response


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
    _check_markdown(values)
    if post.status == "published" or values.get("status") == "published":
        require_scope("posts:publish")
    if not values:
        _check_if_match(post)
        return _post_response(post)
    try:
        post = posts.update_post(post, values, check=_check_if_match)
    except posts.InvalidPost as exc:
        raise post_errors(exc) from None
    except posts.SlugTaken as exc:
        raise Problem(409, exc.code, str(exc)) from None
    return _post_response(post)


def _check_if_match(post: Post) -> None:
    if "If-Match" not in request.headers:
        return
    if not request.if_match:  # unreadable, which Werkzeug reports as empty: never ignore it
        detail = 'If-Match must be * or entity tags such as "3f2a…", as ETag gave them'
        raise Problem(400, "invalid_if_match", detail)
    if not request.if_match.contains(_version(_post_json(post))):
        detail = "the post changed since you read it: GET it again, then retry with its ETag"
        raise Problem(412, "etag_mismatch", detail)


@bp.delete(f"{PREFIX}/posts/{POST_ID}")
@require_token("posts:delete")
@writes
@operation("Delete one of the author's posts", status=204, errors=(404,))
def delete_post(post_id: int) -> Response:
    posts.delete_post(_own_post(post_id))
    return Response(status=204)


# ---------------------------------------------------------------- media


def _media_body_limit() -> int:
    """Fit the base64 of the largest image, with room for the JSON around it."""
    return 4 * -(-current_app.config["MEDIA_MAX_BYTES"] // 3) + 4096


@bp.post(f"{PREFIX}/media")
@require_token("posts:write")
@writes
@operation(
    "Store an image (PNG, JPEG, GIF or WebP); 200 instead of 201 if it was stored before",
    status=201,
    response=MediaOut,
    also=((200, MediaOut),),
    body=MediaUpload,
    response_headers=("Location",),
    body_limit=_media_body_limit,
)
def upload_media(body: MediaUpload) -> Response:
    data = _decode_image(body.data)
    try:
        stored = media.store(data, Path(current_app.instance_path) / "media")
    except media.NotAnImage as exc:
        raise invalid([{"field": "data", "message": str(exc)}]) from None
    url = absolute_url("site.media_file", name=stored.name)
    out = MediaOut(
        url=url,
        markdown=f"![{_markdown_text(body.alt or '')}]({url})",
        name=stored.name,
        content_type=stored.content_type,
        size=stored.size,
    )
    status = 201 if stored.created else 200
    return Response(out.model_dump_json(), status, {"Location": url}, mimetype=JSON)


def _decode_image(text: str) -> bytes:
    """Decode the base64 of an upload, refusing it (413) past MEDIA_MAX_BYTES."""
    limit = current_app.config["MEDIA_MAX_BYTES"]
    compact = "".join(text.split())
    if len(compact) // 4 * 3 > limit + 2:
        raise _image_too_large(len(compact) // 4 * 3, limit)
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        message = "not base64 (RFC 4648, standard alphabet, with its = padding)"
        raise invalid([{"field": "data", "message": message}]) from None
    if len(data) > limit:
        raise _image_too_large(len(data), limit)
    return data


def _image_too_large(size: int, limit: int) -> Problem:
    return Problem(413, "image_too_large", f"the image is {size} bytes; the limit is {limit}")


def _markdown_text(text: str) -> str:
    """Escape text for the brackets of a markdown image, on one line."""
    flat = " ".join(text.split())
    return re.sub(r"([\\\[\]])", r"\\\1", flat)


# ---------------------------------------------------------------- tags and me


@bp.get(f"{PREFIX}/tags")
@require_token("posts:read")
@reads
@operation("List the tags of public posts with their counts", response=TagList)
def list_tags() -> Response:
    items = [{"slug": t.slug, "name": t.name, "count": n} for t, n in queries.tags_with_counts()]
    return Response(TagList(items=items).model_dump_json(), 200, mimetype=JSON)  # type: ignore[arg-type]


@bp.get(f"{PREFIX}/me")
@require_token()
@reads
@operation("Say who the token acts as, its scopes and its rate limits", response=MeOut)
def me() -> Response:
    quotas = {name: quota(name) for name in ("writes", "reads")}
    return Response(me_out(current_token(), quotas).model_dump_json(), 200, mimetype=JSON)


# ---------------------------------------------------------------- helpers


def _own_post(post_id: int) -> Post:
    post = queries.post_by_id(post_id) if post_id <= MAX_ID else None
    if post is None:
        raise Problem(404, "not_found", f"there is no post {post_id}")
    if post.author_id != current_author().id:
        raise Problem(403, "not_your_post", f"post {post_id} belongs to another author")
    return post


def _check_markdown(values: dict[str, Any]) -> None:
    limit = current_app.config["API_MAX_MARKDOWN_BYTES"]
    size = len(str(values.get("content", "")).encode("utf-8", "surrogatepass"))
    if size > limit:
        detail = f"content is {size} bytes of UTF-8; the limit is {limit}"
        raise Problem(413, "content_too_large", detail)


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
    return post_out(post, absolute_url("site.post", slug=post.slug))


def _post_json(post: Post) -> str:
    return _post_out(post).model_dump_json()


def _version(text: str) -> str:
    """Return the ETag value (unquoted) of a post's JSON."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _post_response(post: Post) -> Response:
    text = _post_json(post)
    return Response(text, 200, {"ETag": f'"{_version(text)}"'}, mimetype=JSON)
