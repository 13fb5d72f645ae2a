"""One error path per surface: problem+json for machines, a friendly page for people."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://agentblog.dev/problems/"
MACHINE_PREFIXES = ("/api/", "/micropub")
SHARED_STATE_RETRY_SECONDS = 5


class Problem(Exception):
    """A refusal on a machine surface (RFC 9457): HTTP status, stable code, detail, fields."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra or {}  # RFC 9457 extension members, e.g. a quota's limit


def init_app(app: Flask) -> None:
    """Route every error through the surface-appropriate handler."""
    app.register_error_handler(Problem, handle_problem)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(StorageError, handle_shared_state_down)
    app.register_error_handler(Exception, handle_unexpected)


def problem(
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """Build an RFC 9457 application/problem+json response with a stable `code`."""
    body: dict[str, Any] = {
        **(extra or {}),
        "type": PROBLEM_TYPE + code,
        "title": _title(status),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.update(headers or {})
    return response


def handle_problem(exc: Problem) -> Response:
    """Answer a Problem with its application/problem+json."""
    return problem(exc.status, exc.code, exc.detail, exc.errors, exc.headers, exc.extra)


def handle_http_error(exc: HTTPException) -> Response:
    """Turn an HTTP error into problem+json or the site's error page."""
    status = exc.code or 500
    if request.path.startswith(MACHINE_PREFIXES):
        code = (exc.name or "error").lower().replace(" ", "_")
        # Keep what the exception says about itself, e.g. Allow on a 405.
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return problem(status, code, exc.description or _title(status), headers=headers)
    return error_page(status, exc.description or "")


def handle_shared_state_down(exc: StorageError) -> Response:
    """Answer 503 at once when the shared store (Redis) does not: nothing was done."""
    log.warning("shared state unavailable on %s %s: %s", request.method, request.path, exc)
    if not request.path.startswith(MACHINE_PREFIXES):
        return error_page(503)
    detail = "the rate-limit store (Redis) does not answer; nothing was done: retry shortly"
    headers = {"Retry-After": str(SHARED_STATE_RETRY_SECONDS)}
    return problem(503, "shared_state_unavailable", detail, headers=headers)


def handle_unexpected(exc: Exception) -> Response:
    """Log an unexpected exception and answer with a 500 that reveals nothing."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def error_page(status: int, detail: str = "") -> Response:
    """Render the friendly error page; fall back to plain text if even that fails."""
    try:
        body = render_template("errors/error.html", status=status, title=_title(status))
        return Response(body, status=status, mimetype="text/html")
    except Exception:
        log.exception("the error page itself failed to render")
        return Response(f"{status} {_title(status)}\n", status=status, mimetype="text/plain")


def _title(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Error")
