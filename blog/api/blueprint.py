"""The authoring API's blueprint: body limits, rate-limit headers and no caching for /api/v1."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_limiter import RateLimitExceeded

from ..http import errors
from ..http.auth import add_rate_limit_headers
from . import openapi

bp = Blueprint("api", __name__)
PREFIX = "/api/v1"
JSON = openapi.JSON


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
