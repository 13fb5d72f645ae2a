"""Hostile shapes and encodings: each refused with a clear 4xx problem, nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import IdempotencyKey, Post, Tag

from .conftest import Api
from .support import live
from .support.asserts import assert_problem
from .support.factories import count_posts
from .support.live import raw_request

GOOD = {"title": "Good title", "content": "Good content."}


def stored(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Post, Tag, IdempotencyKey)
        )


# ---------------------------------------------------------------- JSON shape


def nested(depth: int) -> bytes:
    """A post whose tags field holds lists `depth` levels deep (the body is one more)."""
    return json.dumps({**GOOD, "tags": "@"}).replace('"@"', "[" * depth + "]" * depth).encode()


@pytest.mark.parametrize("depth", [8, 9, 50, 199, 200, 10_000, 400_000])
def test_json_nested_too_deep_gets_400(app: Flask, api: Api, depth: int) -> None:
    for path in ("/posts", "/preview"):
        response = api.post(path, data=nested(depth), content_type="application/json")
        assert_problem(response, 400, "json_too_deep")
    assert stored(app) == (0, 0, 0)


def test_json_nested_within_the_limit_is_judged_on_its_fields(app: Flask, api: Api) -> None:
    response = api.post("/posts", data=nested(7), content_type="application/json")
    assert_problem(response, 422, "validation_failed")
    body = json.dumps({**GOOD, "content": "[[[[[[[[[[{{{{{{{{{{ brackets in text }"})
    assert api.post("/posts", data=body, content_type="application/json").status_code == 201


def test_a_deep_patch_is_refused_too(app: Flask, api: Api) -> None:
    post = api.post("/posts", json=GOOD).get_json()
    response = api.patch(f"/posts/{post['id']}", data=nested(20), content_type="application/json")
    assert_problem(response, 400, "json_too_deep")
    assert api.get(f"/posts/{post['id']}").get_json() == post


# ---------------------------------------------------------------- text fields


BAD_TEXT = {
    "NUL": "a\x00b",
    "bell": "a\x07b",
    "escape": "\x1b[31mred",
    "DEL": "a\x7fb",
    "non-character": "a\uffffb",
}
FIELDS = {
    "title": lambda bad: {**GOOD, "title": bad},
    "content": lambda bad: {**GOOD, "content": bad},
    "summary": lambda bad: {**GOOD, "summary": bad},
    "tags": lambda bad: {**GOOD, "tags": ["fine", bad]},
    "slug": lambda bad: {**GOOD, "slug": "ok" + bad},
    "lang": lambda bad: {**GOOD, "lang": "en" + bad},
    "canonical_url": lambda bad: {**GOOD, "canonical_url": "https://x.example/" + bad},
}


@pytest.mark.parametrize("kind", BAD_TEXT)
@pytest.mark.parametrize("field", FIELDS)
def test_control_characters_in_any_text_field_get_422(app, api: Api, field, kind) -> None:
    body = FIELDS[field](BAD_TEXT[kind])
    response = api.post("/posts", json=body, headers={"Idempotency-Key": f"{field}-{kind}"})
    problem = assert_problem(response, 422, problem_code(response))
    assert field in {error["field"].split(".")[0] for error in problem["errors"]}
    assert stored(app) == (0, 0, 0)


def problem_code(response: Any) -> str:
    code = response.get_json()["code"]
    assert code in ("validation_failed", "invalid_text"), code
    return code


@pytest.mark.parametrize("field", FIELDS)
def test_a_lone_surrogate_in_any_text_field_gets_400(app: Flask, api: Api, field) -> None:
    body = json.dumps(FIELDS[field]("@")).replace("@", "\\udc80")
    response = api.post("/posts", data=body, content_type="application/json")
    assert_problem(response, 400, "malformed_json")
    assert stored(app) == (0, 0, 0)


@pytest.mark.parametrize("raw", [b"\xff", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82"])
def test_invalid_utf8_in_a_field_gets_400(app: Flask, api: Api, raw: bytes) -> None:
    body = json.dumps(GOOD).encode().replace(b"Good content.", b"bad " + raw + b" bytes")
    assert_problem(
        api.post("/posts", data=body, content_type="application/json"), 400, "invalid_utf8"
    )
    assert stored(app) == (0, 0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "slug": "-leading-dash"}, "slug"),
        ({**GOOD, "slug": "a" * 101}, "slug"),
        ({**GOOD, "slug": "ünïcode"}, "slug"),
        ({**GOOD, "slug": "../../etc/passwd"}, "slug"),
        ({**GOOD, "title": "t" * 301}, "title"),
        ({**GOOD, "tags": [f"tag{n}" for n in range(21)]}, "tags"),
        ({**GOOD, "tags": ["x" * 51]}, "tags"),
        ({**GOOD, "tags": ["!!!"]}, "tags"),
        ({**GOOD, "summary": "s" * 1001}, "summary"),
    ],
)
def test_limits_on_fields_get_422(app: Flask, api: Api, body: dict, field: str) -> None:
    problem = assert_problem(api.post("/posts", json=body), 422, "validation_failed")
    assert field in {error["field"].split(".")[0] for error in problem["errors"]}
    assert stored(app) == (0, 0, 0)


# ---------------------------------------------------------------- headers with CR or LF


INJECTIONS = ["a\r\nSet-Cookie: stolen=1", "a\nX-Injected: 1", "a\rb", "a\r\n b"]


def environ(header: str, value: str) -> dict[str, str]:
    """Pass a header as a WSGI server that keeps obsolete line folding would."""
    return {"HTTP_" + header.upper().replace("-", "_"): value}


def assert_no_injected_header(response: Any) -> None:
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, (name, value)
        assert name.lower() not in ("set-cookie", "x-injected"), name


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_idempotency_key_with_cr_or_lf_gets_400(app: Flask, api: Api, value: str) -> None:
    response = api.post("/posts", json=GOOD, environ_base=environ("Idempotency-Key", value))
    assert_problem(response, 400, "invalid_idempotency_key")
    assert_no_injected_header(response)
    assert stored(app) == (0, 0, 0)


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_authorization_with_cr_or_lf_gets_401(app, client, make_token, value) -> None:
    good = make_token()
    forged = environ("Authorization", f"Bearer {good}{value}")
    response = client.post("/api/v1/posts", json=GOOD, environ_base=forged)
    assert_problem(response, 401, "token_invalid")
    assert_no_injected_header(response)
    assert stored(app) == (0, 0, 0)


PRECONDITION = {400: "invalid_if_match", 412: "etag_mismatch"}


@pytest.mark.parametrize("value", [*INJECTIONS, "", '"unterminated', ","])
def test_a_malformed_if_match_changes_nothing(app: Flask, api: Api, value: str) -> None:
    post = api.post("/posts", json=GOOD).get_json()
    response = api.patch(
        f"/posts/{post['id']}", json={"title": "Changed"}, environ_base=environ("If-Match", value)
    )
    assert response.status_code in (400, 412)  # unreadable, or a tag that does not match
    assert_problem(response, response.status_code, PRECONDITION[response.status_code])
    assert_no_injected_header(response)
    assert api.get(f"/posts/{post['id']}").get_json()["title"] == GOOD["title"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_a_content_type_with_cr_or_lf_gets_415(app: Flask, api: Api, value: str) -> None:
    response = api.post(
        "/posts", data=json.dumps(GOOD), environ_base={"CONTENT_TYPE": f"text/plain{value}"}
    )
    assert_problem(response, 415, "unsupported_media_type")
    assert_no_injected_header(response)
    assert stored(app) == (0, 0, 0)


RAW_HEADERS = [
    b"Idempotency-Key: a\rb",
    b"Idempotency-Key: a\nX-Injected: 1",
    b"Idempotency-Key: a\r\n b",  # obsolete line folding
    b"Idempotency-Key: a\x00b",
]


@pytest.mark.slow
def test_a_real_server_refuses_raw_cr_lf_and_nul_in_headers(app, settings, make_token, tmp_path):
    """gunicorn answers 400 before the app sees the request: nothing reaches posts.py."""
    token = make_token().encode()
    body = json.dumps(GOOD).encode()
    with live.running(settings["DATABASE_URL"], tmp_path / "live", workers=1) as server:
        base = server.url
        host = base.removeprefix("http://").split(":")[0]
        for header in RAW_HEADERS:
            request = b"\r\n".join(
                [
                    b"POST /api/v1/posts HTTP/1.1",
                    b"Host: " + host.encode(),
                    b"Authorization: Bearer " + token,
                    b"Content-Type: application/json",
                    header,
                    b"Content-Length: " + str(len(body)).encode(),
                    b"",
                    body,
                ]
            )
            status = int(raw_request(base, request).split(b" ", 2)[1])
            assert status == 400, (header, status)
    assert stored(app) == (0, 0, 0)


# ---------------------------------------------------------------- import


def test_hostile_files_are_refused_by_import_and_the_rest_import(app, runner, author, tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    header = "---\ntitle: {title}\nauthor: quill\n---\n"
    (folder / "fine.md").write_text(header.format(title="Fine") + "Fine body.\n")
    (folder / "nul.md").write_text(header.format(title="Nul") + "bad \x00 body\n")
    (folder / "escape.md").write_text(header.format(title='"esc \\e[31m"') + "body\n")
    (folder / "long.md").write_text(header.format(title="t" * 301) + "body\n")
    (folder / "deep.md").write_text(header.format(title="Deep") + "> " * 60 + "x\n")
    (folder / "latin1.md").write_bytes(header.format(title="Latin").encode() + b"caf\xe9\n")
    (folder / "tags.md").write_text(
        "---\ntitle: Tags\nauthor: quill\ntags: ["
        + ", ".join(f"t{n}" for n in range(21))
        + "]\n---\nx"
    )
    (folder / "authors.yaml").write_text("- slug: quill\n  name: Quill\n")
    result = runner.invoke(args=["import-posts", str(folder)])
    for name in ("nul", "escape", "long", "deep", "latin1", "tags"):
        assert f"{name}.md" in result.output, result.output
    with app.app_context():
        assert db.session.scalars(select(Post.title)).all() == ["Fine"]


def test_a_file_larger_than_the_markdown_limit_is_refused_by_import(app, runner, author, tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "authors.yaml").write_text("- slug: quill\n  name: Quill\n")
    body = "word " * (262_144 // 5 + 1)
    (folder / "big.md").write_text("---\ntitle: Big\nauthor: quill\n---\n" + body)
    result = runner.invoke(args=["import-posts", str(folder)])
    assert "big.md" in result.output and "262144" in result.output, result.output
    assert count_posts(app) == 0
