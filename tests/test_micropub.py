"""W3C Micropub at /micropub: the micropub.rocks server cases (create, update, delete, query, auth).

Every case goes over HTTP with a real token; pages are read back as a reader sees them.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from blog import posts
from blog.access import audit, tokens
from blog.extensions import db
from blog.models import Author

from .conftest import BASE_URL, ROOT
from .support.factories import author_with_token, count_posts
from .support.micropub import Micropub, assert_micropub_error

PUBLISH = ("posts:read", "posts:write", "posts:publish")
PNG_BYTES = (ROOT / "blog" / "static" / "social-card.png").read_bytes()


@pytest.fixture
def mp(client: Any, make_token: Any) -> Micropub:
    """Micropub as seen by an agent whose token carries every scope."""
    return Micropub(client, make_token())


def path(url: str) -> str:
    return urlsplit(url).path


def served(client: Any, url: str) -> bytes:
    """Return the bytes a file URL serves."""
    with client.get(path(url)) as answer:
        assert answer.status_code == 200, url
        return answer.data


def page(client: Any, url: str) -> str:
    answer = client.get(path(url))
    assert answer.status_code == 200, url
    return answer.get_data(as_text=True)


# ------------------------------------------------------------------------- create (1xx, 2xx)


def test_a_form_encoded_note_is_published_at_its_location(mp: Micropub, client: Any) -> None:
    url = mp.create(data={"h": "entry", "content": "Micropub test of creating a basic h-entry"})
    assert url.startswith(f"{BASE_URL}/posts/")
    assert "Micropub test of creating a basic h-entry" in page(client, url)
    found = mp.source(url)
    assert found["type"] == ["h-entry"]
    assert found["properties"]["content"] == ["Micropub test of creating a basic h-entry"]
    assert found["properties"]["post-status"] == ["published"]


def test_form_categories_as_a_list_or_one_value_become_tags(mp: Micropub, client: Any) -> None:
    listed = mp.create(data={"h": "entry", "content": "Two tags", "category[]": ["test1", "test2"]})
    single = mp.create(data={"h": "entry", "content": "One tag", "category": "test1"})
    assert mp.source(listed)["properties"]["category"] == ["test1", "test2"]
    assert mp.source(single)["properties"]["category"] == ["test1"]
    assert "Two tags" in page(client, "/tags/test2")


def test_form_name_summary_published_slug_and_photo_url(mp: Micropub) -> None:
    url = mp.create(
        data={
            "h": "entry",
            "name": "An article",
            "content": "Its **text**.",
            "summary": "In short.",
            "published": "2026-01-02T03:04:05+01:00",
            "mp-slug": "My Article",
            "photo": "https://photos.example/sunset.jpg",
        }
    )
    assert url == f"{BASE_URL}/posts/my-article"
    found = mp.source(url)["properties"]
    assert found["name"] == ["An article"] and found["summary"] == ["In short."]
    assert found["published"] == ["2026-01-02T02:04:05+00:00"]
    assert found["photo"] == ["https://photos.example/sunset.jpg"]
    assert "mp-slug" not in found


def test_unknown_form_properties_are_kept_and_returned_by_source(mp: Micropub) -> None:
    url = mp.create(data={"h": "entry", "content": "Hidden fields", "random": "kept", "x[]": "1"})
    found = mp.source(url)["properties"]
    assert found["random"] == ["kept"] and found["x"] == ["1"]


# Properties the post has no column for, of every JSON shape, and text YAML would misread.
EXTRAS = {
    "location": [{"type": ["h-geo"], "properties": {"latitude": ["45.5"], "longitude": ["-1"]}}],
    "rating": [{"value": "4.5", "best": "5"}],
    "syndication": ["https://elsewhere.example/1"],
    "x-looks-typed": ["2026-12-01", "yes", "null", "1e3", "- a", "key: value", "中文"],
}


def test_unknown_properties_survive_export_and_import(
    mp: Micropub, client: Any, runner: Any, build_app: Any, tmp_path
) -> None:
    html = "<p>Kept as <em>HTML</em></p>"
    entry = {"type": ["h-entry"], "properties": {"content": [{"html": html}], **EXTRAS}}
    url = mp.create(json=entry)
    before = mp.source(url)
    assert {k: before["properties"][k] for k in EXTRAS} == EXTRAS
    assert "h-geo" not in client.get(path(url) + ".md").get_data(as_text=True)  # export only
    assert runner.invoke(args=["export", str(tmp_path / "out")]).exit_code == 0
    again = runner.invoke(args=["import-posts", str(tmp_path / "out")])
    assert again.exit_code == 0 and "0 created, 0 updated, 1 unchanged" in again.output
    elsewhere = build_app(DATABASE_URL=f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    with elsewhere.app_context():
        db.create_all()
    result = elsewhere.test_cli_runner().invoke(args=["import-posts", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with elsewhere.app_context():
        raw, _ = tokens.issue(posts.reads.get_author("quill"), tokens.SCOPES, None, "mp")
    assert Micropub(elsewhere.test_client(), raw).source(url) == before


def test_a_json_entry_with_categories(mp: Micropub, client: Any) -> None:
    entry = {
        "type": ["h-entry"],
        "properties": {"content": ["A JSON note"], "category": ["test1", "test2"]},
    }
    url = mp.create(json=entry)
    assert "A JSON note" in page(client, url)
    assert mp.source(url)["properties"]["category"] == ["test1", "test2"]


def test_json_html_content_is_sanitized_before_it_is_stored(mp: Micropub, client: Any) -> None:
    html = '<p>This post has <b>bold</b> and <i>italic</i><script>alert("x")</script>.</p>'
    url = mp.create(json={"type": ["h-entry"], "properties": {"content": [{"html": html}]}})
    shown = page(client, url)
    assert "<b>bold</b>" in shown and "<i>italic</i>" in shown and "alert" not in shown
    content = mp.source(url)["properties"]["content"][0]
    assert content["html"] == "<p>This post has <b>bold</b> and <i>italic</i>.</p>"
    assert content["value"] == "This post has bold and italic."


def test_nested_objects_and_photos_with_alt_are_kept_as_sent(mp: Micropub) -> None:
    location = {
        "type": ["h-card"],
        "properties": {"name": ["Home"], "latitude": ["45.5"], "url": ["https://map.example"]},
    }
    photo = {"value": "https://photos.example/a.jpg", "alt": "A sunset over water"}
    properties = {"content": ["Checked in"], "location": [location], "photo": [photo]}
    url = mp.create(json={"type": ["h-entry"], "properties": properties})
    found = mp.source(url)["properties"]
    assert found["location"] == [location] and found["photo"] == [photo]


def test_multipart_photos_are_stored_and_served(mp: Micropub, client: Any) -> None:
    png, gif = PNG_BYTES, b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 20
    files = {
        "h": "entry",
        "content": "Two photos",
        "photo[]": [(BytesIO(png), "a.png"), (BytesIO(gif), "b")],
    }
    url = mp.create(data=files, content_type="multipart/form-data")
    photos = mp.source(url)["properties"]["photo"]
    assert len(photos) == 2
    assert [served(client, p) for p in photos] == [png, gif]


def test_a_draft_is_stored_but_not_shown(mp: Micropub, client: Any) -> None:
    url = mp.create(data={"h": "entry", "content": "Not yet", "post-status": "draft"})
    assert client.get(path(url)).status_code == 404
    assert mp.source(url)["properties"]["post-status"] == ["draft"]


def test_a_draft_only_token_makes_drafts_and_may_not_publish(
    client: Any, make_token: Any, app: Flask
) -> None:
    drafts = Micropub(client, make_token(("posts:read", "posts:write")))
    url = drafts.create(data={"h": "entry", "content": "A draft by default"})
    assert drafts.source(url)["properties"]["post-status"] == ["draft"]
    before = count_posts(app)
    refused = drafts.post(data={"h": "entry", "content": "Live", "post-status": "published"})
    assert_micropub_error(refused, 403, "insufficient_scope")
    assert count_posts(app) == before


# ------------------------------------------------------------------------------ update (4xx)


@pytest.fixture
def entry(mp: Micropub) -> str:
    properties = {"content": ["Original"], "category": ["foo", "bar"], "mood": ["calm"]}
    return mp.create(json={"type": ["h-entry"], "properties": properties})


def update(mp: Micropub, url: str, **changes: Any) -> Any:
    return mp.post(json={"action": "update", "url": url, **changes})


def test_replace_a_property(mp: Micropub, client: Any, entry: str) -> None:
    assert update(mp, entry, replace={"content": ["Replaced text"]}).status_code == 204
    assert "Replaced text" in page(client, entry)
    assert mp.source(entry)["properties"]["content"] == ["Replaced text"]


def test_add_a_value_to_an_existing_and_to_a_new_property(mp: Micropub, entry: str) -> None:
    assert update(mp, entry, add={"category": ["baz"], "syndication": ["https://x.example/1"]})
    found = mp.source(entry)["properties"]
    assert found["category"] == ["bar", "baz", "foo"]  # tags are listed by name
    assert found["syndication"] == ["https://x.example/1"]


def test_delete_one_value_and_whole_properties(mp: Micropub, client: Any, entry: str) -> None:
    assert update(mp, entry, delete={"category": ["foo"]}).status_code == 204
    assert mp.source(entry)["properties"]["category"] == ["bar"]
    assert update(mp, entry, delete=["category", "mood"]).status_code == 204
    found = mp.source(entry)["properties"]
    assert "category" not in found and "mood" not in found
    assert 'rel="tag"' not in page(client, entry)


def test_updating_a_published_post_needs_the_publish_scope(
    client: Any, make_token: Any, entry: str
) -> None:
    drafts = Micropub(client, make_token(("posts:read", "posts:write")))
    refused = update(drafts, entry, replace={"content": ["Changed"]})
    assert_micropub_error(refused, 403, "insufficient_scope")
    assert "Original" in page(client, entry)


@pytest.mark.parametrize(
    "changes",
    [
        {"replace": "content"},
        {"replace": {"content": "not a list"}},
        {"add": ["category"]},
        {"delete": "category"},
        {"delete": {"category": "foo"}},
        {"replace": {"content": [{"nested": {"deep": 1}}]}},
        {"replace": {"name": ["one", "two"]}},
        {"delete": ["content"]},
        {},
    ],
)
def test_a_malformed_update_is_refused_and_changes_nothing(
    mp: Micropub, entry: str, changes: dict[str, Any]
) -> None:
    before = mp.source(entry)
    assert_micropub_error(update(mp, entry, **changes), 400, "invalid_request")
    assert mp.source(entry) == before


@pytest.mark.parametrize(
    "url",
    ["", "https://elsewhere.example/posts/a", f"{BASE_URL}/posts/no-such-post", f"{BASE_URL}/"],
)
def test_an_update_needs_the_url_of_a_post_here(mp: Micropub, url: str) -> None:
    answer = update(mp, url, replace={"content": ["x"]})
    assert_micropub_error(answer, 400, "invalid_request")


def test_another_authors_post_is_forbidden(
    mp: Micropub, client: Any, make_token: Any, app: Flask, entry: str
) -> None:
    with app.app_context():
        other, _ = posts.save_author({"slug": "other", "name": "Other"})
        theirs = Micropub(client, make_token(owner=db.session.get(Author, other.id)))
    assert_micropub_error(update(theirs, entry, replace={"content": ["x"]}), 403, "forbidden")
    delete = theirs.post(data={"action": "delete", "url": entry})
    assert_micropub_error(delete, 403, "forbidden")
    assert "Original" in page(client, entry)


def test_an_update_must_be_json(mp: Micropub, entry: str) -> None:
    answer = mp.post(data={"action": "update", "url": entry, "replace[content]": "x"})
    assert_micropub_error(answer, 400, "invalid_request")


# --------------------------------------------------------------------------- delete (5xx)


@pytest.mark.parametrize("encoding", ["data", "json"])
def test_delete_a_post(mp: Micropub, client: Any, entry: str, encoding: str) -> None:
    answer = mp.post(**{encoding: {"action": "delete", "url": entry}})
    assert answer.status_code == 204
    assert client.get(path(entry)).status_code == 404


def test_delete_needs_the_delete_scope(client: Any, make_token: Any, entry: str) -> None:
    writer = Micropub(client, make_token(PUBLISH))
    refused = writer.post(data={"action": "delete", "url": entry})
    assert_micropub_error(refused, 403, "insufficient_scope")
    assert client.get(path(entry)).status_code == 200


@pytest.mark.parametrize("encoding", ["data", "json"])
def test_undelete_brings_a_deleted_post_back(
    mp: Micropub, client: Any, entry: str, encoding: str
) -> None:
    assert mp.post(**{encoding: {"action": "delete", "url": entry}}).status_code == 204
    assert client.get(path(entry)).status_code == 404
    assert mp.post(**{encoding: {"action": "undelete", "url": entry}}).status_code in (200, 204)
    assert "Original" in page(client, entry)


# ---------------------------------------------------------------------------- query (6xx)


def test_config_names_the_media_endpoint_and_the_queries(mp: Micropub) -> None:
    config = mp.get(q="config").get_json()
    assert config["media-endpoint"] == f"{BASE_URL}/micropub/media"
    assert config["syndicate-to"] == []
    assert set(config["q"]) == {"config", "source", "syndicate-to", "category"}
    assert {"type": "note", "name": "Note"} in config["post-types"]
    assert mp.get(q="syndicate-to").get_json() == {"syndicate-to": []}


def test_source_with_named_properties(mp: Micropub, entry: str) -> None:
    one = mp.source(entry, **{"properties[]": "content"})
    assert one == {"properties": {"content": ["Original"]}}
    two = mp.get(q="source", url=entry, **{"properties[]": ["content", "category"]}).get_json()
    assert two == {"properties": {"content": ["Original"], "category": ["bar", "foo"]}}


def test_category_lists_existing_tags_with_a_filter(mp: Micropub, entry: str) -> None:
    assert mp.get(q="category").get_json() == {"categories": ["bar", "foo"]}
    assert mp.get(q="category", filter="F").get_json() == {"categories": ["foo"]}


@pytest.mark.parametrize("query", [{}, {"q": "nonsense"}, {"q": "source"}])
def test_an_unknown_or_incomplete_query_is_refused(mp: Micropub, query: dict[str, str]) -> None:
    assert_micropub_error(mp.get(**query), 400, "invalid_request")


# ----------------------------------------------------------------------------- auth (8xx)


def test_the_token_may_come_in_the_form_body(client: Any, make_token: Any) -> None:
    form = {"h": "entry", "content": "Token in the body", "access_token": make_token()}
    answer = client.post("/micropub", data=form)
    assert answer.status_code == 201


@pytest.mark.parametrize("token", ["", "ab_" + "x" * 43, "not-a-token"])
def test_no_post_is_stored_without_a_valid_token(
    client: Any, app: Flask, author: Author, token: str
) -> None:
    answer = Micropub(client, token).post(data={"h": "entry", "content": "Anonymous"})
    assert_micropub_error(answer, 401, "unauthorized")
    assert count_posts(app) == 0
    assert assert_micropub_error(Micropub(client, token).get(q="config"), 401, "unauthorized")


def test_a_token_sent_twice_is_refused(mp: Micropub, app: Flask) -> None:
    answer = mp.post(data={"h": "entry", "content": "x", "access_token": mp.token})
    assert_micropub_error(answer, 400, "invalid_request")
    assert count_posts(app) == 0


def test_a_read_only_token_may_not_create(client: Any, make_token: Any, app: Flask) -> None:
    reader = Micropub(client, make_token(("posts:read",)))
    answer = reader.post(data={"h": "entry", "content": "x"})
    body = assert_micropub_error(answer, 403, "insufficient_scope")
    assert "create" in body["error_description"]
    assert count_posts(app) == 0


def test_the_write_quota_applies_as_on_the_api(build_app: Any, settings: dict, tmp_path) -> None:
    app = build_app(**{**settings, "API_WRITE_LIMIT": "2 per minute"})
    with app.app_context():
        who, _ = posts.save_author({"slug": "quota", "name": "Quota"})
        raw, _ = tokens.issue(who, tokens.SCOPES, None, "quota")
    mp = Micropub(app.test_client(), raw)
    for n in range(2):
        mp.create(data={"h": "entry", "content": f"Post {n}"})
    answer = mp.post(data={"h": "entry", "content": "One too many"})
    assert answer.status_code == 429 and answer.get_json()["error"] == "rate_limited"
    assert count_posts(app) == 2


# ------------------------------------------------------------------------------ bad input

FORM = "application/x-www-form-urlencoded"
BAD_CREATES: dict[str, dict[str, Any]] = {
    "unknown action": {"data": {"action": "explode", "url": f"{BASE_URL}/posts/x"}},
    "unknown h type": {"data": {"h": "event", "content": "x"}},
    "no h": {"data": {"content": "x"}},
    "empty create": {"data": {"h": "entry"}},
    "no content": {"data": {"h": "entry", "name": "Only a name"}},
    "name twice": {"data": {"h": "entry", "name[]": ["a", "b"], "content": "x"}},
    "bad date": {"data": {"h": "entry", "content": "x", "published": "yesterday"}},
    "bad status": {"data": {"h": "entry", "content": "x", "post-status": "secret"}},
    "photo not a URL": {"data": {"h": "entry", "content": "x", "photo": "javascript:alert(1)"}},
    "query string too": {"data": {"h": "entry", "content": "x"}, "query_string": {"h": "entry"}},
    "JSON as a form": {"data": '{"type": ["h-entry"]}', "content_type": FORM},
    "form as JSON": {"data": "h=entry&content=x", "content_type": "application/json"},
    "plain text": {"data": "h=entry", "content_type": "text/plain"},
    "JSON not an object": {"json": [1, 2]},
    "wrong type": {"json": {"type": "h-entry", "properties": {"content": ["x"]}}},
    "type h-event": {"json": {"type": ["h-event"], "properties": {"content": ["x"]}}},
    "properties a list": {"json": {"type": ["h-entry"], "properties": [["content", "x"]]}},
    "string not list": {"json": {"type": ["h-entry"], "properties": {"content": "x"}}},
    "object for text": {
        "json": {"type": ["h-entry"], "properties": {"content": ["x"], "name": [{"a": 1}]}}
    },
    "object category": {
        "json": {
            "type": ["h-entry"],
            "properties": {"content": ["x"], "category": [{"type": ["h-card"]}]},
        }
    },
    "number value": {
        "json": {"type": ["h-entry"], "properties": {"content": ["x"], "rating": [5]}}
    },
    "html not text": {"json": {"type": ["h-entry"], "properties": {"content": [{"html": 5}]}}},
    "lone surrogate": {
        "data": '{"type": ["h-entry"], "properties": {"content": [{"html": "\\ud800"}]}}',
        "content_type": "application/json",
    },
    "control character": {
        "json": {"type": ["h-entry"], "properties": {"content": ["x"], "mood": ["\u0007"]}}
    },
    "too deep": {
        "json": {
            "type": ["h-entry"],
            "properties": {"content": ["x"], "a": [{"b": [{"c": [{"d": [{"e": ["f"]}]}]}]}]},
        }
    },
    "taken slug": {"data": {"h": "entry", "content": "x", "mp-slug": "taken"}},
    "multi-line summary": {"data": {"h": "entry", "content": "x", "summary": "one\ntwo"}},
}


@pytest.mark.parametrize("request_", BAD_CREATES.values(), ids=BAD_CREATES.keys())
def test_bad_input_is_refused_and_nothing_is_stored(
    mp: Micropub, app: Flask, client: Any, request_: dict[str, Any]
) -> None:
    mp.create(data={"h": "entry", "content": "Taken", "mp-slug": "taken"})
    answer = mp.post(**request_)
    assert_micropub_error(answer, 400, "invalid_request")
    assert count_posts(app) == 1


def test_json_sent_as_a_form_is_named_for_what_it_is(mp: Micropub, app: Flask) -> None:
    body = '{"type": ["h-entry"], "properties": {"content": ["x"]}}'
    answer = mp.post(data=body, content_type=FORM)
    detail = assert_micropub_error(answer, 400, "invalid_request")["error_description"]
    assert "application/json" in detail
    assert count_posts(app) == 0


def test_content_over_the_size_limit_is_refused_before_sanitizing(
    build_app: Any, settings: dict, make_token: Any
) -> None:
    app = build_app(**{**settings, "API_MAX_MARKDOWN_BYTES": 1000})
    small = Micropub(app.test_client(), make_token())
    for content in ("x" * 1001, {"html": "<p>" + "x" * 1000 + "</p>"}):
        entry = {"type": ["h-entry"], "properties": {"content": [content]}}
        body = assert_micropub_error(small.post(json=entry), 413, "invalid_request")
        assert body["code"] == "content_too_large"
    assert count_posts(app) == 0


def test_a_token_made_on_the_command_line_publishes(
    client: Any, runner: Any, author: Author
) -> None:
    made = runner.invoke(
        args=["token", "create", "--author", "quill", "--scopes", "posts:write,posts:publish"]
    )
    assert made.exit_code == 0, made.output
    raw = made.stdout.strip().splitlines()[-1]
    url = Micropub(client, raw).create(data={"h": "entry", "content": "From the CLI token"})
    assert "From the CLI token" in page(client, url)


def test_micropub_writes_are_logged_as_their_token(build_app: Any) -> None:
    app = build_app()
    quill = {"slug": "quill", "name": "Quill"}
    micropub = Micropub(app.test_client(), author_with_token(app, quill, "phone"))
    url = micropub.create(data={"h": "entry", "content": "A note."})
    answer = micropub.post(json={"action": "update", "url": url, "replace": {"content": ["B."]}})
    assert answer.status_code == 204
    assert micropub.post(data={"action": "delete", "url": url}).status_code == 204
    with app.app_context():
        actions = [(e.action, e.actor) for e in audit.entries("post.")]
    assert actions == [(name, "token 1 (phone of quill)")
                       for name in ("post.deleted", "post.updated", "post.created")]  # fmt: skip
