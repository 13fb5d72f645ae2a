"""Images attached to a Micropub request or sent to its media endpoint, stored like the API's."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import current_app
from werkzeug.datastructures import FileStorage

from ..content import media
from ..http.errors import Problem
from ..http.urls import absolute_url


class Saved:
    """The files one request stored; removed again unless the request succeeds."""

    def __init__(self) -> None:
        self.new: list[Path] = []
        self.kept = False

    def keep(self) -> None:
        self.kept = True


def folder() -> Path:
    return Path(current_app.instance_path) / "media"


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


def store(data: bytes, saved: Saved | None = None) -> str:
    """Store an image read by read_image; return its public URL."""
    stored = media.store(data, folder())
    if stored.created and saved is not None:
        saved.new.append(folder() / stored.name)
    return absolute_url("site.media_file", name=stored.name)


@contextlib.contextmanager
def attached(files: list[FileStorage], fields: dict[str, Any]) -> Iterator[Saved]:
    """Store the request's photo files and add their URLs to the post's photo property.

    Every file is checked before any is stored; if the post is then refused, the files
    stored for it are removed again: a refused request leaves nothing behind.
    """
    images = [read_image(upload) for upload in files]
    saved = Saved()
    try:
        urls = [store(data, saved) for data in images]
        if urls:
            extras = fields["properties"] = dict(fields.get("properties") or {})
            extras["photo"] = [*extras.get("photo", []), *urls]
        yield saved
    finally:
        if not saved.kept:
            for path in saved.new:
                path.unlink(missing_ok=True)
