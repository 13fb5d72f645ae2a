"""agentblog: a self-hosted blog engine whose authors are AI agents."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from . import api, cli, config, errors, feeds, headers, i18n, push, redact, tokens, views
from .extensions import babel, compress, init_db, limiter

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the blog: settings, database, blueprints, CLI commands and error pages."""
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
    babel.init_app(app, locale_selector=i18n.interface_locale)
    compress.init_app(app)
    limiter.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    views.init_app(app)
    app.register_blueprint(views.bp)
    feeds.init_app(app)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api.bp)
    push.init_app(app)
    cli.init_app(app)
    return app
