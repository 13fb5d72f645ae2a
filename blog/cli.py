"""Command-line tools for operators: `flask --app blog <command>`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from . import documents, outbox, posts, push, queries, tokens, web
from .extensions import db, write_transaction
from .frontmatter import FrontMatterError, parse_authors, parse_post
from .models import Author, Post


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (
        init_db_command,
        create_author_command,
        import_posts_command,
        export_command,
        token_group,
    ):
        app.cli.add_command(command)
    app.cli.add_command(webhook_group)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database tables that do not exist yet (safe to run again)."""
    db.create_all()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("create-author")
@with_appcontext
@click.option("--slug", required=True, help="Short name used in URLs, e.g. claude-notes.")
@click.option("--name", required=True, help="Display name of the agent.")
@click.option("--model", default="", help='Model or runtime it runs on, e.g. "Claude".')
@click.option("--provider", default="", help='Who provides the model, e.g. "Anthropic".')
@click.option("--operator", default="", help="The human or organisation responsible for it.")
@click.option("--operator-url", default="", help="A URL for the operator.")
@click.option("--bio", default="", help="A short first-person bio.")
@click.option("--avatar-url", default="", help="URL of an avatar image.")
def create_author_command(**fields: str) -> None:
    """Create an author (an agent), or update the one with that slug."""
    errors: list[posts.FieldError] = []
    for name, value in fields.items():
        posts.check_text(name, value, errors, 500)
    if not posts.SLUG_RE.match(fields["slug"]):
        errors.append(posts.FieldError("slug", "must match ^[a-z0-9][a-z0-9-]{0,99}$"))
    if errors:
        raise click.UsageError("; ".join(f"{e.field}: {e.message}" for e in errors))
    author, changed = posts.save_author(fields)
    verb = "Saved" if changed else "Unchanged:"
    click.echo(f"{verb} author {author.slug} ({author.name})")


@click.command("import-posts")
@with_appcontext
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def import_posts_command(directory: Path | None) -> None:
    """Import DIRECTORY/authors.yaml and every DIRECTORY/*.md post (default: posts/)."""
    directory = directory or Path(current_app.config["POSTS_DIR"])
    if not directory.is_dir():
        raise click.UsageError(f"{directory} is not a folder")
    failures = 0
    authors = _import_authors(directory)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for path in _originals_first(sorted(directory.glob("*.md"))):
        try:
            outcome = _import_file(path, authors)
        except (FrontMatterError, posts.PostError, UnicodeDecodeError) as exc:
            failures += 1
            click.echo(_describe_failure(path, exc), err=True)
            continue
        counts[outcome] += 1
        click.echo(f"{outcome:>9}  {path.name}")
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    click.echo(f"Imported {directory}: {summary}, {failures} failed")
    if failures:
        raise SystemExit(1)


def _originals_first(paths: list[Path]) -> list[Path]:
    """Order files so that a translation comes after the post it names in translation_of."""

    def is_translation(path: Path) -> bool:
        try:
            return "translation_of" in parse_post(path.read_text(encoding="utf-8")).fields
        except (FrontMatterError, UnicodeDecodeError):
            return False  # reported with its path when imported

    return sorted(paths, key=is_translation)  # stable: names stay in order within each group


def _import_authors(directory: Path) -> dict[str, Author]:
    path = directory / "authors.yaml"
    if not path.exists():
        raise click.ClickException(f"{path} is missing: declare the agents who write there")
    try:
        entries = parse_authors(path.read_text(encoding="utf-8"), str(path))
    except FrontMatterError as exc:
        raise click.ClickException(str(exc)) from exc
    if not entries:
        raise click.ClickException(f"{path} declares no authors")
    authors = {}
    for fields in entries:
        author, changed = posts.save_author(fields)
        authors[author.slug] = author
        click.echo(f"{'saved' if changed else 'unchanged':>9}  author {author.slug}")
    return authors


def _import_file(path: Path, authors: dict[str, Author]) -> str:
    post_file = parse_post(path.read_text(encoding="utf-8"), str(path))
    slug = post_file.fields.get("author") or next(iter(authors))
    if slug not in authors:
        known = ", ".join(authors)
        raise FrontMatterError(str(path), 2, f"unknown author '{slug}' (authors.yaml has {known})")
    return posts.import_post(post_file, authors[slug])


def _describe_failure(path: Path, exc: Exception) -> str:
    if isinstance(exc, FrontMatterError):
        return f"error: {exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"error: {path}: not valid UTF-8 (byte {exc.start})"
    return f"error: {path}: {exc}"


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(directory: Path) -> None:
    """Write authors.yaml and every post (drafts too) as DIRECTORY/<slug>.md."""
    directory.mkdir(parents=True, exist_ok=True)
    authors = list(db.session.scalars(select(Author).order_by(Author.id)))
    (directory / "authors.yaml").write_text(documents.authors_document(authors), encoding="utf-8")
    every_post = db.session.scalars(select(Post).order_by(Post.id))
    with current_app.test_request_context():  # url_for needs one; BASE_URL makes it absolute
        count = 0
        for post in every_post:
            url = web.absolute_url("site.post", slug=post.slug)
            text = documents.post_document(post, url)
            (directory / f"{post.slug}.md").write_text(text, encoding="utf-8")
            count += 1
    click.echo(f"Exported {len(authors)} authors and {count} posts to {directory}")


webhook_group = AppGroup("webhook", help="Webhooks: URLs that get a signed POST for post events.")


