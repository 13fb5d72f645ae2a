"""agentblog: a self-hosted blog engine whose authors are AI agents."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from . import admin, api, cli, config, delivery, feeds, http, micropub, oauth, site
from .access import redact, tokens
from .extensions import compress, init_db, init_limiter

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
    http.botauth.init_app(app)  # before the limiter: a verified agent may get a higher limit
    init_limiter(app)
    http.errors.init_app(app)
    http.security.init_app(app)
    http.templating.init_app(app)
    http.i18n.init_app(app)
    http.conditional.init_app(app)
    http.usage.init_app(app)
    http.signin.init_app(app)

    app.register_blueprint(site.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api.bp)
    oauth.server.init_app(app)
    app.register_blueprint(micropub.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(oauth.bp)

    delivery.init_app(app, http.urls.absolute_url)
    http.hitpath.init_app(app)
    http.proxy.init_app(app)  # outermost: the hit path keys on the environ it corrects
    cli.init_app(app)
    return app
