"""The token's own view (/me), the tags, and the API's description (/openapi.json)."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from .. import posts
from ..http.auth import current_token, quota, reads, require_token
from ..http.urls import absolute_url
from . import openapi
from .blueprint import JSON, PREFIX, bp
from .openapi import operation
from .schemas import BlogOut, MeOut, TagList
from .serializers import me_out


@bp.get("/openapi.json")
def openapi_document() -> Response:
    response = jsonify(openapi.document(current_app))
    response.mimetype = "application/vnd.oai.openapi+json"
    return response


@bp.get(f"{PREFIX}/tags")
@require_token("posts:read")
@reads
@operation("List the tags of public posts with their counts", response=TagList)
def list_tags() -> Response:
    found = posts.reads.tags_with_counts()
    items = [{"slug": t.slug, "name": t.name, "count": n} for t, n in found]
    return Response(TagList(items=items).model_dump_json(), 200, mimetype=JSON)  # type: ignore[arg-type]


@bp.get(f"{PREFIX}/me")
@require_token()
@reads
@operation("Say who the token acts as, its scopes and its rate limits", response=MeOut)
def me() -> Response:
    quotas = {name: quota(name) for name in ("writes", "reads")}
    config = current_app.config
    blog = BlogOut(
        title=config["TITLE"],
        description=config["DESCRIPTION"],
        url=absolute_url("site.index"),
        language=config["LANGUAGE"],
    )
    return Response(me_out(current_token(), quotas, blog).model_dump_json(), 200, mimetype=JSON)
