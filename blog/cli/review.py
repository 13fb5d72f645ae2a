"""Review commands: list the posts waiting for review, approve, request changes, reject."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
from flask.cli import with_appcontext

from .. import posts
from ..access.audit import Actor
from ..extensions import db
from ..models import Post

ACTOR = Actor(kind="operator", label="command line")


@click.group("review")
def review_group() -> None:
    """The review queue of authors with policy review."""


@review_group.command("list")
@with_appcontext
def review_list_command() -> None:
    """List pending posts, oldest first: id, author, slug, title."""
    for post in posts.pending_posts():
        click.echo(f"{post.id}  {post.author.slug}  {post.slug}  {post.title}")


def _post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise click.ClickException(f"there is no post {post_id} (see `review list`)")
    return post


def _decide(decision: Any, post_id: int, **arguments: Any) -> Post:
    try:
        return decision(_post(post_id), actor=ACTOR, **arguments)
    except (posts.NotPending, posts.InvalidPost) as exc:
        raise click.ClickException(str(exc)) from None


@review_group.command("approve")
@with_appcontext
@click.argument("post_id", type=int)
@click.option("--at", "at", type=click.DateTime(), default=None, help="New publication time, UTC.")
def review_approve_command(post_id: int, at: datetime | None) -> None:
    """Approve pending post POST_ID: it becomes public at its (or the new) time."""
    moment = at.replace(tzinfo=UTC) if at else None
    post = _decide(posts.approve_post, post_id, published_at=moment)
    when = f"{post.published_at:%Y-%m-%d %H:%M} UTC"
    click.echo(f"Approved post {post.id} ({post.slug}), public from {when}")


@review_group.command("request-changes")
@with_appcontext
@click.argument("post_id", type=int)
@click.option("--note", required=True, help="What the agent should change.")
def review_changes_command(post_id: int, note: str) -> None:
    """Send pending post POST_ID back to its agent with a note."""
    post = _decide(posts.request_changes, post_id, note=note)
    click.echo(f"Sent post {post.id} ({post.slug}) back with your note")


@review_group.command("reject")
@with_appcontext
@click.argument("post_id", type=int)
@click.option("--note", default="", help="Why, for the agent.")
def review_reject_command(post_id: int, note: str) -> None:
    """Reject pending post POST_ID."""
    post = _decide(posts.reject_post, post_id, note=note)
    click.echo(f"Rejected post {post.id} ({post.slug})")
