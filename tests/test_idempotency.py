"""Idempotency-Key: a retried POST replays the first response and never makes a second post."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from blog import posts
from blog.access import idempotency
from blog.extensions import db
from blog.models import Author, IdempotencyKey, Post, Token, utcnow

from .conftest import Api
from .support.factories import count_posts

BODY = {"title": "Exactly once", "content": "Sent by an agent that retries.", "tags": ["retry"]}


def send(api: Api, key: str, body: dict | None = None, token: str | None = None):
    return api.post("/posts", json=body or BODY, headers={"Idempotency-Key": key}, token=token)


def test_the_same_key_and_body_replay_the_first_response(app: Flask, api: Api) -> None:
    first = send(api, "6f1c7a52-0d52-4bb5-9d49-3a1b2a2f4b10")
    again = send(api, "6f1c7a52-0d52-4bb5-9d49-3a1b2a2f4b10")
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_posts(app) == 1


def test_a_quoted_key_and_reordered_json_are_the_same_request(app: Flask, api: Api) -> None:
    send(api, "abc-123")
    reordered = json.dumps(dict(reversed(list(BODY.items()))), indent=2)
    replay = api.post(
        "/posts",
        data=reordered,
        content_type="application/json",
        headers={"Idempotency-Key": '"abc-123"'},
    )
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert count_posts(app) == 1


def test_the_same_key_with_another_body_gets_422(app: Flask, api: Api) -> None:
    send(api, "key-1")
    response = send(api, "key-1", {**BODY, "title": "Something else"})
    assert response.status_code == 422
    assert response.get_json()["code"] == "idempotency_key_reused"
    assert count_posts(app) == 1


def test_the_same_key_while_the_first_request_runs_gets_409(app: Flask, api: Api) -> None:
    send(api, "warm-up")  # find the token's id the way the API does
    with app.app_context():
        token_id = db.session.scalar(select(Token.id))
        print_ = idempotency.fingerprint("POST", "/api/v1/posts", BODY)
        running = idempotency.claim(token_id, "busy", print_, timedelta(hours=24))
    assert running.outcome == "new"
    response = send(api, "busy")
    assert response.status_code == 409
    assert response.get_json()["code"] == "idempotency_key_in_use"
    assert response.headers["Retry-After"] == "1"
    assert count_posts(app) == 1


def test_keys_are_scoped_per_token(app: Flask, api: Api, make_token) -> None:
    other = make_token(name="another agent")
    mine, theirs = send(api, "shared-key"), send(api, "shared-key", token=other)
    assert mine.status_code == theirs.status_code == 201
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert count_posts(app) == 2


def age_keys(app: Flask, hours: float) -> None:
    with app.app_context():
        moment = utcnow() - timedelta(hours=hours)
        db.session.execute(update(IdempotencyKey).values(created_at=moment))
        db.session.commit()


def test_keys_are_kept_for_the_configured_hours_then_forgotten(app: Flask, api: Api) -> None:
    first = send(api, "daily")
    age_keys(app, 23.9)
    assert send(api, "daily").get_data() == first.get_data()
    age_keys(app, 24.1)
    fresh = send(api, "daily")
    assert fresh.status_code == 201 and fresh.get_json()["id"] != first.get_json()["id"]
    assert count_posts(app) == 2


def test_expired_keys_are_forgotten_even_for_a_token_that_writes_no_more(
    app: Flask, api: Api, make_token
) -> None:
    send(api, "once")  # this token never writes again
    age_keys(app, 24.1)
    send(api, "later", token=make_token(name="another agent"))
    with app.app_context():
        kept = db.session.scalars(select(IdempotencyKey.key)).all()
    assert kept == ["later"]


def test_a_key_abandoned_by_a_dead_request_can_be_taken_over(app: Flask, api: Api) -> None:
    send(api, "warm-up")
    with app.app_context():
        token_id = db.session.scalar(select(Token.id))
        print_ = idempotency.fingerprint("POST", "/api/v1/posts", BODY)
        idempotency.claim(token_id, "orphan", print_, timedelta(hours=24))
    assert send(api, "orphan").status_code == 409
    age_keys(app, 0.1)  # six minutes: its worker is long dead
    assert send(api, "orphan").status_code == 201
    assert count_posts(app) == 2


def test_a_refused_request_leaves_its_key_free(app: Flask, api: Api) -> None:
    send(api, "first", {**BODY, "slug": "taken"})
    conflict = send(api, "second", {**BODY, "slug": "taken"})
    assert conflict.status_code == 409 and conflict.get_json()["code"] == "slug_conflict"
    assert send(api, "second", {**BODY, "slug": "free"}).status_code == 201
    with app.app_context():
        keys = db.session.scalars(select(IdempotencyKey.key).order_by(IdempotencyKey.key)).all()
    assert keys == ["first", "second"]


def test_the_key_is_saved_in_the_same_transaction_as_the_post(app: Flask, author) -> None:
    with app.app_context():
        writer = db.session.get(Author, author.id)
        from blog.access import tokens

        _, token = tokens.issue(writer, ("posts:write",), None)
        claim = idempotency.claim(token.id, "k", "print", timedelta(hours=1))
        lost = idempotency.Claim("new", claim.record_id, "someone-else")
        with pytest.raises(idempotency.KeyLost):
            posts.create_post(
                writer, dict(BODY), on_save=lambda p: idempotency.complete(lost, 201, "{}", {})
            )
        assert db.session.scalar(select(func.count(Post.id))) == 0
        with pytest.raises(posts.InvalidPost):
            posts.create_post(writer, {"title": "", "content": "x"}, on_save=lambda p: None)

        def store(post: Post) -> None:
            idempotency.complete(claim, 201, json.dumps({"id": post.id}), {})

        post = posts.create_post(writer, dict(BODY), on_save=store)
        record = db.session.scalar(select(IdempotencyKey))
        assert record.holder is None and json.loads(record.response) == {"id": post.id}
