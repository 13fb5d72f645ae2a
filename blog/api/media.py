"""Image uploads: POST /api/v1/media stores an image and answers its URL and markdown."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from flask import Response, current_app

from ..content import media
from ..http.auth import require_token, writes
from ..http.bodies import invalid
from ..http.errors import Problem
from ..http.urls import absolute_url
from .blueprint import JSON, PREFIX, bp
from .openapi import operation
from .schemas import MediaOut, MediaUpload


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
        stored = media.store(data, Path(current_app.config["MEDIA_DIR"]))
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
