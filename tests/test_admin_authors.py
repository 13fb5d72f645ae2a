"""The admin's author profile form and token quotas: CSRF, the one validation, the audit log."""

from __future__ import annotations

from typing import Any

import mf2py
from flask import Flask
from flask.testing import FlaskClient

from blog import posts
from blog.access import audit, tokens

from .conftest import Api
from .support.admin import send_form
from .support.asserts import assert_problem
from .support.seat import sign_in_operator

PAGE = "/admin/authors/quill"
PROFILE = {
    "name": "Quill the Second",
    "bio": "I write about\r\nparsers.",
    "model": "Claude",
    "provider": "Anthropic",
    "operator": "Ada",
    "operator_url": "https://ada.example",
    "avatar_url": "/static/favicon.svg",
    "policy": "review",
    "quota_hour": "2",
    "quota_day": "",
}


def stored(app: Flask) -> Any:
    with app.app_context():
        return posts.reads.get_author("quill")


def test_an_operator_edits_the_profile_policy_and_quotas(
    app: Flask, client: FlaskClient, author
) -> None:
    sign_in_operator(client)
    page = client.get("/admin/authors").get_data(as_text=True)
    assert f'href="{PAGE}"' in page
    answer = send_form(client, PAGE, PAGE, **PROFILE)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(PAGE)
    saved = stored(app)
    assert (saved.name, saved.bio, saved.provider, saved.operator_url) == (
        "Quill the Second", "I write about\nparsers.", "Anthropic", "https://ada.example",
    )  # fmt: skip
    assert (saved.policy, saved.quota_hour, saved.quota_day) == ("review", 2, None)
    assert "Saved the profile of Quill the Second" in client.get(PAGE).get_data(as_text=True)
    with app.app_context():
        entry = audit.entries("author.changed")[0]
    assert entry.target == "author quill" and entry.actor.startswith("operator ")
    assert client.get("/authors/quill").get_data(as_text=True).count("Quill the Second") >= 1


def test_the_new_quota_holds_the_author_s_agents(
    app: Flask, client: FlaskClient, author, api: Api
) -> None:
    sign_in_operator(client)
    send_form(client, PAGE, PAGE, **{**PROFILE, "policy": "publish", "quota_hour": "1"})
    assert api.post("/posts", json={"title": "One", "content": "x"}).status_code == 201
    refused = api.post("/posts", json={"title": "Two", "content": "x"})
    assert assert_problem(refused, 429, "quota_exceeded")["limit"] == 1


def test_a_refused_profile_shows_why_and_saves_nothing(
    app: Flask, client: FlaskClient, author
) -> None:
    sign_in_operator(client)
    before = stored(app)
    bad = {**PROFILE, "name": " ", "operator_url": "javascript:alert(1)", "quota_day": "-3",
           "policy": "anything"}  # fmt: skip
    answer = send_form(client, PAGE, PAGE, **bad)
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert "Nothing was saved" in text and 'aria-invalid="true"' in text
    for field in ("name", "operator_url", "quota_day", "policy"):
        assert f'href="#author-{field}"' in text, field
    after = stored(app)
    assert (after.name, after.operator_url, after.quota_day, after.policy) == (
        before.name, before.operator_url, before.quota_day, before.policy,
    )  # fmt: skip
    with app.app_context():
        assert [e.actor for e in audit.entries("author.changed")] == ["cli command line"]


def test_profile_links_set_in_the_admin_are_rel_me_on_the_author_page(
    app: Flask, client: FlaskClient, author
) -> None:
    sign_in_operator(client)
    links = "https://social.example/@quill\r\n\r\nhttps://code.example/quill "
    assert send_form(client, PAGE, PAGE, **PROFILE, links=links).status_code == 303
    assert stored(app).links == ["https://social.example/@quill", "https://code.example/quill"]
    page = client.get("/authors/quill").get_data(as_text=True)
    parsed = mf2py.parse(doc=page, url="https://blog.example/authors/quill")
    assert parsed["rels"]["me"] == ["https://social.example/@quill", "https://code.example/quill"]
    # A bad line is named, marked, and nothing is saved (the old links stay).
    answer = send_form(
        client, PAGE, PAGE, **PROFILE, links="https://ok.example\nhttp://plain.example"
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400 and 'href="#author-links"' in text
    assert "http://plain.example" in text  # the operator's input is shown back to be fixed
    assert stored(app).links == ["https://social.example/@quill", "https://code.example/quill"]


def test_the_form_without_its_csrf_token_is_refused(
    app: Flask, client: FlaskClient, author
) -> None:
    sign_in_operator(client)
    answer = client.post(PAGE, data=PROFILE)
    assert answer.status_code == 400 and "Nothing was changed" in answer.get_data(as_text=True)
    assert stored(app).name == "Quill"


def test_no_such_author_and_signed_out(client: FlaskClient, author) -> None:
    assert client.get(PAGE).status_code == 302
    sign_in_operator(client)
    assert client.get("/admin/authors/nobody").status_code == 404
    assert client.get("/admin/authors/NOT%20A%20SLUG").status_code == 404
    assert send_form(client, PAGE, "/admin/authors/nobody", **PROFILE).status_code == 404


def test_a_token_issued_in_the_admin_carries_its_quota(
    app: Flask, client: FlaskClient, author
) -> None:
    sign_in_operator(client)
    form = {"author": "quill", "scope-posts:write": "on", "lifetime": "1 day", "name": "capped",
            "quota_hour": "", "quota_day": "3"}  # fmt: skip
    page = send_form(client, "/admin/tokens", "/admin/tokens", **form).get_data(as_text=True)
    assert "–/hour, 3/day" in page
    with app.app_context():
        made = tokens.all_tokens()[0]
    assert (made.name, made.quota_hour, made.quota_day) == ("capped", None, 3)
    refused = send_form(client, "/admin/tokens", "/admin/tokens", **{**form, "quota_day": "x"})
    assert refused.status_code == 303
    with app.app_context():
        assert len(tokens.all_tokens()) == 1
