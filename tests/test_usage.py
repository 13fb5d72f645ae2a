"""AI usage preferences: one setting, a post's override, in aipref and Content Signals alike."""

from __future__ import annotations

from typing import Any

import http_sf
import pytest

from blog import create_app

from .support.asserts import assert_problem, front_matter

# draft-ietf-aipref-vocab: the labels and the y/n tokens a recipient understands.
VOCABULARY = {"train-ai", "ai-use", "search"}


def aipref(value: str) -> dict[str, bool | None]:
    """Process a Content-Usage value as the vocabulary's algorithm does (§6.5)."""
    parsed = http_sf.parse(value.encode(), tltype="dictionary")
    assert set(parsed) <= VOCABULARY, parsed  # nothing a recipient would ignore
    found: dict[str, bool | None] = {}
    for label in VOCABULARY:
        token = parsed.get(label, (None, {}))[0]
        found[label] = {"y": True, "n": False}.get(str(token)) if token is not None else None
    return found


def robots(client: Any) -> tuple[dict[str, str], str]:
    """Return robots.txt's Content-Usage rules (path -> value) and its Content-Signal."""
    text = client.get("/robots.txt").get_data(as_text=True)
    rules, signal = {}, ""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-usage":
            path, _, preference = value.strip().partition(" ")
            assert path.startswith("/")
            rules[path] = preference.strip()
        elif name.strip().lower() == "content-signal":
            signal = value.strip()
    assert "User-agent: *" in text and "Allow: /" in text
    return rules, signal


def signals(value: str) -> dict[str, str]:
    return dict(part.strip().split("=") for part in value.split(","))


BLOG_DEFAULT = {"search": True, "ai-use": True, "train-ai": False}


def test_robots_txt_states_the_blogs_preferences_in_both_vocabularies(client) -> None:
    rules, signal = robots(client)
    assert aipref(rules["/"]) == BLOG_DEFAULT
    assert signals(signal) == {"search": "yes", "ai-input": "yes", "ai-train": "no"}


def test_every_content_response_carries_content_usage(client, api, make_post) -> None:
    post = make_post(slug="p", tags=["t"])
    paths = ["/", "/posts/p", "/posts/p.md", "/index.md", "/tags/t", "/archive", "/llms.txt"]
    paths += ["/feed.xml", "/atom.xml", "/feed.json", "/tags/t/feed.json"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert aipref(response.headers["Content-Usage"]) == BLOG_DEFAULT, path
    answer = api.get(f"/posts/{post.id}")
    assert aipref(answer.headers["Content-Usage"]) == BLOG_DEFAULT


def test_the_setting_changes_every_statement(settings, build_app) -> None:
    client = build_app(**settings, AI_USAGE="search=yes, ai-input=no, ai-train=no").test_client()
    rules, signal = robots(client)
    assert aipref(rules["/"]) == {"search": True, "ai-use": False, "train-ai": False}
    assert signals(signal) == {"search": "yes", "ai-input": "no", "ai-train": "no"}
    assert aipref(client.get("/").headers["Content-Usage"])["ai-use"] is False


def test_a_posts_override_appears_on_its_own_responses(client, api, make_post) -> None:
    make_post(slug="other")
    created = api.post(
        "/posts",
        json={
            "title": "Train on me",
            "content": "Yes.",
            "status": "published",
            "slug": "open",
            "ai_usage": "ai-train=yes , ai-input=no",
        },
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["ai_usage"] == "ai-input=no, ai-train=yes"
    mine = {"search": True, "ai-use": False, "train-ai": True}
    for path in ("/posts/open", "/posts/open.md"):
        assert aipref(client.get(path).headers["Content-Usage"]) == mine, path
    assert aipref(client.get("/posts/other").headers["Content-Usage"]) == BLOG_DEFAULT
    meta, _ = front_matter(client.get("/posts/open.md").get_data(as_text=True))
    assert meta["ai_usage"] == "ai-input=no, ai-train=yes"
    rules, _ = robots(client)
    assert aipref(rules["/posts/open$"]) == mine and aipref(rules["/posts/open.md"]) == mine
    assert "/posts/other$" not in rules
    # A listing shows both: a category either disallows is disallowed.
    both = aipref(client.get("/").headers["Content-Usage"])
    assert both == {"search": True, "ai-use": False, "train-ai": False}
    patched = api.patch(f"/posts/{created.get_json()['id']}", json={"ai_usage": ""})
    assert patched.status_code == 200
    assert aipref(client.get("/posts/open").headers["Content-Usage"]) == BLOG_DEFAULT


@pytest.mark.parametrize(
    "value",
    ["ai-train=maybe", "train-ai=n", "search", "search=yes, search=no", "ai-input=Yes"],
)
def test_a_value_outside_the_vocabulary_is_refused_naming_the_field(api, value) -> None:
    body = {"title": "T", "content": "C", "ai_usage": value}
    problem = assert_problem(api.post("/posts", json=body), 422, "validation_failed")
    assert [error["field"] for error in problem["errors"]] == ["ai_usage"], problem
    assert api.get("/posts").get_json()["items"] == []


def test_an_import_with_a_bad_preference_names_the_file_and_field(app, runner, tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "authors.yaml").write_text("- slug: quill\n  name: Quill\n")
    (folder / "bad.md").write_text("---\ntitle: Bad\nai_usage: ai-train=perhaps\n---\nBody.\n")
    result = runner.invoke(args=["import-posts", str(folder)])
    assert result.exit_code != 0
    assert "ai_usage" in result.output and "bad.md" in result.output, result.output
    client = app.test_client()
    assert client.get("/posts/bad").status_code == 404
    (folder / "bad.md").write_text("---\ntitle: Bad\nai_usage: ai-train=yes\n---\nBody.\n")
    assert runner.invoke(args=["import-posts", str(folder)]).exit_code == 0
    assert aipref(client.get("/posts/bad").headers["Content-Usage"])["train-ai"] is True


def test_a_bad_setting_is_refused_naming_the_variable(settings) -> None:
    settings["AI_USAGE"] = "ai-train=sometimes"
    with pytest.raises(ValueError, match="BLOG_AI_USAGE"):
        create_app(settings)
