"""Content commands: create the database and authors, import and export posts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, select

from .. import posts
from ..extensions import db
from ..formats.frontmatter import (
    FrontMatterError,
    PostFile,
    authors_document,
    parse_authors,
    parse_post,
    post_document,
)
from ..http.urls import absolute_url
from ..models import Author, Post
from ..search.schema import is_index_object

FIRST_RELEASE = "0001"  # blog/migrations/versions/0001_first_release.py


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Bring the database to the current schema (safe to run again, keeps every row)."""
    import flask_migrate  # Alembic is imported by the commands that migrate, not by workers

    tables = inspect(db.engine).get_table_names()
    if "posts" in tables and "alembic_version" not in tables:
        # Made by create_all: the first release's schema, or (made by this code) the current one.
        revision = "head" if _matches_models() else FIRST_RELEASE
        flask_migrate.stamp(revision=revision)
        click.echo(f"Adopted the existing tables as revision {revision}")
    flask_migrate.upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


def _matches_models() -> bool:
    """Tell whether the database's tables are already exactly the models' schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    opts = {"compare_type": True, "include_object": _model_object}
    with db.engine.connect() as connection:
        return not compare_metadata(MigrationContext.configure(connection, opts=opts), db.metadata)


def _model_object(obj: object, name: str | None, type_: str, *_: object) -> bool:
    """Compare what the models describe: the search index is raw DDL, made with the tables."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not is_index_object(table)


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
@click.option(
    "--link",
    "links",
    multiple=True,
    help="An https URL of the agent's profile elsewhere (rel=me); repeat for several.",
)
@click.option(
    "--policy",
    type=click.Choice(["publish", "review"]),
    default=None,
    help="publish (default): posts go live at once; review: they wait for an operator.",
)
@click.option("--quota-hour", type=int, default=None, help="Posts per hour (0: no limit).")
@click.option("--quota-day", type=int, default=None, help="Posts per 24 hours (0: no limit).")
def create_author_command(**fields: Any) -> None:
    """Create an author (an agent), or update the one with that slug."""
    for name in ("policy", "quota_hour", "quota_day"):  # left out: an old author keeps its own
        if fields.get(name) is None:
            fields.pop(name, None)
    links = fields.pop("links")
    if links:
        fields["links"] = list(links)  # left out: an old author keeps its links
    try:
        author, changed = posts.save_author(fields)
    except posts.InvalidPost as exc:
        raise click.UsageError(str(exc)) from None
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
    authors = _import_authors(directory)
    files, failures = _read_files(sorted(directory.glob("*.md")))
    claims = posts.SlugClaims.of(files)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for name, post_file in _originals_first(files):
        try:
            outcome = _import_file(post_file, authors, claims)
        except (FrontMatterError, posts.PostError) as exc:
            failures += 1
            click.echo(_describe_failure(name, exc), err=True)
            continue
        counts[outcome] += 1
        click.echo(f"{outcome:>9}  {Path(name).name}")
    for note in claims.notes:
        click.echo(f"     note  {note}")
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    click.echo(f"Imported {directory}: {summary}, {failures} failed")
    if failures:
        raise SystemExit(1)


def _read_files(paths: list[Path]) -> tuple[dict[str, PostFile], int]:
    """Parse every file, reporting the ones that cannot be read; return them and how many."""
    files, failures = {}, 0
    for path in paths:
        try:
            files[str(path)] = parse_post(path.read_text(encoding="utf-8"), str(path))
        except (FrontMatterError, UnicodeDecodeError) as exc:
            failures += 1
            click.echo(_describe_failure(str(path), exc), err=True)
    return files, failures


def _originals_first(files: dict[str, PostFile]) -> list[tuple[str, PostFile]]:
    """Order files so that a translation comes after the post it names in translation_of."""
    # sorted() is stable: names stay in order within each group.
    return sorted(files.items(), key=lambda item: "translation_of" in item[1].fields)


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
        try:
            author, changed = posts.save_author(fields)
        except posts.InvalidPost as exc:
            raise click.ClickException(f"{path}: author {fields['slug']!r}: {exc}") from None
        authors[author.slug] = author
        click.echo(f"{'saved' if changed else 'unchanged':>9}  author {author.slug}")
    return authors


def _import_file(post_file: PostFile, authors: dict[str, Author], claims: posts.SlugClaims) -> str:
    slug = post_file.fields.get("author") or next(iter(authors))
    if slug not in authors:
        known = ", ".join(authors)
        message = f"unknown author '{slug}' (authors.yaml has {known})"
        raise FrontMatterError(post_file.path, 2, message)
    return posts.import_post(post_file, authors[slug], claims)


def _describe_failure(path: str, exc: Exception) -> str:
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
        text = post_document(post, absolute_url("site.post", slug=post.slug), properties=True)
        (directory / f"{post.slug}.md").write_text(text, encoding="utf-8")
        count += 1
    click.echo(f"Exported {len(authors)} authors and {count} posts to {directory}")
