"""Quotas: posts per hour and per day, per token and per author, on every agent's writer."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from blog import posts
from blog.access import tokens
from blog.extensions import db
from blog.models import AuditEntry, utcnow
from blog.posts import quotas

from .conftest import Api
from .support.asserts import assert_problem
from .support.factories import author_with_token, count_posts
from .support.micropub import Micropub, assert_micropub_error

QUILL = {"slug": "quill", "name": "Quill", "model": "Claude"}


def publish(api: Api, title: str, **headers: str) -> Any:
    body = {"title": title, "content": "Text.", "status": "published"}
    return api.post("/posts", json=body, headers=headers)


def assert_quota_exceeded(answer: Any, limit: int, window: str, applies_to: str) -> None:
    problem = assert_problem(answer, 429, "quota_exceeded")
    assert int(answer.headers["Retry-After"]) >= 1
    assert (problem["limit"], problem["window"], problem["applies_to"]) == (
        limit,
        window,
        applies_to,
    )
    seconds = {"hour": 3600, "day": 86400}[window]
    assert problem["window_seconds"] == seconds and 1 <= problem["retry_after"] <= seconds


def a_token_of(app: Flask, author_slug: str, **quotas: int | None) -> str:
    with app.app_context():
        author = posts.reads.get_author(author_slug)
        raw, _ = tokens.issue(author, tokens.SCOPES, None, "second",
                              quotas=(quotas.get("hour"), quotas.get("day")))  # fmt: skip
    return raw


@pytest.mark.parametrize("window", ["hour", "day"])
def test_a_token_over_its_setting_gets_429_and_nothing_is_stored(
    build_app: Any, window: str
) -> None:
    app = build_app(**{f"POSTS_PER_{window.upper()}_PER_TOKEN": 2})
    client = app.test_client()
    api = Api(client, author_with_token(app, QUILL, "first"))
    assert publish(api, "One").status_code == 201
    assert publish(api, "Two").status_code == 201
    before = count_posts(app)
    assert_quota_exceeded(publish(api, "Three"), 2, window, "token")
    assert count_posts(app) == before
    assert client.get("/posts/three").status_code == 404
    # Another token of the same author has its own count.
    assert publish(Api(client, a_token_of(app, "quill")), "Three").status_code == 201


def test_an_author_quota_counts_every_token_of_the_author(build_app: Any) -> None:
    app = build_app(POSTS_PER_HOUR_PER_AUTHOR=2)
    client = app.test_client()
    first = Api(client, author_with_token(app, QUILL, "first"))
    second = Api(client, a_token_of(app, "quill"))
    assert publish(first, "One").status_code == 201
    assert publish(second, "Two").status_code == 201
    assert_quota_exceeded(publish(second, "Three"), 2, "hour", "author")
    assert_quota_exceeded(publish(first, "Four"), 2, "hour", "author")
    other = Api(client, author_with_token(app, {"slug": "other", "name": "Other"}, "o"))
    assert publish(other, "Someone else's").status_code == 201
    assert count_posts(app) == 3


def test_a_token_quota_from_the_cli_overrides_the_setting(build_app: Any) -> None:
    app = build_app(POSTS_PER_DAY_PER_TOKEN=100)
    with app.app_context():
        posts.save_author(QUILL)
    made = app.test_cli_runner().invoke(
        args=[
            "token",
            "create",
            "--author",
            "quill",
            "--scopes",
            "posts:write,posts:publish",
            "--quota-day",
            "1",
        ]  # fmt: skip
    )
    assert made.exit_code == 0, made.output
    api = Api(app.test_client(), made.stdout.strip().splitlines()[-1])
    assert publish(api, "One").status_code == 201
    assert_quota_exceeded(publish(api, "Two"), 1, "day", "token")
    listed = app.test_cli_runner().invoke(args=["token", "list"])
    assert "1/d" in listed.output


def test_an_author_quota_from_authors_yaml_and_zero_means_no_limit(build_app: Any) -> None:
    app = build_app(POSTS_PER_HOUR_PER_AUTHOR=1)
    client = app.test_client()
    strict = Api(client, author_with_token(app, {**QUILL, "quota_hour": 2}, "a"))
    free = Api(
        client, author_with_token(app, {"slug": "free", "name": "Free", "quota_hour": 0}, "b")
    )
    for n in range(3):
        assert publish(free, f"Free {n}").status_code == 201
    assert publish(strict, "One").status_code == 201
    assert publish(strict, "Two").status_code == 201
    assert_quota_exceeded(publish(strict, "Three"), 2, "hour", "author")


def test_authors_yaml_refuses_a_quota_that_is_not_a_number(app: Flask, runner, tmp_path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir(exist_ok=True)
    (folder / "authors.yaml").write_text("- slug: quill\n  name: Quill\n  quota_day: lots\n")
    answer = runner.invoke(args=["import-posts", str(folder)])
    assert answer.exit_code != 0 and "quota_day" in answer.output
    with app.app_context():
        assert posts.reads.get_author("quill") is None
    (folder / "authors.yaml").write_text("- slug: quill\n  name: Quill\n  quota_day: -1\n")
    answer = runner.invoke(args=["import-posts", str(folder)])
    assert answer.exit_code != 0 and "quota_day" in answer.output


def test_the_window_slides_and_retry_after_says_when(build_app: Any) -> None:
    app = build_app(POSTS_PER_HOUR_PER_TOKEN=1)
    api = Api(app.test_client(), author_with_token(app, QUILL, "first"))
    assert publish(api, "One").status_code == 201
    with app.app_context():  # the first create was 50 minutes ago
        db.session.execute(update(AuditEntry).values(at=utcnow() - timedelta(minutes=50)))
        db.session.commit()
    refused = publish(api, "Two")
    assert_quota_exceeded(refused, 1, "hour", "token")
    assert 500 <= int(refused.headers["Retry-After"]) <= 600  # ten minutes left
    with app.app_context():
        db.session.execute(update(AuditEntry).values(at=utcnow() - timedelta(minutes=61)))
        db.session.commit()
    assert publish(api, "Two").status_code == 201


def test_refused_writes_and_dry_runs_do_not_count(build_app: Any) -> None:
    app = build_app(POSTS_PER_HOUR_PER_TOKEN=1)
    api = Api(app.test_client(), author_with_token(app, QUILL, "first"))
    assert api.post("/posts", json={"title": "", "content": "x"}).status_code == 422
    dry = api.post("/posts?dry_run=true", json={"title": "Dry", "content": "x"})
    assert dry.status_code == 200
    assert publish(api, "Real").status_code == 201
    assert publish(api, "Again").status_code == 429


def test_an_idempotent_retry_of_a_refused_create_may_succeed_later(build_app: Any) -> None:
    app = build_app(POSTS_PER_HOUR_PER_TOKEN=1)
    api = Api(app.test_client(), author_with_token(app, QUILL, "first"))
    assert publish(api, "One").status_code == 201
    assert publish(api, "Two", **{"Idempotency-Key": "k-2"}).status_code == 429
    with app.app_context():
        db.session.execute(update(AuditEntry).values(at=utcnow() - timedelta(hours=2)))
        db.session.commit()
    assert publish(api, "Two", **{"Idempotency-Key": "k-2"}).status_code == 201


def test_micropub_is_held_to_the_same_quota(build_app: Any) -> None:
    app = build_app(POSTS_PER_DAY_PER_TOKEN=1)
    client: FlaskClient = app.test_client()
    raw = author_with_token(app, QUILL, "micropub")
    micropub = Micropub(client, raw)
    micropub.create(data={"h": "entry", "content": "First note."})
    before = count_posts(app)
    refused = micropub.post(data={"h": "entry", "content": "Second note."})
    body = assert_micropub_error(refused, 429, "quota_exceeded")
    assert int(refused.headers["Retry-After"]) >= 1
    assert (body["limit"], body["window"], body["applies_to"]) == (1, "day", "token")
    assert count_posts(app) == before
    # The API shares the token's count: Micropub's post used the day's one place.
    assert_quota_exceeded(publish(Api(client, raw), "Over"), 1, "day", "token")


def test_operators_have_no_quota(build_app: Any) -> None:
    app = build_app(POSTS_PER_HOUR_PER_AUTHOR=1)
    api = Api(app.test_client(), author_with_token(app, QUILL, "first"))
    assert publish(api, "Agent's one").status_code == 201
    with app.app_context():  # the command line (import-posts) writes as an operator
        author = posts.reads.get_author("quill")
        for n in range(3):
            posts.create_post(author, {"title": f"Imported {n}", "content": "x"})
    assert count_posts(app) == 4
    assert publish(api, "Agent's two").status_code == 429


def test_two_creates_at_once_cannot_both_take_the_last_place(build_app: Any, monkeypatch) -> None:
    first_app = build_app(POSTS_PER_HOUR_PER_AUTHOR=1)
    apps = [first_app, build_app(POSTS_PER_HOUR_PER_AUTHOR=1)]  # two processes, one database
    raws = [author_with_token(first_app, QUILL, "one"), a_token_of(first_app, "quill")]
    barrier = threading.Barrier(2)
    real_now = quotas.utcnow

    def meet_then_count() -> Any:
        # Both creates get here together unless the author's row lock holds one back.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return real_now()

    monkeypatch.setattr(quotas, "utcnow", meet_then_count)
    statuses: list[int] = []

    def create(app: Flask, raw: str) -> None:
        statuses.append(publish(Api(app.test_client(), raw), f"Race {raw[-4:]}").status_code)

    threads = [threading.Thread(target=create, args=pair) for pair in zip(apps, raws, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 429]
    assert count_posts(first_app) == 1
