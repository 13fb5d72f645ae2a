"""The authoring API through the test client with real tokens: endpoints, scopes, ownership."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask

from blog import posts

from .conftest import Api
from .support.factories import count_posts


def publish(api: Api, **fields) -> dict:
    body = {"title": "Hello, readers", "content": "Some *markdown*.", "status": "published"}
    body.update(fields)
    response = api.post("/posts", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_returns_the_post_its_location_and_etag(api: Api, client) -> None:
    response = api.post(
        "/posts",
        json={
            "title": "First words",
            "content": "word " * 530,
            "tags": ["Notes", "python"],
            "lang": "en-GB",
            "status": "published",
            "summary": "A summary.",
            "featured": True,
            "disclosure": "ai-assisted",
            "canonical_url": "https://elsewhere.example/first",
        },
    )
    assert response.status_code == 201
    post = response.get_json()
    assert response.headers["Location"] == f"https://blog.example/api/v1/posts/{post['id']}"
    assert response.headers["ETag"].startswith('"')
    assert post["slug"] == "first-words"
    assert post["url"] == "https://blog.example/posts/first-words"
    assert post["status"] == "published" and post["public"] is True
    assert post["tags"] == ["Notes", "python"]
    assert (post["word_count"], post["reading_time_minutes"]) == (530, 2)
    assert post["html"].startswith("<p>word word")
    assert (post["featured"], post["disclosure"]) == (True, "ai-assisted")
    assert post["canonical_url"] == "https://elsewhere.example/first"
    assert post["lang"] == "en-GB" and post["summary"] == "A summary."
    for moment in ("published_at", "created_at", "updated_at"):
        assert datetime.fromisoformat(post[moment]).tzinfo is not None
    page = BeautifulSoup(client.get("/posts/first-words").get_data(as_text=True), "html.parser")
    assert page.select_one("article.post h1").get_text() == "First words"


def test_a_translation_links_to_its_original_both_ways(api: Api, client) -> None:
    original = publish(api, title="Reading time", slug="reading-time")
    assert original["translation_of"] is None
    translated = publish(api, title="阅读时间", lang="zh-Hans", translation_of="reading-time")
    assert translated["translation_of"] == "reading-time"
    page = BeautifulSoup(client.get("/posts/reading-time").get_data(as_text=True), "html.parser")
    hreflangs = {link["hreflang"] for link in page.select("link[rel=alternate][hreflang]")}
    assert "zh-Hans" in hreflangs
    refused = api.post("/posts", json={"title": "x", "content": "y", "translation_of": "nope"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["field"] == "translation_of"


def test_a_draft_is_stored_but_not_shown(api: Api, client) -> None:
    post = api.post("/posts", json={"title": "Not yet", "content": "Soon."}).get_json()
    assert post["status"] == "draft" and post["public"] is False
    assert post["published_at"] is None
    assert client.get("/posts/not-yet").status_code == 404


def test_a_future_published_at_schedules_the_post(api: Api, client) -> None:
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    post = publish(api, title="Later", published_at=later)
    assert post["status"] == "published" and post["public"] is False
    assert client.get("/posts/later").status_code == 404


def test_published_at_is_returned_in_utc_whatever_offset_was_sent(api: Api) -> None:
    post = publish(api, published_at="2026-03-01T12:00:00+02:00")
    assert post["published_at"] == "2026-03-01T10:00:00Z"
    again = api.get(f"/posts/{post['id']}")
    assert again.get_json()["published_at"] == "2026-03-01T10:00:00Z"


def test_get_returns_the_same_post_and_etag_as_create(api: Api) -> None:
    created = api.post("/posts", json={"title": "Same", "content": "x", "tags": ["a"]})
    fetched = api.get(f"/posts/{created.get_json()['id']}")
    assert fetched.status_code == 200
    assert fetched.get_json() == created.get_json()
    assert fetched.headers["ETag"] == created.headers["ETag"]


def test_list_is_newest_first_with_a_cursor_and_filters(api: Api) -> None:
    for n in range(5):
        api.post("/posts", json={"title": f"Draft {n}", "content": "x", "tags": ["odd"] * (n % 2)})
    publish(api, title="Public one", tags=["odd"])
    first = api.get("/posts?limit=4")
    assert first.status_code == 200
    body = first.get_json()
    assert [p["title"] for p in body["items"]] == ["Public one", "Draft 4", "Draft 3", "Draft 2"]
    assert 'rel="next"' in first.headers["Link"]
    second = api.get(f"/posts?limit=4&cursor={body['next_cursor']}").get_json()
    assert [p["title"] for p in second["items"]] == ["Draft 1", "Draft 0"]
    assert second["next_cursor"] is None
    drafts = api.get("/posts?status=draft").get_json()["items"]
    assert len(drafts) == 5 and all(p["status"] == "draft" for p in drafts)
    tagged = api.get("/posts?tag=odd").get_json()["items"]
    assert [p["title"] for p in tagged] == ["Public one", "Draft 3", "Draft 1"]


@pytest.mark.parametrize("query", ["cursor=nonsense", "limit=0", "limit=101", "status=live"])
def test_list_refuses_bad_query_parameters(api: Api, query: str) -> None:
    response = api.get(f"/posts?{query}")
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"][0]["field"] == query.split("=")[0]


def test_patch_changes_only_the_fields_sent(api: Api, client) -> None:
    post = api.post("/posts", json={"title": "Draft", "content": "Old", "tags": ["x"]}).get_json()
    response = api.patch(f"/posts/{post['id']}", json={"content": "New **text**"})
    assert response.status_code == 200
    changed = response.get_json()
    assert changed["title"] == "Draft" and changed["tags"] == ["x"]
    assert "<strong>text</strong>" in changed["html"]
    assert changed["updated_at"] > post["updated_at"]
    published = api.patch(f"/posts/{post['id']}", json={"status": "published"}).get_json()
    assert published["public"] is True
    assert client.get("/posts/draft").status_code == 200


def test_patch_accepts_merge_patch_json(api: Api) -> None:
    post = api.post("/posts", json={"title": "One", "content": "x"}).get_json()
    response = api.patch(
        f"/posts/{post['id']}",
        data='{"title": "Two"}',
        content_type="application/merge-patch+json",
    )
    assert response.status_code == 200 and response.get_json()["title"] == "Two"


def test_if_match_with_a_stale_etag_gets_412_and_changes_nothing(api: Api) -> None:
    created = api.post("/posts", json={"title": "Shared", "content": "v1"})
    path, etag = f"/posts/{created.get_json()['id']}", created.headers["ETag"]
    first = api.patch(path, json={"content": "v2"}, headers={"If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] != etag
    stale = api.patch(path, json={"content": "v3"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.get_json()["code"] == "etag_mismatch"
    assert api.get(path).get_json()["content"] == "v2"
    fresh = api.patch(path, json={"content": "v3"}, headers={"If-Match": first.headers["ETag"]})
    assert fresh.status_code == 200


def test_delete_removes_the_post(app: Flask, api: Api, client) -> None:
    post = publish(api, title="Short lived")
    assert api.delete(f"/posts/{post['id']}").status_code == 204
    assert api.get(f"/posts/{post['id']}").status_code == 404
    assert api.delete(f"/posts/{post['id']}").status_code == 404
    assert client.get("/posts/short-lived").status_code == 404
    assert api.get("/posts").get_json()["items"] == []
    assert [p["id"] for p in api.get("/posts?status=deleted").get_json()["items"]] == [post["id"]]
    assert count_posts(app) == 1  # kept, hidden: an operator can restore it


def test_tags_lists_public_tags_with_counts(api: Api) -> None:
    publish(api, title="A", tags=["Python", "notes"])
    publish(api, title="B", tags=["python"])
    api.post("/posts", json={"title": "Draft", "content": "x", "tags": ["secret"]})
    items = api.get("/tags").get_json()["items"]
    assert sorted(items, key=lambda tag: tag["slug"]) == [
        {"slug": "notes", "name": "notes", "count": 1},
        {"slug": "python", "name": "Python", "count": 2},
    ]


def test_me_tells_the_author_scopes_and_limits(api: Api, make_token, client) -> None:
    agent = Api(client, make_token(scopes=("posts:read",), name="reader"))
    agent.get("/posts")
    me = agent.get("/me").get_json()
    assert me["author"] == {"slug": "quill", "name": "Quill", "model": "Claude"} | {
        "operator": "Ada Operator",
        "links": [],
    }
    assert me["token"]["scopes"] == ["posts:read"] and me["token"]["name"] == "reader"
    assert me["limits"]["writes"] == {"limit": 60, "window_seconds": 60, "remaining": 60}
    assert me["limits"]["reads"]["limit"] == 600
    assert me["limits"]["reads"]["remaining"] == 598  # GET /posts and this GET /me


# ---------------------------------------------------------------- dry run


@pytest.mark.parametrize("path", ["/posts?dry_run=true", "/preview"])
def test_dry_run_renders_and_warns_without_saving(app: Flask, api: Api, path: str) -> None:
    content = (
        "Hello <script>alert(1)</script> there.\n\n"
        '<a href="javascript:alert(2)">click</a> and <span onclick="x()">text</span>\n'
    )
    response = api.post(path, json={"title": "Checked", "content": content, "slug": "checked"})
    assert response.status_code == 200
    preview = response.get_json()
    assert preview["slug"] == "checked" and preview["slug_available"] is True
    assert "<script" not in preview["html"] and "javascript:" not in preview["html"]
    assert "removed <script> element" in preview["warnings"]
    assert "dropped link with scheme javascript:" in preview["warnings"]
    assert "removed onclick attribute from <span>" in preview["warnings"]
    assert preview["word_count"] > 0 and preview["reading_time_minutes"] == 1
    assert count_posts(app) == 0


def test_dry_run_reports_a_taken_slug_and_the_slug_a_title_would_get(api: Api) -> None:
    publish(api, title="Taken", slug="taken")
    taken = api.post("/preview", json={"title": "X", "content": "y", "slug": "taken"}).get_json()
    assert taken["slug_available"] is False
    derived = api.post("/preview", json={"title": "Taken", "content": "y"}).get_json()
    assert derived["slug"] == "taken-2" and derived["slug_available"] is True


def test_dry_run_refuses_invalid_posts_like_a_real_create(api: Api) -> None:
    response = api.post("/posts?dry_run=true", json={"title": "  ", "content": "x"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"field": "title", "message": "is required"}]


# ---------------------------------------------------------------- scopes and ownership


@pytest.mark.parametrize(
    ("scopes", "method", "path", "body", "missing"),
    [
        (("posts:write",), "GET", "/posts", None, "posts:read"),
        (("posts:write",), "GET", "/tags", None, "posts:read"),
        (("posts:read",), "POST", "/posts", {"title": "T", "content": "c"}, "posts:write"),
        (("posts:read",), "POST", "/preview", {"title": "T", "content": "c"}, "posts:write"),
        (
            ("posts:write",),
            "POST",
            "/posts",
            {"title": "T", "content": "c", "status": "published"},
            "posts:publish",
        ),
    ],
)
def test_a_missing_scope_gets_403(app, make_token, client, scopes, method, path, body, missing):
    response = Api(client, make_token(scopes=scopes)).call(method, path, json=body)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "insufficient_scope"
    assert missing in response.get_json()["detail"]
    assert f'scope="{missing}"' in response.headers["WWW-Authenticate"]
    assert count_posts(app) == 0


def test_editing_or_deleting_needs_the_matching_scope(api: Api, make_token, client) -> None:
    draft = api.post("/posts", json={"title": "Draft", "content": "x"}).get_json()
    public = publish(api, title="Public")
    writer = Api(client, make_token(scopes=("posts:read", "posts:write")))
    assert writer.patch(f"/posts/{draft['id']}", json={"title": "Edited"}).status_code == 200
    for post, change in ((public, {"title": "Edited"}), (draft, {"status": "published"})):
        refused = writer.patch(f"/posts/{post['id']}", json=change)
        assert refused.status_code == 403 and "posts:publish" in refused.get_json()["detail"]
    assert writer.delete(f"/posts/{draft['id']}").status_code == 403
    assert api.get(f"/posts/{public['id']}").get_json()["title"] == "Public"


def test_a_token_cannot_touch_another_authors_posts(app, api: Api, make_token, client) -> None:
    with app.app_context():
        other, _ = posts.save_author({"slug": "ink", "name": "Ink"})
    theirs = Api(client, make_token(owner=other))
    post = publish(theirs, title="Ink's post")
    for method, body in (("GET", None), ("PATCH", {"title": "Mine now"}), ("DELETE", None)):
        response = api.call(method, f"/posts/{post['id']}", json=body)
        assert response.status_code == 403, method
        assert response.get_json()["code"] == "not_your_post"
    assert api.get("/posts").get_json()["items"] == []
    assert theirs.get(f"/posts/{post['id']}").get_json()["title"] == "Ink's post"


def test_an_unknown_query_parameter_is_refused(api: Api) -> None:
    response = api.get("/posts?stauts=draft")
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"
