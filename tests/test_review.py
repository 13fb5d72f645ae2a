"""Review: an author with policy review publishes nothing until an operator approves it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from blog import posts
from blog.extensions import db
from blog.models import Author, Event, Post

from .conftest import Api
from .support.admin import make_operator, send_form, sign_in
from .support.factories import author_with_token


def reviewed_api(app: Flask, client: FlaskClient) -> Api:
    """The API as an agent whose author's policy is review."""
    fields = {"slug": "careful", "name": "Careful", "model": "Claude", "policy": "review"}
    return Api(client, author_with_token(app, fields, "careful agent"))


def events_of(app: Flask, post_id: int) -> list[str]:
    with app.app_context():
        query = select(Event.name).where(Event.post_id == post_id).order_by(Event.id)
        return list(db.session.scalars(query))


def assert_nowhere_public(client: FlaskClient, slug: str, title: str) -> None:
    """Not on its page, the home page, any feed, the sitemap or llms.txt."""
    assert client.get(f"/posts/{slug}").status_code == 404
    assert client.get(f"/posts/{slug}.md").status_code == 404
    for path in ("/", "/feed.xml", "/atom.xml", "/feed.json", "/sitemap.xml", "/llms.txt",
                 "/llms-full.txt", "/archive"):  # fmt: skip
        body = client.get(path).get_data(as_text=True)
        assert title not in body and slug not in body, path


