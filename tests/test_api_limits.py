"""Rate limits: per token for reads and writes, and per address for bad tokens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from .conftest import Api
from .support.factories import app_settings, count_posts

GOOD = {"title": "Rate limited", "content": "x"}


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return app_settings(tmp_path, API_WRITE_LIMIT="3 per minute", API_READ_LIMIT="5 per minute")


def test_writes_past_the_limit_get_429_with_retry_after(app: Flask, api: Api) -> None:
    answers = [api.post("/posts", json={**GOOD, "slug": f"p{n}"}) for n in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert [a.headers["RateLimit"].split(";r=")[1].split(";")[0] for a in answers] == [
        "2",
        "1",
        "0",
        "0",
    ]
    assert answers[0].headers["RateLimit-Policy"] == '"writes";q=3;w=60'
    refused = answers[-1]
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert count_posts(app) == 3


def test_reads_and_writes_are_counted_apart_and_per_token(api: Api, make_token, client) -> None:
    for _ in range(3):
        api.post("/preview", json=GOOD)
    assert api.post("/preview", json=GOOD).status_code == 429
    assert api.get("/posts").status_code == 200  # reads have their own budget
    other = Api(client, make_token(name="second agent"))
    assert other.post("/preview", json=GOOD).status_code == 200  # and each token its own
    for _ in range(4):
        assert api.get("/tags").status_code == 200
    assert api.get("/me").status_code == 429
    me = other.get("/me").get_json()
    assert me["limits"]["writes"] == {"limit": 3, "window_seconds": 60, "remaining": 2}


def test_repeated_bad_tokens_from_one_address_get_429(make_token, client) -> None:
    good = make_token()
    guesses = [
        client.get("/api/v1/me", headers={"Authorization": f"Bearer ab_{n:043d}"})
        for n in range(11)
    ]
    assert [g.status_code for g in guesses] == [401] * 10 + [429]
    assert guesses[-1].get_json()["code"] == "too_many_bad_tokens"
    assert re.fullmatch(r"\d+", guesses[-1].headers["Retry-After"])
    # the address is refused before its token is even looked at
    assert Api(client, good).get("/me").status_code == 429
    elsewhere = {"REMOTE_ADDR": "127.0.0.2"}
    assert Api(client, good).get("/me", environ_base=elsewhere).status_code == 200


def test_missing_tokens_do_not_count_as_guesses(make_token, client) -> None:
    for _ in range(12):
        assert client.get("/api/v1/me").status_code == 401
    assert Api(client, make_token()).get("/me").status_code == 200
