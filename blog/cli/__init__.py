"""Command-line tools for operators: `flask --app blog <command>`."""

from __future__ import annotations

from flask import Flask

from .audit import audit_command
from .content import create_author_command, export_command, import_posts_command, init_db_command
from .copydb import copy_db_command
from .discovery import mcp_group
from .oauth import oauth_group
from .operators import operator_group
from .review import review_group
from .signing import author_group, verify_command
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
        operator_group,
        review_group,
        audit_command,
        webhook_group,
        copy_db_command,
        mcp_group,
        author_group,
        verify_command,
        oauth_group,
    ):
        app.cli.add_command(command)
