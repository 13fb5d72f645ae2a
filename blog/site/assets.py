"""Files the pages use: the stylesheet (named by its digest), the favicon, uploaded images."""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, send_from_directory, url_for

from ..content import media
from ..http import templating
from .blueprint import bp

YEAR = 365 * 24 * 3600
FOREVER = f"public, max-age={YEAR}, immutable"


def _forever(response: Response) -> Response:
    """Let every cache keep the response a year unrevalidated: its URL names its bytes."""
    # Replaced whole: send_file's no-cache must not survive next to immutable.
    response.headers["Cache-Control"] = FOREVER
    return response


@bp.get("/assets/style.<digest>.css")
def stylesheet(digest: str) -> Response:
    css, current = templating.stylesheet()
    if digest != current:
        return redirect(url_for("site.stylesheet", digest=current))
    return _forever(Response(css, mimetype="text/css"))


@bp.get("/favicon.ico")
def favicon() -> Response:
    return send_from_directory(templating.STATIC, "favicon.ico", max_age=7 * 24 * 3600)


@bp.get("/media/<name>")
def media_file(name: str) -> Response:
    """Serve an uploaded image: its name is its content hash, so it never changes."""
    if not media.NAME_RE.match(name):
        abort(404)
    folder = current_app.config["MEDIA_DIR"]
    # The ETag is the name (the bytes' hash), not send_file's mtime and size: every host
    # and every copy of the folder answers the same validator for the same bytes.
    response = send_from_directory(
        folder, name, mimetype=media.content_type(name), etag=name.split(".")[0]
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _forever(response)
