"""Kept counts: the tag index, tag, author and home pages count public posts, kept by the
writer, never scanned.

Each step goes through a real entry point (the API, the admin, import-posts) and the counts
readers see (GET /api/v1/tags, the last page of a tag, an author and the home listing) must
equal a plain count of the public posts.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Author, Post, Tag, post_tags

from .conftest import Api
from .support.admin import make_operator, send_form, sign_in
from .test_review import reviewed_api


def truth(app: Flask) -> dict[str, int]:
    """Count each tag's public posts the slow way, from the rows."""
    now = datetime.now(UTC)
    query = (
        select(Tag.slug, func.count())
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(Post.status == "published", Post.published_at <= now)
        .group_by(Tag.slug)
    )
    with app.app_context():
        return dict(db.session.execute(query).all())


def public_totals(app: Flask) -> tuple[int, dict[str, int]]:
    """Count the public posts, all and per author, the slow way."""
    now = datetime.now(UTC)
    public = (Post.status == "published", Post.published_at <= now)
    per_author = select(Author.slug, func.count()).join(Post.author).where(*public)
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Post).where(*public))
        return total or 0, dict(db.session.execute(per_author.group_by(Author.slug)).all())


def assert_pages(client: FlaskClient, first: str, count: int) -> None:
    """With one post a page, a listing of `count` posts has exactly `count` pages."""
    base = "" if first == "/" else first
    if count:
        last = first if count == 1 else f"{base}/page/{count}"
        assert client.get(last).status_code == 200, last
    assert client.get(f"{base}/page/{max(count, 1) + 1}").status_code == 404


def check_totals(app: Flask, client: FlaskClient) -> None:
    """The home page and every author page have as many pages as public posts."""
    total, per_author = public_totals(app)
    assert_pages(client, "/", total)
    with app.app_context():
        slugs = list(db.session.scalars(select(Author.slug)))
    for slug in slugs:
        assert_pages(client, f"/authors/{slug}", per_author.get(slug, 0))


def shown(api: Api) -> dict[str, int]:
    return {tag["slug"]: tag["count"] for tag in api.get("/tags").get_json()["items"]}


def check(app: Flask, api: Api, expected: dict[str, int]) -> None:
    assert truth(app) == expected  # the scenario is what the test thinks it is
    assert shown(api) == expected
    for slug, count in expected.items():  # a tag has as many pages as posts (1 a page)
        last = f"/tags/{slug}" + (f"/page/{count}" if count > 1 else "")
        assert api.client.get(last).status_code == 200
        assert api.client.get(f"/tags/{slug}/page/{count + 1}").status_code == 404
    check_totals(app, api.client)


def test_counts_follow_every_write(app: Flask, api: Api, client) -> None:
    app.config["POSTS_PER_PAGE"] = 1
    new = {"content": "x", "status": "published"}
    a = api.post("/posts", json={**new, "title": "A", "tags": ["red", "blue"]}).get_json()
    api.post("/posts", json={**new, "title": "B", "tags": ["red"]})
    api.post("/posts", json={"title": "Draft", "content": "x", "tags": ["red", "green"]})
    check(app, api, {"red": 2, "blue": 1})

    api.patch(f"/posts/{a['id']}", json={"tags": ["blue", "green"]})  # tags change
    check(app, api, {"red": 1, "blue": 1, "green": 1})
    api.patch(f"/posts/{a['id']}", json={"status": "draft"})  # unpublished
    check(app, api, {"red": 1})
    api.patch(f"/posts/{a['id']}", json={"status": "published", "tags": ["green"]})
    check(app, api, {"red": 1, "green": 1})
    assert api.delete(f"/posts/{a['id']}").status_code == 204  # deleted
    check(app, api, {"red": 1})
    assert client.get("/tags/green").status_code == 404  # no public post left

    make_operator(app)
    sign_in(client)
    page = f"/admin/posts/{a['id']}"
    assert send_form(client, page, f"{page}/restore").status_code == 303  # restored
    check(app, api, {"red": 1, "green": 1})

    careful = reviewed_api(app, client)  # a review author's post counts once approved
    held = careful.post("/posts", json={**new, "title": "Held", "tags": ["red"]}).get_json()
    check(app, api, {"red": 1, "green": 1})
    page = f"/admin/posts/{held['id']}"
    assert send_form(client, page, f"{page}/approve").status_code == 303
    check(app, api, {"red": 2, "green": 1})


def test_a_scheduled_post_counts_when_its_time_comes(app: Flask, api: Api) -> None:
    app.config["POSTS_PER_PAGE"] = 1
    soon = datetime.now(UTC) + timedelta(seconds=1)
    body = {"title": "Soon", "content": "x", "status": "published", "tags": ["later"]}
    assert api.post("/posts", json={**body, "published_at": soon.isoformat()}).status_code == 201
    check(app, api, {})
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.05)
    check(app, api, {"later": 1})  # no write in between: the read subtracts what is ahead


AUTHORS_YAML = """\
- slug: ink
  name: Ink
- slug: quill
  name: Quill
"""


def test_counts_follow_imports_and_a_change_of_author(
    app: Flask, api: Api, runner, tmp_path
) -> None:
    app.config["POSTS_PER_PAGE"] = 1
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "authors.yaml").write_text(AUTHORS_YAML)

    def write(name: str, author: str, tags: str, draft: bool = False) -> None:
        status = "draft: true\n" if draft else ""
        head = f"title: {name}\ndate: 2026-11-24T14:30:00Z\ntags: [{tags}]\nauthor: {author}\n"
        (folder / f"{name}.md").write_text(f"---\n{head}{status}---\nText.\n")

    def imported() -> None:
        result = runner.invoke(args=["import-posts", str(folder)])
        assert result.exit_code == 0, result.output

    write("one", "ink", "red")
    write("two", "ink", "red, blue")
    imported()
    check(app, api, {"red": 2, "blue": 1})
    write("two", "quill", "blue")  # moves to another author and loses a tag
    imported()
    check(app, api, {"red": 1, "blue": 1})
    write("one", "quill", "red", draft=True)
    imported()
    check(app, api, {"blue": 1})
