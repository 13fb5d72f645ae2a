"""Tokens under attack: one answer for every bad token, and no token in any log line."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from blog.access import tokens
from blog.extensions import db
from blog.models import Token, utcnow

from .support import live


def bad_tokens(app: Flask, make_token: Any) -> dict[str, str]:
    """Each kind of token the API must refuse, by name."""
    expired, revoked, good = make_token(), make_token(), make_token()
    with app.app_context():
        ids = {raw: db.session.scalar(select(Token.id).where(Token.secret_hash == h)) for raw, h in
               ((r, tokens.hash_secret(r)) for r in (expired, revoked))}  # fmt: skip
        db.session.execute(
            update(Token)
            .where(Token.id == ids[expired])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        tokens.revoke(ids[revoked])
    flipped = good[:-1] + ("A" if good[-1] != "A" else "B")
    return {
        "wrong": "ab_" + "x" * 43,
        "one character off": flipped,
        "truncated": good[:-5],
        "too long": good + "x",
        "expired": expired,
        "revoked": revoked,
        "not ours": "ghp_" + "a" * 36,
    }


def test_every_bad_token_gets_the_same_401(app: Flask, client: FlaskClient, make_token) -> None:
    answers = {}
    for kind, raw in bad_tokens(app, make_token).items():
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 401, kind
        answers[kind] = (response.get_data(), response.headers["WWW-Authenticate"])
    assert len(set(answers.values())) == 1, answers
    body, challenge = next(iter(answers.values()))
    assert b'"code":"token_invalid"' in body.replace(b" ", b"")
    assert 'error="invalid_token"' in challenge


def test_more_than_ten_bad_tokens_a_minute_get_429(app: Flask, client, make_token) -> None:
    kinds = list(bad_tokens(app, make_token).values())
    answers = [
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {kinds[n % len(kinds)]}"})
        for n in range(11)
    ]
    assert [a.status_code for a in answers] == [401] * 10 + [429]
    assert answers[-1].get_json()["code"] == "too_many_bad_tokens"


ACCESS_LOG = '%(h)s "%(r)s" %(s)s "%({authorization}i)s" "%({x-api-key}i)s"'


@pytest.mark.slow
def test_no_token_value_appears_in_the_logs(
    app: Flask, settings: dict[str, Any], make_token, tmp_path: Path, monkeypatch
) -> None:
    # The worst an operator might configure: debug logs and the Authorization header logged.
    logs = tmp_path / "access.log"
    monkeypatch.setenv(
        "GUNICORN_CMD_ARGS",
        f"--log-level debug --access-logfile {logs} --access-logformat '{ACCESS_LOG}'",
    )
    good = make_token()
    secrets = {"good": good, **bad_tokens(app, make_token)}
    foreign = secrets.pop("not ours")  # another service's secret: masked after "Bearer " only
    instance = tmp_path / "live"
    with live.running(settings["DATABASE_URL"], instance, workers=1) as server:
        base = server.url
        calls = 0
        for raw in secrets.values():
            for how in ("header", "query", "path", "other header"):
                calls += 1
                headers = {"Authorization": f"Bearer {raw}"} if how == "header" else {}
                if how == "other header":
                    headers["X-Api-Key"] = raw
                url = f"{base}/api/v1/me"
                url = {"query": f"{url}?access_token={raw}", "path": f"{base}/api/v1/{raw}"}.get(
                    how, url
                )
                requests.get(url, headers=headers, timeout=30)
        requests.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {foreign}"})
        calls += 1
        # Mistakes a client makes: the token as a post's title, a slug, an idempotency key.
        for field in ("title", "slug"):
            requests.post(
                f"{base}/api/v1/posts",
                json={"title": "t", "content": "c", field: good * 10},
                headers={"Authorization": f"Bearer {good}", "Idempotency-Key": good},
                timeout=30,
            )
    written = logs.read_text() + (instance / "gunicorn.log").read_text()
    assert len(re.findall(r'"(?:GET|POST) /api/v1/', written)) >= calls  # it did log them
    for kind, raw in {**secrets, "foreign": foreign}.items():
        secret_part = raw.split("_", 1)[1]
        assert secret_part[:12] not in written, f"the {kind} token is in the logs"