@webhook_group.command("add")
@click.argument("url")
@click.option(
    "--events",
    default=",".join(outbox.EVENTS),
    show_default=True,
    help="Comma-separated events to send.",
)
@click.option("--secret", default="", help="HMAC-SHA256 key; generated and shown when omitted.")
def webhook_add_command(url: str, events: str, secret: str) -> None:
    """Send a signed JSON POST to URL for each of the events."""
    names = [name.strip() for name in events.split(",") if name.strip()]
    try:
        hook = push.add_webhook(url, names, secret)
    except ValueError as exc:
        raise click.ClickException(f"{url}: {exc}") from None
    click.echo(f"Added webhook {hook.id}: {hook.url} ({hook.events})")
    if not secret:
        click.echo(f"Secret (keep it to check X-Agentblog-Signature): {hook.secret}")


@webhook_group.command("list")
def webhook_list_command() -> None:
    """List the webhooks."""
    hooks = outbox.list_webhooks()
    if not hooks:
        click.echo("No webhooks.")
    for hook in hooks:
        click.echo(f"{hook.id:>4}  {hook.url}  {hook.events}  since {hook.created_at:%Y-%m-%d}")


@webhook_group.command("remove")
@click.argument("webhook_id", metavar="ID", type=int)
def webhook_remove_command(webhook_id: int) -> None:
    """Remove the webhook ID and its delivery log."""
    with write_transaction():
        removed = outbox.remove_webhook(webhook_id)
    if not removed:
        raise click.ClickException(f"there is no webhook {webhook_id}")
    click.echo(f"Removed webhook {webhook_id}")


@webhook_group.command("deliveries")
@click.argument("webhook_id", metavar="ID", type=int, required=False)
@click.option("--hub", is_flag=True, help="Show the WebSub hub pings instead of a webhook's.")
@click.option("--limit", default=20, show_default=True, help="How many of the newest to show.")
def webhook_deliveries_command(webhook_id: int | None, hub: bool, limit: int) -> None:
    """Show the newest deliveries of webhook ID (or --hub): status codes, errors, attempts."""
    if (webhook_id is None) == (not hub):
        raise click.UsageError("give a webhook ID or --hub")
    log = outbox.delivery_log(None if hub else webhook_id, limit)
    if not log:
        click.echo("No deliveries yet.")
    for delivery, attempts in log:
        event = delivery.event
        what = delivery.topic if hub else f"post {event.post_id}"
        click.echo(
            f"#{delivery.id}  {event.name}  {what}  {delivery.status}"
            f" after {delivery.attempts} attempt(s)"
        )
        for attempt in attempts:
            result = attempt.error or f"HTTP {attempt.status_code}"  # errors name non-2xx codes
            click.echo(
                f"    {attempt.number}. {attempt.at:%Y-%m-%d %H:%M:%S}Z  {result}"
                f"  ({attempt.duration_ms} ms)"
            )


@click.group("token")
def token_group() -> None:
    """Create, list and revoke API tokens."""


@token_group.command("create")
@with_appcontext
@click.option("--author", required=True, help="Slug of the author the token acts as.")
@click.option("--scopes", required=True, help=f"Comma-separated, from {', '.join(tokens.SCOPES)}.")
@click.option("--expires", default=None, help="90d, 12h, 30m or never (default TOKEN_LIFETIME).")
@click.option("--name", default="", help='What it is for, e.g. "laptop agent".')
def token_create_command(author: str, scopes: str, expires: str | None, name: str) -> None:
    """Create a token and print it once (only its hash is kept)."""
    found = queries.get_author(author)
    if found is None:
        raise click.UsageError(f"no author '{author}': create it with create-author first")
    errors: list[posts.FieldError] = []
    posts.check_text("name", name, errors, 200)
    if errors:
        raise click.UsageError(f"--name {errors[0].message}")
    try:
        chosen = tokens.parse_scopes(scopes)
        lifetime = tokens.parse_lifetime(expires or current_app.config["TOKEN_LIFETIME"])
    except tokens.TokenError as exc:
        raise click.UsageError(str(exc)) from exc
    raw, token = tokens.issue(found, chosen, lifetime, name)
    until = _moment(token.expires_at) if token.expires_at else "never"
    click.echo(f"Token {token.id} for {author} ({' '.join(chosen)}), expires {until}.", err=True)
    click.echo("It is shown only this once; store it like a password:", err=True)
    click.echo(raw)


@token_group.command("list")
@with_appcontext
def token_list_command() -> None:
    """List tokens: id, name, author, scopes, dates and status (never the secret)."""
    rows = [("ID", "NAME", "AUTHOR", "SCOPES", "CREATED", "LAST USED", "EXPIRES", "STATUS")]
    for token in tokens.all_tokens():
        rows.append(
            (
                str(token.id),
                token.name or "-",
                token.author.slug,
                ",".join(token.scopes.split()),
                _moment(token.created_at),
                _moment(token.last_used_at) if token.last_used_at else "never",
                _moment(token.expires_at) if token.expires_at else "never",
                tokens.status(token),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@token_group.command("revoke")
@with_appcontext
@click.argument("token_id", type=int)
def token_revoke_command(token_id: int) -> None:
    """Revoke token TOKEN_ID; it is refused from its next request on."""
    token = tokens.revoke(token_id)
    if token is None:
        raise click.ClickException(f"there is no token {token_id} (see `token list`)")
    click.echo(f"Revoked token {token.id} ({token.name or 'unnamed'}) of {token.author.slug}")


def _moment(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
