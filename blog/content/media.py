"""Uploaded images: recognise a raster format by its bytes, store it under its content hash.

Pure (no Flask, no database): the JSON API calls store() today, the Micropub media
endpoint can call it too. The caller chooses the folder (the instance's media/).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

# Extension and Content-Type of each accepted format; SVG is refused (it can carry script).
FORMATS = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
# What a stored file is called: the SHA-256 of its bytes and the format's extension.
NAME_RE = re.compile(r"^[0-9a-f]{64}\.(?:png|jpg|gif|webp)$")


class NotAnImage(ValueError):
    """The bytes are none of the accepted raster formats."""


@dataclass(frozen=True)
class Stored:
    name: str
    content_type: str
    size: int
    created: bool  # False when the same bytes were stored before


def sniff(data: bytes) -> str | None:
    """Return the extension of the raster format these bytes start with, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def content_type(name: str) -> str:
    """Return the Content-Type of a stored file name."""
    return FORMATS[name.rsplit(".", 1)[-1]]


def store(data: bytes, folder: Path) -> Stored:
    """Write the image into folder under its content hash; the same bytes are stored once."""
    kind = sniff(data)
    if kind is None:
        raise NotAnImage("not a PNG, JPEG, GIF or WebP image (judged by its first bytes)")
    name = f"{hashlib.sha256(data).hexdigest()}.{kind}"
    path = folder / name
    if path.exists():
        os.utime(path)  # stored again: the newest upload (Micropub's q=last)
        return Stored(name, FORMATS[kind], len(data), created=False)
    folder.mkdir(parents=True, exist_ok=True)
    # Write aside, then link into place: a reader never sees half a file, and two
    # uploads of the same bytes at once both end with the one complete file.
    draft = folder / f".{name}.{secrets.token_hex(4)}"
    try:
        draft.write_bytes(data)
        os.chmod(draft, 0o644)
        created = True
        try:
            os.link(draft, path)
        except FileExistsError:
            created = False
    finally:
        with contextlib.suppress(FileNotFoundError):
            draft.unlink()
    return Stored(name, FORMATS[kind], len(data), created)


def newest(folder: Path) -> str | None:
    """Return the name of the image stored (or stored again) last in folder, or None."""
    if not folder.is_dir():
        return None
    found = [(entry.stat().st_mtime_ns, entry.name) for entry in folder.iterdir()]
    stored = [item for item in found if NAME_RE.match(item[1])]
    return max(stored)[1] if stored else None
