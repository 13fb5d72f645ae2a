"""/micropub/media: upload an image (multipart `file`), 201 with its URL; q=last for the newest."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from ..content import media
from ..http.auth import reads, writes
from ..http.urls import absolute_url
from . import auth, parse, photos
from .blueprint import bp

FORM_ROOM = 65_536  # the multipart framing and an access_token around the file


@bp.post("/micropub/media")
def media_endpoint() -> Response:
    request.max_content_length = current_app.config["MEDIA_MAX_BYTES"] + FORM_ROOM
    auth.authenticate(parse.form_token())
    return _upload()


@writes
def _upload() -> Response:
    auth.require("media")
    if request.mimetype != "multipart/form-data":
        raise parse.bad("send the image as multipart/form-data in a part named file")
    uploads = request.files.getlist("file")
    if len(uploads) != 1 or len(request.files) != 1:
        raise parse.bad("send exactly one file, in a part named file")
    url = photos.store(photos.read_image(uploads[0]))
    return Response(status=201, headers={"Location": url})


@bp.get("/micropub/media")
def media_query() -> Response:
    auth.authenticate(None)
    return _last()


@reads
def _last() -> Response:
    auth.require("media")
    if request.args.get("q") != "last":
        raise parse.bad("the media endpoint answers q=last")
    name = media.newest(photos.folder())
    return jsonify({"url": absolute_url("site.media_file", name=name)} if name else {})
