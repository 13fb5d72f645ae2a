"""API tokens: what is stored, when they stop working, and the operator's token commands."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text, update

from blog.access import tokens
from blog.extensions import db
from blog.models import Author, Token, utcnow

from .conftest import Api


def test_a_token_is_long_random_prefixed_and_only_its_hash_is_stored(app: Flask, make_token):
    raw = make_token()
    other = make_token()
    assert re.fullmatch(r"ab_[A-Za-z0-9_-]{43}", raw)  # 43 base64url chars = 258 bits
    assert raw != other
    with app.app_context():
        dump = "\n".join(str(row) for row in db.session.execute(text("SELECT * FROM tokens")))
        stored = db.session.scalars(select(Token.secret_hash)).all()
    assert raw not in dump and raw[3:] not in dump
    assert len(stored) == 2 and all(len(h) == 64 for h in stored)


def test_verify_accepts_the_token_and_notes_its_use(app: Flask, make_token) -> None:
    raw = make_token(scopes=("posts:read",))
    with app.app_context():
        verdict = tokens.verify(raw)
        assert verdict.token is not None and verdict.problem == ""
        assert tokens.scopes_of(verdict.token) == {"posts:read"}
        assert verdict.token.last_used_at is not None
        assert tokens.verify(raw[:-1] + ("A" if raw[-1] != "A" else "B")).problem == "invalid"
        assert tokens.verify("ab_short").problem == "invalid"


def test_an_expired_or_revoked_token_is_refused(app: Flask, make_token) -> None:
    raw = make_token(lifetime=timedelta(hours=1))
    with app.app_context():
        assert tokens.verify(raw, now=utcnow() + timedelta(minutes=59)).token is not None
        assert tokens.verify(raw, now=utcnow() + timedelta(minutes=61)).problem == "expired"
        token_id = db.session.scalar(select(Token.id))
        tokens.revoke(token_id)
        assert tokens.verify(raw).problem == "revoked"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90d", timedelta(days=90)), ("12h", timedelta(hours=12)), ("30m", timedelta(minutes=30))],
)
def test_lifetimes_are_read_from_short_text(text: str, expected: timedelta) -> None:
    assert tokens.parse_lifetime(text) == expected
    assert tokens.parse_lifetime("never") is None


@pytest.mark.parametrize("bad", ["0d", "90", "ten days", "-1d", "5y"])
def test_a_bad_lifetime_is_refused(bad: str) -> None:
    with pytest.raises(tokens.TokenError):
        tokens.parse_lifetime(bad)


# ---------------------------------------------------------------- the CLI


def create_token(runner, *extra: str):
    args = ["token", "create", "--author", "quill", "--scopes", "posts:read,posts:write", *extra]
    return runner.invoke(args=args)


def test_token_create_prints_the_token_once_and_it_works(runner, author, client) -> None:
    result = create_token(runner, "--name", "laptop agent", "--expires", "12h")
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip().splitlines()[-1]
    assert raw.startswith("ab_")
    me = Api(client, raw).get("/me")
    assert me.status_code == 200
    assert me.get_json()["author"]["slug"] == "quill"
    assert me.get_json()["token"]["name"] == "laptop agent"
    assert me.get_json()["token"]["scopes"] == ["posts:read", "posts:write"]


def test_token_create_defaults_to_the_lifetime_setting(app: Flask, runner, author) -> None:
    assert create_token(runner).exit_code == 0
    with app.app_context():
        token = db.session.scalar(select(Token))
        left = token.expires_at - utcnow()
    assert timedelta(days=89) < left <= timedelta(days=90)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--author", "nobody", "--scopes", "posts:read"], "no author"),
        (["--author", "quill", "--scopes", "posts:everything"], "unknown"),
        (["--author", "quill", "--scopes", "posts:read", "--expires", "soon"], "lifetime"),
    ],
)
def test_token_create_refuses_bad_arguments(app: Flask, runner, author, args, message) -> None:
    result = runner.invoke(args=["token", "create", *args])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(Token)) is None


def test_token_list_shows_everything_but_the_secret(runner, author, client) -> None:
    raw = create_token(runner, "--name", "ci bot").stdout.strip().splitlines()[-1]
    Api(client, raw).get("/me")
    listing = runner.invoke(args=["token", "list"])
    assert listing.exit_code == 0
    header, row = listing.output.strip().splitlines()
    assert re.match(
        r"ID +NAME +AUTHOR +SCOPES +QUOTA +CREATED +LAST USED +EXPIRES +STATUS$", header
    )
    assert "ci bot" in row and "quill" in row and "posts:read,posts:write" in row
    assert row.endswith("active") and "never" not in row  # used once; expires in 90 days
    assert raw not in listing.output and raw[3:12] not in listing.output


def test_token_revoke_takes_effect_on_the_next_request(app: Flask, runner, author, client):
    raw = create_token(runner).stdout.strip().splitlines()[-1]
    agent = Api(client, raw)
    assert agent.get("/me").status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(Token.id))
    result = runner.invoke(args=["token", "revoke", str(token_id)])
    assert result.exit_code == 0 and "Revoked token" in result.output
    refused = agent.get("/me")
    assert refused.status_code == 401
    assert refused.get_json()["code"] == "token_invalid"  # no hint that it was revoked
    assert "revoked" in runner.invoke(args=["token", "list"]).output
    assert runner.invoke(args=["token", "revoke", "999"]).exit_code != 0


def test_expiry_is_checked_on_every_request(app: Flask, make_token, client) -> None:
    agent = Api(client, make_token(lifetime=timedelta(minutes=5)))
    assert agent.get("/me").status_code == 200
    with app.app_context():
        past = utcnow() - timedelta(seconds=1)
        db.session.execute(update(Token).values(expires_at=past))
        db.session.commit()
    refused = agent.get("/me")
    assert refused.status_code == 401
    assert refused.get_json()["code"] == "token_invalid"  # no hint that it expired


def test_a_token_acts_as_its_author_even_if_the_author_changes_name(app, make_token, client):
    agent = Api(client, make_token())
    with app.app_context():
        db.session.execute(update(Author).values(name="Quill the Second"))
        db.session.commit()
    assert agent.get("/me").get_json()["author"]["name"] == "Quill the Second"
