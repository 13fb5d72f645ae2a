"""Behind reverse proxies: honour X-Forwarded-* only from as many proxies as TRUSTED_PROXIES."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Trust the last TRUSTED_PROXIES values of X-Forwarded-For, -Proto, -Host and -Prefix.

    With 0 (the default) nothing is trusted: a client could send any of these itself.
    The address rate limits count by is then the proxy's; with 1 it is the client's.
    """
    trusted = int(app.config["TRUSTED_PROXIES"])
    if trusted > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted, x_prefix=trusted
        )