def test_a_published_post_of_a_review_author_waits_as_pending(app: Flask, client) -> None:
    api = reviewed_api(app, client)
    made = api.post(
        "/posts", json={"title": "Held back", "content": "Text.", "status": "published"}
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["status"] == "pending" and body["public"] is False
    assert_nowhere_public(client, body["slug"], "Held back")
    assert events_of(app, body["id"]) == ["post.pending"]  # no post.published
    assert api.get(f"/posts/{body['id']}").get_json()["status"] == "pending"
    listed = api.get("/posts?status=pending").get_json()["items"]
    assert [p["id"] for p in listed] == [body["id"]]


def test_every_path_an_agent_has_leaves_the_post_non_public(
    app: Flask, client, tmp_path: Path, runner
) -> None:
    api = reviewed_api(app, client)
    draft = api.post("/posts", json={"title": "Draft first", "content": "x"}).get_json()
    assert draft["status"] == "draft"
    # A status change, a full update, a scheduled time: each lands as pending.
    changed = api.patch(f"/posts/{draft['id']}", json={"status": "published"}).get_json()
    assert changed["status"] == "pending" and not changed["public"]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    scheduled = api.post("/posts", json={"title": "Scheduled", "content": "x",
                                         "status": "published", "published_at": later})  # fmt: skip
    assert scheduled.get_json()["status"] == "pending"
    past = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    backdated = api.post("/posts", json={"title": "Backdated", "content": "x",
                                         "status": "published", "published_at": past})  # fmt: skip
    assert backdated.get_json()["status"] == "pending"
    # Importing a file with the pending post's slug and status published.
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "authors.yaml").write_text("- slug: careful\n  name: Careful\n  policy: review\n")
    (folder / "p.md").write_text(
        f"---\ntitle: Imported over\nslug: {draft['slug']}\nauthor: careful\n"
        "draft: false\n---\nNew body.\n"
    )
    (folder / "q.md").write_text("---\ntitle: Imported new\nauthor: careful\n---\nBody.\n")
    result = runner.invoke(args=["import-posts", str(folder)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        statuses = {p.title: p.status for p in db.session.scalars(select(Post))}
        assert not any(p.is_public_at(datetime.now(UTC)) for p in db.session.scalars(select(Post)))
    assert set(statuses.values()) == {"pending"}, statuses
    for title in statuses:
        assert_nowhere_public(client, "imported-new", title)


def test_an_approved_post_edited_by_its_agent_waits_again(app: Flask, client) -> None:
    api = reviewed_api(app, client)
    made = api.post("/posts", json={"title": "Approved once", "content": "x",
                                    "status": "published"}).get_json()  # fmt: skip
    with app.app_context():
        posts.approve_post(db.session.get(Post, made["id"]))
    assert client.get(f"/posts/{made['slug']}").status_code == 200
    edited = api.patch(f"/posts/{made['id']}", json={"content": "Something else"}).get_json()
    assert edited["status"] == "pending"
    assert client.get(f"/posts/{made['slug']}").status_code == 404
    assert events_of(app, made["id"])[-2:] == ["post.deleted", "post.pending"]


def test_an_author_who_publishes_is_unchanged(app: Flask, api) -> None:
    made = api.post("/posts", json={"title": "Live", "content": "x", "status": "published"})
    assert made.get_json()["status"] == "published" and made.get_json()["public"]


# ---------------------------------------------------------------- the operator decides


def pending_post(app: Flask, client: FlaskClient, title: str = "Waiting") -> dict[str, Any]:
    api = reviewed_api(app, client)
    made = api.post("/posts", json={"title": title, "content": "Worth reading.",
                                    "status": "published"})  # fmt: skip
    return made.get_json() | {"api": api}


def test_approve_in_the_admin_publishes_it(app: Flask, client) -> None:
    post = pending_post(app, client)
    make_operator(app)
    sign_in(client)
    assert "Waiting" in client.get("/admin/").get_data(as_text=True)
    page = f"/admin/posts/{post['id']}"
    done = send_form(client, page, f"{page}/approve")
    assert done.status_code == 303
    assert client.get(f"/posts/{post['slug']}").status_code == 200
    feed = feedparser.parse(client.get("/feed.xml").data)
    assert "Waiting" in [entry.title for entry in feed.entries]
    assert events_of(app, post["id"]) == ["post.pending", "post.published", "post.approved"]
    again = send_form(client, page, f"{page}/approve")  # the button of a stale page
    assert "not pending review" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_approve_with_a_new_publication_time(app: Flask, client) -> None:
    post = pending_post(app, client)
    make_operator(app)
    sign_in(client)
    page = f"/admin/posts/{post['id']}"
    send_form(client, page, f"{page}/approve", published_at="2031-01-02T03:04")
    got = post["api"].get(f"/posts/{post['id']}").get_json()
    assert got["status"] == "published" and got["published_at"].startswith("2031-01-02T03:04")
    assert not got["public"]  # scheduled
    bad = pending_post(app, client, "Bad time")
    page = f"/admin/posts/{bad['id']}"
    sent = send_form(client, page, f"{page}/approve", published_at="soon")
    assert "Nothing was changed" in client.get(sent.headers["Location"]).get_data(as_text=True)
    assert bad["api"].get(f"/posts/{bad['id']}").get_json()["status"] == "pending"


def test_request_changes_then_the_agent_resubmits(app: Flask, client) -> None:
    post = pending_post(app, client)
    make_operator(app)
    sign_in(client)
    page = f"/admin/posts/{post['id']}"
    empty = send_form(client, page, f"{page}/request-changes", note="  ")
    assert "is required" in client.get(empty.headers["Location"]).get_data(as_text=True)
    send_form(client, page, f"{page}/request-changes", note="Cite your sources.")
    seen = post["api"].get(f"/posts/{post['id']}").get_json()
    assert seen["status"] == "changes_requested" and seen["review_note"] == "Cite your sources."
    assert not seen["public"]
    again = post["api"].patch(f"/posts/{post['id']}", json={"content": "Sources: …",
                                                            "status": "published"})  # fmt: skip
    assert again.get_json()["status"] == "pending"


def test_reject(app: Flask, client) -> None:
    post = pending_post(app, client)
    make_operator(app)
    sign_in(client)
    page = f"/admin/posts/{post['id']}"
    send_form(client, page, f"{page}/reject", note="Off topic.")
    seen = post["api"].get(f"/posts/{post['id']}").get_json()
    assert (seen["status"], seen["review_note"], seen["public"]) == (
        "rejected",
        "Off topic.",
        False,
    )
    assert events_of(app, post["id"])[-1] == "post.rejected"


def test_two_operators_approving_at_once_one_wins(app: Flask, build_app, client) -> None:
    post = pending_post(app, client)
    apps = [app, build_app()]  # two processes on one database
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(one: Flask) -> None:
        with one.app_context():
            found = db.session.get(Post, post["id"])
            barrier.wait()
            try:
                posts.approve_post(found)
                outcomes.append("approved")
            except posts.NotPending:
                outcomes.append("not pending")

    threads = [threading.Thread(target=approve, args=(one,)) for one in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "not pending"]
    assert events_of(app, post["id"]).count("post.approved") == 1


def test_admin_answers_404_for_a_post_that_does_not_exist(app: Flask, client) -> None:
    make_operator(app)
    sign_in(client)
    assert client.get("/admin/posts/999").status_code == 404
    assert client.get(f"/admin/posts/{2**40}").status_code == 404
    assert send_form(client, "/admin/", "/admin/posts/999/approve").status_code == 404


# ---------------------------------------------------------------- the command line


def test_review_commands(app: Flask, client, runner) -> None:
    first, second = pending_post(app, client, "First"), pending_post(app, client, "Second")
    third = pending_post(app, client, "Third")
    listed = runner.invoke(args=["review", "list"]).output
    assert "First" in listed and "Second" in listed
    assert runner.invoke(args=["review", "approve", str(first["id"])]).exit_code == 0
    assert client.get(f"/posts/{first['slug']}").status_code == 200
    again = runner.invoke(args=["review", "approve", str(first["id"])])
    assert again.exit_code != 0 and "not pending" in again.output
    runner.invoke(args=["review", "reject", str(second["id"]), "--note", "No."])
    runner.invoke(args=["review", "request-changes", str(third["id"]), "--note", "Shorter."])
    assert third["api"].get(f"/posts/{third['id']}").get_json()["review_note"] == "Shorter."
    assert runner.invoke(args=["review", "list"]).output.strip() == ""
    missing = runner.invoke(args=["review", "approve", "999"])
    assert missing.exit_code != 0 and "no post 999" in missing.output


def test_create_author_sets_the_policy(app: Flask, runner) -> None:
    base = ["create-author", "--slug", "s", "--name", "S"]
    assert runner.invoke(args=[*base, "--policy", "review"]).exit_code == 0
    runner.invoke(args=[*base, "--name", "S again"])  # no --policy: kept
    with app.app_context():
        assert db.session.scalar(select(Author.policy)) == "review"
    bad = runner.invoke(args=[*base, "--policy", "maybe"])
    assert bad.exit_code != 0


def test_authors_yaml_refuses_an_unknown_policy(app: Flask, runner, tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "authors.yaml").write_text("- slug: a\n  name: A\n  policy: sometimes\n")
    result = runner.invoke(args=["import-posts", str(folder)])
    assert result.exit_code != 0 and "must be publish or review" in result.output
