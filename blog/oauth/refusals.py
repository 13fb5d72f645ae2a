"""What the OAuth edge answers and records when it refuses: audit entries, a JSON 429."""

from __future__ import annotations

import logging
import math
import time

from flask import Response, g, jsonify, request
from flask_limiter.errors import RateLimitExceeded

from ..access import oauth
from ..extensions import limiter
from .common import client_actor, client_target

log = logging.getLogger("blog.oauth")


def too_many(error: RateLimitExceeded) -> tuple[Response, int, dict[str, str]]:
    """Answer a client over its limit the OAuth way: a JSON error and Retry-After."""
    current = limiter.current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    description = f"too many requests from this address: retry in {wait} seconds"
    log.warning("oauth %s refused: %s", request.path, description)
    body = jsonify(error="temporarily_unavailable", error_description=description)
    return body, 429, {"Retry-After": str(wait), "Cache-Control": "no-store"}


def registration_refused(code: str, description: str) -> tuple[Response, int]:
    """Refuse a registration (RFC 7591 error) and record why."""
    log.warning("oauth registration refused: %s", description)
    actor = oauth.client_actor("(registering)", request.remote_addr or "")
    oauth.record_refusal(actor, "registration", code, description)
    return jsonify(error=code, error_description=description), 400


def audit_refusal(response: Response, where: str) -> None:
    """Record a refused token (or profile) request in the audit log, with the client's reason."""
    if response.status_code < 400:
        return
    log.warning("oauth %s refused: %s", where, response.get_data(as_text=True)[:300])
    body = response.get_json(silent=True) or {}
    error = str(body.get("error", "error"))
    why = f"{where}: {body.get('error_description') or error}"
    if getattr(g, "oauth_client_refused", None):
        why = f"{why}: {g.oauth_client_refused}"
    oauth.record_refusal(client_actor(), client_target(), error, why)
