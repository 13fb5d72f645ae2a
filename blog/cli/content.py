"""Content commands: create the database and authors, import and export posts."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .. import posts
from ..extensions import db
from ..formats.frontmatter import (
    FrontMatterError,
    authors_document,
    parse_authors,
    parse_post,
    post_document,
)
from ..http.urls import absolute_url
from ..models import Author, Post


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
    try:
        posts.check_author(fields)
    except posts.InvalidPost as exc:
        raise click.UsageError(str(exc)) from None
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
    (directory / "authors.yaml").write_text(authors_document(authors), encoding="utf-8")
    count = 0
    for post in db.session.scalars(select(Post).order_by(Post.id)):
        text = post_document(post, absolute_url("site.post", slug=post.slug))
        (directory / f"{post.slug}.md").write_text(text, encoding="utf-8")
        count += 1
    click.echo(f"Exported {len(authors)} authors and {count} posts to {directory}")
