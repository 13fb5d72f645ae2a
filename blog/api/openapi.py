"""Each API route's contract, declared once: enforced on the request, written into /openapi.json.

A view decorated with operation() receives its body and query already validated by the
pydantic models named there, and document() describes the same models, so what the
document promises and what the server checks are one thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, current_app, request
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from werkzeug.exceptions import RequestEntityTooLarge

from ..http.bodies import read_json, read_query
from ..http.errors import Problem
from . import schemas

JSON = "application/json"
PROBLEM = "application/problem+json"
MERGE_PATCH = "application/merge-patch+json"
VERSION = "1.0.0"
ERRORS = {
    400: "Malformed or too deeply nested JSON, invalid UTF-8, or a malformed header",
    401: "No token, or an invalid, expired or revoked one",
    403: "The token lacks a scope, or the post belongs to another author",
    404: "No such post",
    409: "The slug is taken, or the Idempotency-Key is in use by a running request",
    412: "If-Match does not match the post's current ETag",
    413: "The body (default 1 MiB), the markdown (default 256 KiB) or the image is too large",
    415: "The body is not application/json",
    422: "Invalid fields (listed in errors), an unknown or repeated query parameter, "
    "an Idempotency-Key reused with another body, or an upload that is not a PNG, JPEG, "
    "GIF or WebP image",
    429: "Rate limited, or (creating a post) over a post quota: see Retry-After",
}
# A Structured Field string (IETF idempotency-key draft): printable ASCII, quotes optional.
IDEMPOTENCY_KEY = r'^"?([ !#-\[\]-~]{1,255})"?$'
REQUEST_HEADERS = {
    "Idempotency-Key": (
        "Makes a retry safe: the same key and body replay the first response",
        {"type": "string", "pattern": IDEMPOTENCY_KEY},
    ),
    "If-Match": (
        "The ETag you last saw (with any coding suffix such as :gzip): the write fails "
        "with 412 if the post changed since",
        {"type": "string", "minLength": 1},
    ),
}
RESPONSE_HEADERS = {
    "Location": "Where the created thing lives: a post's API URL, an image's public URL",
    "ETag": "The post's version, for If-Match",
    "Retry-After": "Seconds to wait",
    "WWW-Authenticate": "Bearer challenge (RFC 6750)",
}
PATH_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    """A route's contract: what it answers, reads and may refuse.

    `also` lists other successful answers, e.g. a dry run's (200, PreviewOut);
    `alternatives` other media types of the success (type, description), chosen by Accept;
    `body_limit` replaces API_MAX_BODY_BYTES for this route.
    """

    summary: str
    status: int = 200
    response: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    media_types: tuple[str, ...] = (JSON,)
    errors: tuple[int, ...] = ()
    headers: tuple[str, ...] = ()
    response_headers: tuple[str, ...] = ()
    also: tuple[tuple[int, type[BaseModel]], ...] = ()
    alternatives: tuple[tuple[str, str], ...] = ()
    body_limit: Callable[[], int] | None = None


def operation(summary: str, **contract: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route's contract (the fields of Operation); the view gets `body` and `query`
    validated against it."""
    spec = Operation(summary, **contract)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def run(*args: Any, **kwargs: Any) -> Any:
            # A route without a query model takes no parameters: a typo is an error there too.
            query = read_query(spec.query or schemas.NoQuery, request.args)
            if spec.query is not None:
                kwargs["query"] = query
            if spec.body is not None:
                kwargs["body"] = read_json(spec.body, read_body(spec.media_types))
            return view(*args, **kwargs)

        run.openapi = spec  # type: ignore[attr-defined]
        return run

    return decorate


def read_body(media_types: tuple[str, ...] = (JSON,)) -> bytes:
    """Return the raw body if its type is accepted (415) and it is within the limit (413)."""
    if request.mimetype not in media_types:
        raise Problem(415, "unsupported_media_type", f"send Content-Type: {media_types[0]}")
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise body_too_large() from None
    # A chunked body has no Content-Length: the stream stops one byte past the limit.
    if len(data) > body_limit():
        raise body_too_large()
    return data


def body_limit() -> int:
    """Return the largest body this request's route accepts."""
    view = current_app.view_functions.get(request.endpoint or "")
    spec: Operation | None = getattr(view, "openapi", None)
    if spec is not None and spec.body_limit is not None:
        return spec.body_limit()
    return current_app.config["API_MAX_BODY_BYTES"]


def limit_body() -> None:
    """Refuse a body over the limit by its Content-Length; cap a chunked one while it is read."""
    limit = body_limit()
    if (request.content_length or 0) > limit:
        raise body_too_large()
    request.max_content_length = limit + 1


def body_too_large() -> Problem:
    """Return the 413 for a body over the route's limit."""
    return Problem(413, "body_too_large", f"the body exceeds the limit of {body_limit()} bytes")


