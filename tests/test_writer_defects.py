"""Defects of the writers (issue 19): one validation for every writer, groups and slugs kept.

Each case goes through the real entry points: the JSON API with a real token, the
import-posts and export commands, create-author, and the pages and llms.txt readers read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select

from blog import posts
from blog.extensions import db
from blog.models import Author, Post, Tag

INJECTION = "Evil](http://evil.example/)\n\n## Injected\n- [Fake](http://evil.example/x.md)"
LINE_BREAKS = ["\n", "\r", "\t", "\u2028", "\u2029", "\x85"]
AUTHORS_YAML = "- slug: quill\n  name: Quill\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def import_folder(runner: Any, folder: Path) -> Any:
    if not (folder / "authors.yaml").exists():
        write(folder, "authors.yaml", AUTHORS_YAML)
    return runner.invoke(args=["import-posts", str(folder)])


def all_posts(app: Flask) -> list[Post]:
    with app.app_context():
        return list(db.session.scalars(select(Post).order_by(Post.id)))


# ---------------------------------------------------------------- 2: one-line fields


@pytest.mark.parametrize("brk", LINE_BREAKS, ids=repr)
@pytest.mark.parametrize("field", ["title", "summary", "tags"])
def test_a_line_break_in_a_one_line_field_is_refused_by_the_api(api, app, field, brk) -> None:
    body: dict[str, Any] = {"title": "Fine title", "content": "Body."}
    body[field] = [f"a{brk}b"] if field == "tags" else f"Part one{brk}part two"
    answer = api.post("/posts", json=body)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["errors"][0]["field"].startswith(field)
    assert all_posts(app) == []


def test_a_line_break_in_a_title_is_refused_by_the_import(app, runner, tmp_path) -> None:
    folder = tmp_path / "in"
    write(folder, "evil.md", f"---\ntitle: {json.dumps(INJECTION)}\nslug: evil\n---\nBody.\n")
    result = import_folder(runner, folder)
    assert result.exit_code != 0
    assert "evil.md" in result.output and "one line" in result.output
    assert all_posts(app) == []


def test_llms_txt_escapes_what_it_interpolates(client, make_post) -> None:
    # A title without line breaks can still try to close the link and open another.
    make_post(title="Evil](http://evil.example/) [Fake](http://evil.example/x.md)", slug="evil")
    make_post(title="Tags", tags=["x](http://evil.example/)"])
    text = client.get("/llms.txt").get_data(as_text=True)
    links = [line for line in text.splitlines() if "evil.example" in line]
    assert links, text
    for line in links:
        # The only link targets on the line are ours; the hostile ones stay escaped text.
        assert "](http://evil.example" not in line.replace("\\]", "")
    assert "## Injected" not in text


# ---------------------------------------------------------------- 3: authors on import


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("operator_url", "javascript:alert(document.domain)"),
        ("avatar_url", "data:image/svg+xml,<svg onload=alert(1)>"),
        ("name", "Two\nlines"),
        ("slug", "Not A Slug"),
        ("model", "x" * 201),
    ],
)
def test_authors_yaml_is_validated_like_create_author(app, runner, tmp_path, field, value):
    folder = tmp_path / "in"
    entry = {"slug": "quill", "name": "Quill", field: value}
    lines = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in entry.items())
    write(folder, "authors.yaml", "-" + lines[1:])
    write(folder, "a.md", "---\ntitle: A\n---\nBody.\n")
    result = runner.invoke(args=["import-posts", str(folder)])
    assert result.exit_code != 0
    assert field in result.output
    with app.app_context():
        assert db.session.scalars(select(Author)).all() == []
    cli = runner.invoke(
        args=["create-author", "--slug", entry["slug"], "--name", entry["name"]]
        + ([f"--{field.replace('_', '-')}", value] if field not in ("slug", "name") else [])
    )
    if field not in ("slug", "name"):
        assert cli.exit_code != 0 and field in cli.output


def test_a_site_path_avatar_and_an_https_operator_are_fine(app, runner) -> None:
    result = runner.invoke(
        args=["create-author", "--slug", "quill", "--name", "Quill", "--avatar-url",
              "/static/images/quill.png", "--operator-url", "https://operator.example"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- 4, 15: translation groups


def test_another_authors_post_cannot_be_joined(app, api, make_post, make_token) -> None:
    make_post(slug="original", title="Original")
    with app.app_context():
        other, _ = posts.save_author({"slug": "other", "name": "Other"})
    intruder = make_token(owner=other)
    body = {"title": "Mine", "content": "Body.", "lang": "fr", "translation_of": "original"}
    answer = api.post("/posts", json=body, token=intruder)
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == "translation_of"
    mine = api.post("/posts", json={"title": "Mine", "content": "Body."}, token=intruder)
    patch = api.patch(
        f"/posts/{mine.get_json()['id']}", json={"translation_of": "original"}, token=intruder
    )
    assert patch.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Post).where(Post.slug == "mine")).translation_of_id is None


def test_a_translation_in_the_same_language_is_refused(api, make_post) -> None:
    make_post(slug="original", lang="en")
    make_post(slug="chinese", lang="zh-Hans", translation_of="original")
    for lang in ("en", "zh-Hans"):
        body = {"title": "Again", "content": "x", "lang": lang, "translation_of": "original"}
        answer = api.post("/posts", json=body)
        assert answer.status_code == 422, lang
        assert lang in answer.get_json()["errors"][0]["message"]


# ---------------------------------------------------------------- 5: export, then import


def fields_of(app: Flask) -> dict[str, Any]:
    """Every stored field of every post, author and tag (ids and created_at aside)."""
    with app.app_context():
        found: dict[str, Any] = {"posts": {}, "authors": {}, "tags": {}}
        for post in db.session.scalars(select(Post)):
            row = {c.name: getattr(post, c.name) for c in Post.__table__.columns}
            for name in ("id", "created_at", "author_id", "translation_of_id"):
                row.pop(name)
            row["author"] = post.author.slug
            row["translation_of"] = post.original.slug if post.original else None
            row["tags"] = sorted((t.slug, t.name) for t in post.tags)
            found["posts"][post.slug] = row
        for author in db.session.scalars(select(Author)):
            row = {c.name: getattr(author, c.name) for c in Author.__table__.columns}
            for name in ("id", "created_at", "updated_at"):
                row.pop(name)
            found["authors"][author.slug] = row
        for tag in db.session.scalars(select(Tag)):
            found["tags"][tag.slug] = tag.name
        return found


def test_export_then_import_keeps_every_field(app, runner, make_post, build_app, tmp_path):
    make_post(slug="original", title="Original", tags=["C++", "Notes"], summary="Short.")
    make_post(slug="zh", lang="zh-Hans", title="中文", translation_of="original", featured=True)
    make_post(slug="draft", status="draft", canonical_url="https://elsewhere.example/x")
    make_post(slug="human", disclosure="human", tags=["C#"])
    before = fields_of(app)
    assert runner.invoke(args=["export", str(tmp_path / "out")]).exit_code == 0
    again = build_app(DATABASE_URL=f"sqlite:///{tmp_path / 'again.sqlite'}")
    with again.app_context():
        db.create_all()
    result = again.test_cli_runner().invoke(args=["import-posts", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert fields_of(again) == before


# ---------------------------------------------------------------- 6: import keys


def test_two_files_with_the_same_title_slug_stay_two_posts(app, runner, tmp_path) -> None:
    folder = tmp_path / "in"
    write(folder, "a.md", "---\ntitle: Weekly notes\n---\nFirst.\n")
    write(folder, "b.md", "---\ntitle: Weekly notes!\n---\nSecond.\n")
    first = import_folder(runner, folder)
    assert first.exit_code == 0, first.output
    assert "weekly-notes-2" in first.output  # reported
    by_slug = {p.slug: p.source for p in all_posts(app)}
    assert by_slug == {"weekly-notes": "First.\n", "weekly-notes-2": "Second.\n"}
    second = import_folder(runner, folder)
    assert "0 created, 0 updated, 2 unchanged" in second.output, second.output


def test_a_files_own_slug_wins_over_a_title_slug(app, runner, tmp_path) -> None:
    folder = tmp_path / "in"
    write(folder, "a.md", "---\ntitle: Hello\n---\nFrom the title.\n")
    write(folder, "b.md", "---\ntitle: Other\nslug: hello\n---\nOwn slug.\n")
    assert import_folder(runner, folder).exit_code == 0
    by_slug = {p.slug: p.source for p in all_posts(app)}
    assert by_slug == {"hello": "Own slug.\n", "hello-2": "From the title.\n"}


def test_two_files_naming_the_same_slug_is_an_error(app, runner, tmp_path) -> None:
    folder = tmp_path / "in"
    write(folder, "a.md", "---\ntitle: A\nslug: same\n---\nA.\n")
    write(folder, "b.md", "---\ntitle: B\nslug: same\n---\nB.\n")
    result = import_folder(runner, folder)
    assert result.exit_code != 0 and "b.md" in result.output and "a.md" in result.output
    assert [p.source for p in all_posts(app)] == ["A.\n"]


# ---------------------------------------------------------------- 7: deleting an original


def test_deleting_the_original_keeps_the_translations_together(api, client, make_post) -> None:
    original = make_post(slug="en", lang="en", title="English")
    make_post(slug="zh", lang="zh-Hans", title="中文", translation_of="en")
    make_post(slug="fr", lang="fr", title="Français", translation_of="en")
    assert api.delete(f"/posts/{original.id}").status_code == 204
    page = BeautifulSoup(client.get("/posts/zh").data, "html.parser")
    alternates = {a["hreflang"] for a in page.select('link[rel="alternate"][hreflang]')}
    assert alternates == {"fr", "zh-Hans"}


# ---------------------------------------------------------------- 8: tag slugs


def test_tags_that_would_share_a_slug_stay_apart(app, api, client) -> None:
    for name in ("C++", "C#"):
        body = {"title": name, "content": "x", "tags": [name], "status": "published"}
        answer = api.post("/posts", json=body)
        assert answer.status_code == 201, answer.get_json()
        assert answer.get_json()["tags"] == [name]
    with app.app_context():
        assert {t.name for t in db.session.scalars(select(Tag))} == {"C++", "C#"}
    assert "C#" in client.get("/tags/").get_data(as_text=True)


def test_a_tag_that_collides_with_another_name_is_refused(app, api) -> None:
    assert (
        api.post("/posts", json={"title": "a", "content": "x", "tags": ["Go"]}).status_code == 201
    )
    same = api.post("/posts", json={"title": "b", "content": "x", "tags": ["go"]})
    assert same.status_code == 201 and same.get_json()["tags"] == ["Go"]  # the same tag
    clash = api.post("/posts", json={"title": "c", "content": "x", "tags": ["GO!"]})
    assert clash.status_code == 422
    assert "/tags/go" in clash.get_json()["errors"][0]["message"]


# ---------------------------------------------------------------- 9: dates at the edge


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00-01:00", "0001-01-01T00:30:00+01:00"])
def test_a_date_utc_cannot_hold_is_a_422_naming_the_field(api, app, moment) -> None:
    body = {"title": "Edge", "content": "x", "status": "published", "published_at": moment}
    answer = api.post("/posts", json=body)
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == "published_at"
    assert all_posts(app) == []


def test_an_import_reports_the_date_it_cannot_hold_and_goes_on(app, runner, tmp_path) -> None:
    folder = tmp_path / "in"
    write(folder, "edge.md", "---\ntitle: Edge\ndate: 9999-12-31T23:00:00-01:00\n---\nx\n")
    write(folder, "fine.md", "---\ntitle: Fine\n---\nx\n")
    result = import_folder(runner, folder)
    assert result.exit_code != 0
    assert "edge.md:3" in result.output
    assert [p.slug for p in all_posts(app)] == ["fine"]


# ---------------------------------------------------------------- 13: a new post is not updated


def test_a_new_post_is_not_shown_as_updated(api, client) -> None:
    body = {"title": "Fresh", "content": "Just written.", "status": "published"}
    made = api.post("/posts", json=body).get_json()
    assert made["updated_at"] == made["published_at"]
    page = BeautifulSoup(client.get("/posts/fresh").data, "html.parser")
    assert page.select(".updated") == []
    entry = feedparser.parse(client.get("/atom.xml").data).entries[0]
    assert entry.updated == entry.published


def test_a_published_at_in_utc_reads_back_the_same(api) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).isoformat()
    body = {"title": "Dated", "content": "x", "status": "published", "published_at": moment}
    assert (
        api.post("/posts", json=body).get_json()["published_at"].startswith("2026-01-02T03:04:05")
    )
