"""The operator's commands: init-db, create-author and import-posts."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select, text

from blog.extensions import db
from blog.models import Author, Post

from .conftest import ROOT

CASES = Path(__file__).parent / "posts"


def copy_sample_posts(target: Path) -> Path:
    shutil.copytree(ROOT / "posts", target)
    return target


def stored(app: Flask) -> dict[str, Post]:
    with app.app_context():
        return {p.slug: p for p in db.session.scalars(select(Post))}


def test_init_db_is_safe_to_run_twice(app: Flask, runner) -> None:
    # From an empty database: tables without Alembic's would be adopted as the first release.
    with app.app_context():
        db.drop_all()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "Database ready" in result.output
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))


def test_create_author_creates_then_updates(app: Flask, runner) -> None:
    args = ["create-author", "--slug", "scribe", "--name", "Scribe", "--model", "Claude"]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=[*args[:3], "--name", "Scribe II"])
    assert "Saved author scribe (Scribe II)" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Author.id))) == 1


def test_create_author_refuses_a_bad_slug(app: Flask, runner) -> None:
    result = runner.invoke(args=["create-author", "--slug", "Bad Slug", "--name", "X"])
    assert result.exit_code != 0
    assert "slug" in result.output


def test_import_the_sample_posts_twice_duplicates_nothing(app: Flask, runner, tmp_path) -> None:
    folder = copy_sample_posts(tmp_path / "posts")
    first = runner.invoke(args=["import-posts", str(folder)])
    assert first.exit_code == 0, first.output
    posts_after_first = stored(app)
    assert len(posts_after_first) == len(list(folder.glob("*.md"))) >= 3
    second = runner.invoke(args=["import-posts", str(folder)])
    assert second.exit_code == 0
    assert "0 created, 0 updated" in second.output
    assert {s: p.updated_at for s, p in stored(app).items()} == {
        s: p.updated_at for s, p in posts_after_first.items()
    }


def test_the_samples_include_chinese_code_and_an_image(app: Flask, runner, tmp_path) -> None:
    runner.invoke(args=["import-posts", str(copy_sample_posts(tmp_path / "posts"))])
    with app.app_context():
        posts = list(db.session.scalars(select(Post)))
        assert any(p.lang.startswith("zh") and p.cjk_count > 100 for p in posts)
        assert any("<pre" in p.html and p.image_count >= 1 for p in posts)
        assert all(p.tags and p.status == "published" for p in posts)


def test_reimport_updates_a_changed_post_by_slug(app: Flask, runner, tmp_path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "authors.yaml").write_text("- slug: a\n  name: A\n")
    post = folder / "p.md"
    post.write_text("---\ntitle: One\nslug: p\ntags: [x]\n---\nFirst body.\n")
    runner.invoke(args=["import-posts", str(folder)])
    post.write_text("---\ntitle: One, edited\nslug: p\ntags: [x, y]\n---\nSecond body.\n")
    result = runner.invoke(args=["import-posts", str(folder)])
    assert "1 updated" in result.output
    saved = stored(app)["p"]
    assert saved.title == "One, edited" and "Second body" in saved.html
    with app.app_context():
        assert [t.slug for t in db.session.merge(saved).tags] == ["x", "y"]


def test_a_malformed_file_is_reported_and_the_rest_still_import(app: Flask, runner, tmp_path):
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "authors.yaml").write_text("- slug: a\n  name: A\n")
    (folder / "good.md").write_text("---\ntitle: Good\n---\nFine.\n")
    shutil.copy(CASES / "bad_yaml_line_4.md", folder / "bad.md")
    shutil.copy(CASES / "control_character_in_title.md", folder / "control.md")
    (folder / "latin1.md").write_bytes("---\ntitle: Caf\xe9\n---\nx\n".encode("latin-1"))
    result = runner.invoke(args=["import-posts", str(folder)])
    assert result.exit_code == 1
    assert f"{folder / 'bad.md'}:4: invalid YAML" in result.output
    assert "control.md" in result.output and "control characters" in result.output
    assert "latin1.md: not valid UTF-8" in result.output
    assert list(stored(app)) == ["good"]


def test_a_post_naming_an_unknown_author_is_refused(app: Flask, runner, tmp_path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "authors.yaml").write_text("- slug: a\n  name: A\n")
    (folder / "p.md").write_text("---\ntitle: T\nauthor: zed\n---\nBody.\n")
    result = runner.invoke(args=["import-posts", str(folder)])
    assert result.exit_code == 1
    assert "unknown author 'zed'" in result.output


def test_create_author_records_the_provider(app: Flask, runner) -> None:
    args = ["create-author", "--slug", "s", "--name", "S", "--model", "Claude Opus 4"]
    result = runner.invoke(args=[*args, "--provider", "Anthropic", "--operator", "Ada"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        author = db.session.scalar(select(Author).where(Author.slug == "s"))
        assert (author.model, author.provider, author.operator) == (
            "Claude Opus 4",
            "Anthropic",
            "Ada",
        )


def test_authors_yaml_links_are_imported_exported_and_checked(app: Flask, runner, tmp_path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    yaml = "- slug: a\n  name: A\n  links:\n  - https://social.example/@a\n"
    (folder / "authors.yaml").write_text(yaml)
    (folder / "p.md").write_text("---\ntitle: T\n---\nBody.\n")
    assert runner.invoke(args=["import-posts", str(folder)]).exit_code == 0
    assert runner.invoke(args=["export", str(tmp_path / "out")]).exit_code == 0
    exported = (tmp_path / "out" / "authors.yaml").read_text()
    assert "links:\n  - https://social.example/@a\n" in exported
    (folder / "authors.yaml").write_text(yaml.replace("https://social", "javascript://social"))
    refused = runner.invoke(args=["import-posts", str(folder)])
    assert refused.exit_code == 1 and "links[0]: must be an https URL" in refused.output
    with app.app_context():
        author = db.session.scalar(select(Author).where(Author.slug == "a"))
        assert author.links == ["https://social.example/@a"]
    client = app.test_client()
    assert "javascript:" not in client.get("/authors/a").get_data(as_text=True)
