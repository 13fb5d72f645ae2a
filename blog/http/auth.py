"""Who is calling: the Authorization header, the token behind it, and what it may do."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request
from limits import RateLimitItem, parse
from limits.errors import StorageError

from .. import posts
from ..access import tokens
from ..access.audit import Actor
from ..extensions import limiter
from ..models import Author, Token
from .errors import Problem

REALM = "agentblog"
# Wrong, truncated, expired and revoked tokens get the same answer: a guesser learns nothing.
REFUSED = "the token is not valid (wrong, expired or revoked): ask the operator for a new one"


def bearer_token() -> str | None:
    """Return the token from `Authorization: Bearer <token>`, or None if there is none."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_token() -> Token:
    """Return the token the current request was authenticated with."""
    return g.token


def current_author() -> Author:
    """Return the author the current request acts as."""
    return g.token.author


def token_actor() -> Actor:
    """Return the request's token as the actor of a posts operation (for the audit log)."""
    token = g.token
    label = f"{token.name or 'unnamed'} of {token.author.slug}"
    address = request.remote_addr or ""
    return Actor(
        kind="token", token_id=token.id, author_id=token.author_id, address=address, label=label
    )


def has_scope(scope: str) -> bool:
    """Tell whether the current token carries `scope`."""
    return scope in tokens.scopes_of(g.token)


def require_scope(scope: str) -> None:
    """Refuse the request with a 403 unless the current token carries `scope`."""
    if not has_scope(scope):
        challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
        raise Problem(
            403,
            "insufficient_scope",
            f"this token lacks the {scope} scope",
            headers={"WWW-Authenticate": challenge},
        )


def require_token(scope: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a view demand a valid bearer token (401) carrying `scope` (403)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            authenticate()
            if scope:
                require_scope(scope)
            return view(*args, **kwargs)

        # api.openapi reads it: "" means any valid token.
        wrapper.required_scope = scope or ""  # type: ignore[attr-defined]
        return wrapper

    return decorate


def authenticate(raw: str | None = None, resource: str = "api") -> None:
    """Find the request's token and keep it in g.token, or raise 401 (or 429 for guessers).

    `raw` is a token the surface found elsewhere (Micropub's access_token form field);
    by default it is the bearer token of the Authorization header. `resource` names the
    surface ("api", "micropub"): a token bound to another is refused.
    """
    raw = raw if raw is not None else bearer_token()
    if raw is None:
        raise _unauthorized("token_missing", "send Authorization: Bearer <token>", "")
    _refuse_guessers()
    verdict = tokens.verify(raw, resource=resource)
    if verdict.token is None:
        if limiter.enabled:
            limiter.limiter.hit(_bad_token_limit(), *limit_keys("bad-token", _address()))
        raise _unauthorized("token_invalid", REFUSED)
    g.token = verdict.token


def _unauthorized(code: str, detail: str, error: str = "invalid_token") -> Problem:
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}", error_description="{detail}"'
    return Problem(401, code, detail, headers={"WWW-Authenticate": challenge})


def _refuse_guessers() -> None:
    """Refuse an address that sent too many bad tokens lately, before looking at this one."""
    item = _bad_token_limit()
    keys = limit_keys("bad-token", _address())
    if not limiter.enabled or limiter.limiter.test(item, *keys):
        return
    reset_at, _ = limiter.limiter.get_window_stats(item, *keys)
    wait = max(1, math.ceil(reset_at - time.time()))
    raise Problem(
        429,
        "too_many_bad_tokens",
        f"too many refused tokens from this address; retry in {wait} s",
        headers={"Retry-After": str(wait)},
    )


def _token_key() -> str:
    return f"token:{g.token.id}"


def _limit(setting: str) -> str:
    """Return a limit setting, or VERIFIED_AGENT_LIMIT for a verified Web Bot Auth agent."""
    higher = current_app.config["VERIFIED_AGENT_LIMIT"]
    return str(higher if higher and g.get("verified_agent") else current_app.config[setting])


# Per token: every write shares one budget, every read another.
writes = limiter.shared_limit(
    lambda: _limit("API_WRITE_LIMIT"), scope="writes", key_func=_token_key
)
reads = limiter.shared_limit(lambda: _limit("API_READ_LIMIT"), scope="reads", key_func=_token_key)


def quota(name: str) -> dict[str, int]:
    """Return the current token's "writes" or "reads" limit, window and what is left."""
    item = parse(current_app.config[f"API_{name[:-1].upper()}_LIMIT"])
    _, remaining = limiter.limiter.get_window_stats(item, *limit_keys(_token_key(), name))
    return {"limit": item.amount, "window_seconds": item.get_expiry(), "remaining": remaining}


def add_rate_limit_headers(response: Response) -> None:
    """Write RateLimit-Policy and RateLimit (IETF draft), and Retry-After on a 429."""
    current = limiter.current_limit
    if current is None:
        return
    window = current.limit.get_expiry()
    try:
        reset_at = current.window[0]
    except StorageError:
        return  # the store went away: the answer (often its 503) goes without these headers
    # The window's end, rounded up to whole seconds, but never past the window itself:
    # Flask-Limiter's reset_at adds a second, which read t=61 for a 60-second window.
    left = min(window, max(0, math.ceil(reset_at - time.time())))
    name = current.request_args[-1]
    policy = f'"{name}";q={current.limit.amount};w={window}'
    response.headers["RateLimit-Policy"] = policy
    response.headers["RateLimit"] = f'"{name}";r={current.remaining};t={left}'
    if response.status_code == 429 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(max(1, left))  # a quota's 429 says its own


def quota_problem(exc: posts.QuotaExceeded) -> Problem:
    """Answer a create over a post quota: 429 quota_exceeded, Retry-After, the limit named."""
    quota = exc.quota
    extra = {"limit": quota.limit, "window": quota.window, "window_seconds": quota.seconds,
             "applies_to": quota.applies_to, "retry_after": exc.retry_after}  # fmt: skip
    headers = {"Retry-After": str(exc.retry_after)}
    return Problem(429, exc.code, str(exc), headers=headers, extra=extra)


def limit_keys(*parts: str) -> list[str]:
    """Return rate-limit key parts as Flask-Limiter builds them (with RATELIMIT_KEY_PREFIX)."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return [prefix, *parts] if prefix else list(parts)


def _bad_token_limit() -> RateLimitItem:
    return parse(current_app.config["BAD_TOKEN_LIMIT"])


def _address() -> str:
    return request.remote_addr or "unknown"
