"""Security headers on every response: CSP, nosniff, Referrer-Policy, and HSTS when set."""

from __future__ import annotations

from flask import Flask, Response, current_app

# The site runs no script at all: script-src 'none' (JSON-LD is a data block the browser never
# executes, so it needs no exception). Images may come from any https origin; styles, fonts and
# everything else only from the blog itself, so a style attribute in a post is inert too.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'none'",
        "img-src 'self' https: data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}


def init_app(app: Flask) -> None:
    """Add the security headers to every response the app makes, errors and 304s included."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Set the security headers a view did not set itself; HSTS if HSTS_MAX_AGE is set."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    max_age = int(current_app.config["HSTS_MAX_AGE"])
    if max_age > 0:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    return response
