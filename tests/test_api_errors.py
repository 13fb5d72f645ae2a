"""Every refusal of the API is problem+json with a stable code, and changes nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Post, Tag

from .conftest import Api
from .support.asserts import assert_problem

GOOD = {"title": "Good title", "content": "Good content."}


def stored(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Post.id))),
            db.session.scalar(select(func.count(Tag.id))),
        )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'{"title": "x", ', "malformed_json"),
        (b"", "malformed_json"),
        (b"{'title': 'single quotes'}", "malformed_json"),
        (b'{"title": "lone \\ud800 surrogate", "content": "x"}', "malformed_json"),
        (b'{"title": "Caf\xe9", "content": "latin-1"}', "invalid_utf8"),
    ],
)
def test_malformed_bodies_get_400(app: Flask, api: Api, data: bytes, code: str) -> None:
    response = api.post("/posts", data=data, content_type="application/json")
    assert_problem(response, 400, code)
    assert stored(app) == (0, 0)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_gets_415(app: Flask, api: Api, content_type) -> None:
    response = api.post("/posts", data='{"title": "x", "content": "y"}', content_type=content_type)
    assert_problem(response, 415, "unsupported_media_type")
    assert stored(app) == (0, 0)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"content": "no title"}, ["title"]),
        ({"title": "x" * 301, "content": "y"}, ["title"]),
        ({**GOOD, "tags": "one"}, ["tags"]),
        ({**GOOD, "tags": [f"t{n}" for n in range(21)]}, ["tags"]),
        ({**GOOD, "status": "live"}, ["status"]),
        ({**GOOD, "slug": "Not A Slug"}, ["slug"]),
        ({**GOOD, "lang": "english!"}, ["lang"]),
        ({**GOOD, "published_at": "2026-01-01T10:00:00"}, ["published_at"]),
        ({**GOOD, "featured": "yes"}, ["featured"]),
        ({**GOOD, "disclosure": "robot"}, ["disclosure"]),
        ({**GOOD, "canonical_url": "javascript:alert(1)"}, ["canonical_url"]),
        ({**GOOD, "colour": "red"}, ["colour"]),
        ({**GOOD, "title": None}, ["title"]),
        ({"title": "bad \u0000 nul", "content": "x"}, ["title"]),
        ({"title": "   ", "content": "x"}, ["title"]),
        ([GOOD], ["body"]),
    ],
)
def test_invalid_fields_get_422_naming_each_field(app: Flask, api: Api, body, fields) -> None:
    response = api.post("/posts", json=body, headers={"Idempotency-Key": "k"})
    problem = assert_problem(response, 422, "validation_failed")
    assert [error["field"].split(".")[0] for error in problem["errors"]] == fields
    assert all(error["message"] for error in problem["errors"])
    assert stored(app) == (0, 0)
    # the key was not used up: the corrected request goes through
    assert api.post("/posts", json=GOOD, headers={"Idempotency-Key": "k"}).status_code == 201


def test_patch_refuses_invalid_fields_and_changes_nothing(api: Api) -> None:
    post = api.post("/posts", json={**GOOD, "tags": ["keep"]}).get_json()
    response = api.patch(f"/posts/{post['id']}", json={"title": "", "tags": ["new"]})
    assert_problem(response, 422, "validation_failed")
    assert api.get(f"/posts/{post['id']}").get_json() == post


def test_a_taken_slug_gets_409(app: Flask, api: Api) -> None:
    api.post("/posts", json={**GOOD, "slug": "mine"})
    assert_problem(api.post("/posts", json={**GOOD, "slug": "mine"}), 409, "slug_conflict")
    other = api.post("/posts", json={**GOOD, "slug": "other"}).get_json()
    renamed = api.patch(f"/posts/{other['id']}", json={"slug": "mine"})
    assert_problem(renamed, 409, "slug_conflict")
    assert stored(app)[0] == 2
    assert api.get(f"/posts/{other['id']}").get_json()["slug"] == "other"


def test_unknown_posts_and_paths_get_404(api: Api) -> None:
    assert_problem(api.get("/posts/12345"), 404, "not_found")
    assert_problem(api.patch("/posts/12345", json={"title": "x"}), 404, "not_found")
    assert_problem(api.delete("/posts/12345"), 404, "not_found")
    assert_problem(api.get("/nothing-here"), 404, "not_found")


def test_a_wrong_method_gets_405_with_allow(api: Api) -> None:
    response = api.call("PUT", "/posts/1", json=GOOD)
    assert_problem(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "token_missing"),
        ({"Authorization": "Basic cXVpbGw6c2VjcmV0"}, "token_missing"),
        ({"Authorization": "Bearer"}, "token_missing"),
        ({"Authorization": "Bearer not-a-token"}, "token_invalid"),
        ({"Authorization": "Bearer ab_" + "A" * 43}, "token_invalid"),
    ],
)
def test_no_or_a_bad_token_gets_401_with_a_bearer_challenge(app, client, headers, code):
    response = client.post("/api/v1/posts", json=GOOD, headers=headers)
    assert_problem(response, 401, code)
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="agentblog"')
    if code != "token_missing":
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert stored(app) == (0, 0)


def test_a_body_over_the_limit_gets_413(app: Flask, api: Api) -> None:
    body = b'{"title": "big", "content": "' + b"x" * (1024 * 1024) + b'"}'
    problem = assert_problem(
        api.post("/posts", data=body, content_type="application/json"), 413, "body_too_large"
    )
    assert "1048576" in problem["detail"]
    assert stored(app) == (0, 0)


def test_markdown_over_the_limit_gets_413(app: Flask, api: Api) -> None:
    just_right = api.post("/posts?dry_run=true", json={"title": "t", "content": "é" * 131_072})
    assert just_right.status_code == 200  # 262,144 bytes of UTF-8
    too_big = api.post("/posts", json={"title": "t", "content": "é" * 131_072 + "x"})
    assert_problem(too_big, 413, "content_too_large")
    post = api.post("/posts", json=GOOD).get_json()
    assert_problem(
        api.patch(f"/posts/{post['id']}", json={"content": "x" * 262_145}), 413, "content_too_large"
    )
    assert stored(app)[0] == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", 'has"quote'])
def test_a_malformed_idempotency_key_gets_400(app: Flask, api: Api, key: str) -> None:
    response = api.post(
        "/posts", json=GOOD, headers={"Idempotency-Key": key.encode().decode("latin-1")}
    )
    assert_problem(response, 400, "invalid_idempotency_key")
    assert stored(app) == (0, 0)


def test_an_unexpected_error_is_a_500_problem_revealing_nothing(app: Flask, api: Api) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        db.session.execute(db.text("DROP TABLE post_tags"))
        db.session.commit()
    response = api.post("/posts", json={**GOOD, "tags": ["boom"]})
    problem = assert_problem(response, 500, "internal_server_error")
    assert "post_tags" not in problem["detail"]


@pytest.mark.parametrize("path", ["/posts/0", "/posts/2147483648", "/posts/6227020801"])
def test_ids_beyond_the_database_range_are_404(api: Api, path: str) -> None:
    assert_problem(api.get(path), 404, "not_found")
    assert_problem(api.patch(path, json={"title": "x"}), 404, "not_found")


def test_a_cursor_beyond_the_id_range_is_refused(api: Api) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(b"p9999999999").decode().rstrip("=")
    assert_problem(api.get(f"/posts?cursor={cursor}"), 422, "validation_failed")
