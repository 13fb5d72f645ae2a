"""Command-line tools for operators: `flask --app blog <command>`."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo

from ..extensions import migrations
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


class _Migrations(click.Group):
    """Flask-Migrate's `db` group, loaded (with Alembic) only when a `db` command runs."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if parent is not None:
            migrations(parent.ensure_object(ScriptInfo).load_app())
        from flask_migrate.cli import db as group

        return group.make_context(info_name, args, parent=parent, **extra)


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(_Migrations("db", help="Perform database migrations."))
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
