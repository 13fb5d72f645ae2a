"""Images attached to a Micropub request or sent to its media endpoint, stored like the API's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from werkzeug.datastructures import FileStorage

from ..content import media
from ..http.errors import Problem
from ..http.urls import absolute_url


def folder() -> Path:
    return Path(current_app.config["MEDIA_DIR"])


def read_image(upload: FileStorage) -> bytes:
    """Read an uploaded file; refuse it (413) past MEDIA_MAX_BYTES or (400) if not an image."""
    limit = current_app.config["MEDIA_MAX_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        detail = f"{upload.filename or 'the file'} is over {limit} bytes, the limit"
        raise Problem(413, "image_too_large", detail)
    if media.sniff(data) is None:
        detail = f"{upload.filename or 'the file'}: PNG, JPEG, GIF or WebP only (judged by content)"
        raise Problem(400, "not_an_image", detail)
    return data


def store(data: bytes) -> str:
    """Store an image read by read_image; return its public URL."""
    return absolute_url("site.media_file", name=media.store(data, folder()).name)


def attach(files: list[FileStorage], fields: dict[str, Any]) -> None:
    """Store the request's photo files and add their URLs to the post's photo property.

    The caller has checked the post first, and every file is checked before any is stored:
    a refused request stores nothing. (Files are never removed again: their names are their
    hashes, so another post may use the same file.)
    """
    images = [read_image(upload) for upload in files]
    urls = [store(data) for data in images]
    if urls:
        extras = fields["properties"] = dict(fields.get("properties") or {})
        extras["photo"] = [*extras.get("photo", []), *urls]
