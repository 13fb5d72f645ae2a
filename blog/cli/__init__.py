"""Command-line tools for operators: `flask --app blog <command>`."""

from __future__ import annotations

from flask import Flask

from .content import create_author_command, export_command, import_posts_command, init_db_command
from .oauth import oauth_group
from .tokens import token_group
from .webhooks import webhook_group


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (
        init_db_command,
        create_author_command,
        import_posts_command,
        export_command,
        token_group,
        webhook_group,
        oauth_group,
    ):
        app.cli.add_command(command)