# ---------------------------------------------------------------- the document


def document(app: Flask) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of every route declared with operation()."""
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = _build(app)
    return app.extensions["openapi"]


def _build(app: Flask) -> dict[str, Any]:
    routes = []
    for rule in app.url_map.iter_rules():
        spec = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if spec is not None:
            routes.append((rule, app.view_functions[rule.endpoint], spec))
    inputs = {m for _, _, s in routes for m in (s.body, s.query) if m is not None}
    outputs = {s.response for _, _, s in routes if s.response is not None}
    outputs |= {model for _, _, s in routes for _, model in s.also}
    pairs = [(m, "validation") for m in inputs] + [(m, "serialization") for m in outputs]
    pairs.append((schemas.ProblemOut, "serialization"))
    refs, defs = models_json_schema(pairs, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for rule, view, spec in sorted(routes, key=lambda r: r[0].rule):
        path = PATH_ARGUMENT.sub(r"{\2}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation_id = rule.endpoint.split(".")[-1]
            paths.setdefault(path, {})[method.lower()] = _operation(
                rule.rule, operation_id, spec, getattr(view, "required_scope", None), refs
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{app.config['TITLE']} authoring API",
            "version": VERSION,
            "description": "Publish and manage posts as an agent. Errors are RFC 9457 problem "
            "details with a stable `code`. Responses carry RateLimit and RateLimit-Policy "
            "headers (IETF draft); a 429 carries Retry-After.",
        },
        "servers": [{"url": app.config["BASE_URL"]}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An ab_… token from `flask --app blog token create`",
                }
            },
        },
    }


def _operation(
    rule: str, operation_id: str, spec: Operation, scope: str | None, refs: Any
) -> dict[str, Any]:
    def ref(model: type[BaseModel], mode: str) -> dict[str, Any]:
        return refs[(model, mode)]

    secured = scope is not None
    doc: dict[str, Any] = {
        "operationId": operation_id,
        "summary": spec.summary,
        "parameters": _parameters(rule, spec),
        "responses": _responses(spec, secured, bool(scope), ref),
    }
    if secured:
        doc["security"] = [{"bearer": [scope] if scope else []}]
        if scope:
            doc["description"] = f"Requires the `{scope}` scope."
    if spec.body is not None:
        schema = ref(spec.body, "validation")
        doc["requestBody"] = {
            "required": True,
            "content": {media: {"schema": schema} for media in spec.media_types},
        }
    return doc


def _parameters(rule: str, spec: Operation) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for converter, name in PATH_ARGUMENT.findall(rule):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID}
        found.append({"name": name, "in": "path", "required": True, "schema": schema})
    if spec.query is not None:
        schema = spec.query.model_json_schema()
        for name, prop in schema["properties"].items():
            prop.pop("title", None)
            described = {"name": name, "in": "query", "required": False, "schema": prop}
            if "description" in prop:
                described["description"] = prop.pop("description")
            found.append(described)
    for header in spec.headers:
        description, schema = REQUEST_HEADERS[header]
        found.append({"name": header, "in": "header", "description": description, "schema": schema})
    return found


def _responses(
    spec: Operation, secured: bool, scoped: bool, ref: Callable[..., Any]
) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "Success" if spec.response else "No content"}
    if spec.response is not None:
        ok["content"] = {JSON: {"schema": ref(spec.response, "serialization")}}
        for media_type, description in spec.alternatives:
            ok["content"][media_type] = {"schema": {"type": "string", "description": description}}
    if spec.response_headers:
        ok["headers"] = {h: _header(h) for h in spec.response_headers}
    statuses = set(spec.errors)
    statuses |= {401, 429} if secured else set()
    statuses |= {403} if scoped else set()
    statuses |= {400, 413, 415, 422} if spec.body else set()
    statuses.add(422)  # an unknown or repeated query parameter, on every route
    responses = {str(spec.status): ok}
    for status, model in spec.also:
        content = {JSON: {"schema": ref(model, "serialization")}}
        responses[str(status)] = {"description": model.__doc__ or "Success", "content": content}
    if spec.query:
        # Answered by the HTTP server itself (gunicorn: request lines over 4 KiB), not by us.
        responses["414"] = {"description": "The URL is too long"}
    problem = {PROBLEM: {"schema": ref(schemas.ProblemOut, "serialization")}}
    for status in sorted(statuses):
        responses[str(status)] = {"description": ERRORS[status], "content": problem}
        if status in (401, 429):
            name = "WWW-Authenticate" if status == 401 else "Retry-After"
            responses[str(status)]["headers"] = {name: _header(name)}
    return responses


def _header(name: str) -> dict[str, Any]:
    return {"description": RESPONSE_HEADERS[name], "schema": {"type": "string"}}
