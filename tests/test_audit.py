"""Revisions, the audit log, soft delete and the admin's other pages, through real entry points."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from blog import posts
from blog.extensions import db
from blog.models import AuditEntry, Post, PostRevision

from .support.admin import EMAIL, make_operator, send_form, sign_in


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def operator(app: Flask, client):
    make_operator(app)
    sign_in(client)
    return client


def test_every_change_keeps_a_revision_the_api_lists(app: Flask, api) -> None:
    made = api.post("/posts", json={"title": "One", "content": "First.", "tags": ["a"]}).get_json()
    api.patch(f"/posts/{made['id']}", json={"content": "Second.", "tags": ["a", "b"]})
    api.patch(f"/posts/{made['id']}", json={"title": "One, again", "status": "published"})
    listed = api.get(f"/posts/{made['id']}/revisions")
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [(r["title"], r["content"], r["tags"], r["status"]) for r in items] == [
        ("One, again", "Second.", ["a", "b"], "published"),
        ("One", "Second.", ["a", "b"], "draft"),
        ("One", "First.", ["a"], "draft"),
    ]
    assert all(r["actor"].startswith("token ") for r in items)
    assert api.get("/posts/999/revisions").status_code == 404


def test_restore_an_old_revision_in_the_admin(app: Flask, api, operator) -> None:
    made = api.post("/posts", json={"title": "Draft", "content": "Good words."}).get_json()
    api.patch(f"/posts/{made['id']}", json={"content": "Worse words."})
    oldest = api.get(f"/posts/{made['id']}/revisions").get_json()["items"][-1]
    page = f"/admin/posts/{made['id']}"
    assert "Worse words." in operator.get(page).get_data(as_text=True)
    send_form(operator, page, f"{page}/revisions/restore", revision=str(oldest["id"]))
    assert api.get(f"/posts/{made['id']}").get_json()["content"] == "Good words."
    items = api.get(f"/posts/{made['id']}/revisions").get_json()["items"]
    assert len(items) == 3 and items[0]["actor"] == f"operator {EMAIL}"
    assert "post.revision_restored" in actions(app)


def test_restoring_another_posts_revision_changes_nothing(app: Flask, api, operator) -> None:
    mine = api.post("/posts", json={"title": "Mine", "content": "Mine."}).get_json()
    other = api.post("/posts", json={"title": "Other", "content": "Other."}).get_json()
    foreign = api.get(f"/posts/{other['id']}/revisions").get_json()["items"][0]["id"]
    page = f"/admin/posts/{mine['id']}"
    for bad in (str(foreign), "999999", "x", str(2**40)):
        sent = send_form(operator, page, f"{page}/revisions/restore", revision=bad)
        assert sent.status_code == 303
        assert "Nothing was changed" in operator.get(sent.headers["Location"]).get_data(True)
    assert api.get(f"/posts/{mine['id']}").get_json()["content"] == "Mine."


def test_a_failed_write_leaves_no_audit_entry_and_no_revision(app: Flask, author) -> None:
    def refuse(_post: Post) -> None:
        raise RuntimeError("the idempotency record could not be written")

    with app.app_context(), pytest.raises(RuntimeError):
        posts.create_post(author, {"title": "T", "content": "x"}, on_save=refuse)
    with app.app_context():
        assert db.session.scalar(select(func.count(PostRevision.id))) == 0
        about_posts = AuditEntry.action.startswith("post.")
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(about_posts)) == 0


def test_soft_delete_and_restore_in_the_admin(app: Flask, api, client, operator) -> None:
    made = api.post("/posts", json={"title": "Here", "content": "x", "status": "published"})
    post = made.get_json()
    page = f"/admin/posts/{post['id']}"
    send_form(operator, page, f"{page}/delete")
    assert client.get(f"/posts/{post['slug']}").status_code == 404
    assert api.get(f"/posts/{post['id']}").status_code == 404
    assert "Restore" in operator.get(page).get_data(as_text=True)
    send_form(operator, page, f"{page}/restore")
    assert client.get(f"/posts/{post['slug']}").status_code == 200
    again = send_form(operator, page, f"{page}/restore")
    assert "not deleted" in operator.get(again.headers["Location"]).get_data(as_text=True)
    send_form(operator, page, f"{page}/unpublish")
    assert client.get(f"/posts/{post['slug']}").status_code == 404


def test_edit_tags_and_featured(app: Flask, api, operator) -> None:
    post = api.post("/posts", json={"title": "Tagged", "content": "x", "tags": ["old"]}).get_json()
    page = f"/admin/posts/{post['id']}"
    send_form(operator, page, f"{page}/edit", tags="new, other", featured="on")
    got = api.get(f"/posts/{post['id']}").get_json()
    assert (got["tags"], got["featured"]) == (["new", "other"], True)


def test_tokens_issue_once_and_revoke(app: Flask, api, operator, author) -> None:
    token_page = "/admin/tokens"
    fields = {
        "author": "quill",
        "scope-posts:read": "on",
        "lifetime": "1 day",
        "name": "from admin",
    }
    issued = send_form(operator, token_page, token_page, **fields)
    raw = re.search(r'<code id="new-token">([^<]+)</code>', issued.get_data(as_text=True)).group(1)
    assert api.get("/me", token=raw).status_code == 200
    assert raw not in operator.get(token_page).get_data(as_text=True)  # shown once
    token_id = api.get("/me", token=raw).get_json()["token"]["id"]
    send_form(operator, token_page, f"/admin/tokens/{token_id}/revoke")
    assert api.get("/me", token=raw).status_code == 401
    bad = send_form(operator, token_page, token_page, author="nobody", lifetime="1 day")
    assert "Nothing was issued" in operator.get(bad.headers["Location"]).get_data(as_text=True)


def test_policy_webhooks_and_the_audit_log(app: Flask, api, operator, author, runner) -> None:
    send_form(operator, "/admin/authors", "/admin/authors/quill/policy", policy="review")
    made = api.post("/posts", json={"title": "Queued", "content": "x", "status": "published"})
    assert made.get_json()["status"] == "pending"
    hooks = "/admin/webhooks"
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # a receiver on this machine; nothing is sent
    added = send_form(operator, hooks, hooks, url="http://127.0.0.1:9/in",
                      **{"event-post.pending": "on"})  # fmt: skip
    assert "shown only this once" in added.get_data(as_text=True)
    assert "http://127.0.0.1:9/in" in operator.get(hooks).get_data(as_text=True)
    send_form(operator, hooks, "/admin/webhooks/1/remove")
    refused = send_form(operator, hooks, hooks, url="ftp://127.0.0.1/x")
    assert "Nothing was added" in operator.get(refused.headers["Location"]).get_data(True)
    send_form(operator, "/admin/", "/admin/logout")
    sign_in(operator, EMAIL, "a wrong password")
    expected = ["operator.signed_in", "author.changed", "post.created", "webhook.added",
                "webhook.removed", "operator.signed_out", "operator.sign_in_failed"]  # fmt: skip
    seen = actions(app)
    seen = seen[seen.index("operator.signed_in") :]  # before: the fixtures' author and token
    assert [a for a in seen if a in expected] == expected, seen
    printed = runner.invoke(args=["audit", "--action", "webhook."]).output.splitlines()
    assert len(printed) == 2 and "webhook.removed" in printed[0] and EMAIL in printed[0]
    sign_in(operator)
    log = operator.get("/admin/audit?action=post.&actor=token").get_data(as_text=True)
    assert "post.created" in log and "webhook.added" not in log
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.created"))
        assert entry.token_id and entry.author_id == author.id and entry.address == "127.0.0.1"


def test_every_admin_page_answers(app: Flask, api, operator) -> None:
    post = api.post("/posts", json={"title": "A post", "content": "x"}).get_json()
    pages = ["/admin/", "/admin/posts", "/admin/posts?status=draft&author=quill",
             "/admin/posts?status=bogus&author=nobody", f"/admin/posts/{post['id']}",
             "/admin/authors", "/admin/tokens", "/admin/webhooks", "/admin/audit",
             "/admin/audit?action=%25&actor=_"]  # fmt: skip
    for page in pages:
        response = operator.get(page)
        assert response.status_code == 200, page
        assert response.headers["Cache-Control"] == "no-store", page
