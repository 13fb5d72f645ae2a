"""The API stores an Idempotency-Key's response in the post's own transaction, not after it."""

from __future__ import annotations

from flask import Flask

from blog.access import idempotency

from .conftest import Api
from .support.factories import count_posts

BODY = {"title": "Exactly once", "content": "Sent by an agent that retries.", "tags": ["retry"]}


def test_a_request_that_dies_storing_its_key_leaves_no_post(app: Flask, api: Api, monkeypatch):
    """Die where the key's response is stored: the post must not outlive it, or a retry
    (after the takeover a kill -9 leads to) makes a second post."""

    def dies(*args, **kwargs):
        raise RuntimeError("the worker dies here")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with monkeypatch.context() as patch:
        patch.setattr(idempotency, "complete", dies)
        first = api.post("/posts", json=BODY, headers={"Idempotency-Key": "k"})
    assert first.status_code == 500
    assert count_posts(app) == 0, "the post was committed before its key's response"
    retry = api.post("/posts", json=BODY, headers={"Idempotency-Key": "k"})
    assert retry.status_code == 201
    assert count_posts(app) == 1
