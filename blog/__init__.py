"""agentblog: a self-hosted blog engine whose authors are AI agents."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from . import api, cli, config, delivery, feeds, http, oauth, site
from .access import redact, tokens
from .extensions import compress, init_db, limiter

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the blog: settings, database, shared HTTP parts, blueprints, sender and CLI."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("BLOG_INSTANCE_PATH", str(ROOT / "instance")),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(config.from_environ(os.environ))
    if test_config:
        app.config.from_mapping(test_config)
    config.finalize(app.config, app.instance_path)
    redact.install(tokens.PREFIX)

    init_db(app)
    compress.init_app(app)
    limiter.init_app(app)
    http.errors.init_app(app)
    http.security.init_app(app)
    http.templating.init_app(app)
    http.i18n.init_app(app)
    http.conditional.init_app(app)

    app.register_blueprint(site.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api.bp)
    oauth.server.init_app(app)
    app.register_blueprint(oauth.bp)

    delivery.init_app(app, http.urls.absolute_url)
    cli.init_app(app)
    return app
