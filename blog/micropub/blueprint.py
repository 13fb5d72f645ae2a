"""Micropub's blueprint: errors in the spec's JSON form, rate-limit headers, no caching."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from ..http.auth import add_rate_limit_headers
from ..http.errors import Problem

bp = Blueprint("micropub", __name__)

# The Micropub spec's error names (section 3.7), by HTTP status.
ERRORS = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 413: "invalid_request"}


def error(
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """Answer {"error", "error_description"} as the spec asks, with our stable `code` beside."""
    name = code if code == "insufficient_scope" else ERRORS.get(status, code)
    body = {**(extra or {}), "error": name, "error_description": detail, "code": code}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.errorhandler(Problem)
def refused(exc: Problem) -> Response:
    return error(exc.status, exc.code, exc.detail, exc.headers, exc.extra)


@bp.errorhandler(RateLimitExceeded)
def rate_limited(exc: RateLimitExceeded) -> Response:
    return error(429, "rate_limited", f"rate limit of {exc.description} exceeded")


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = (exc.name or "error").lower().replace(" ", "_")
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return error(status, code, exc.description or code, headers)


@bp.after_request
def private(response: Response) -> Response:
    """Tell the client its quota and keep answers about private posts out of caches."""
    add_rate_limit_headers(response)
    response.cache_control.no_store = True
    return response
