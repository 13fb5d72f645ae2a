"""Microformats2 on the pages, read with mf2py: h-entry, h-feed, h-card, rel=micropub."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import mf2py
import pytest
from bs4 import BeautifulSoup
from flask import Flask

from blog import posts
from blog.models import Author

from .conftest import BASE_URL, days_ago
from .support.micropub import Micropub

AVATAR = "https://images.example/quill.png"
MICROPUB = f"{BASE_URL}/micropub"


@pytest.fixture
def agent(app: Flask, author: Author) -> Author:
    """The test author, with a portrait and a bio."""
    with app.app_context():
        saved, _ = posts.save_author(
            {"slug": author.slug, "name": author.name, "avatar_url": AVATAR, "bio": "I write."}
        )
        return saved


def parsed(client: Any, path: str) -> dict[str, Any]:
    answer = client.get(path)
    assert answer.status_code == 200, path
    return mf2py.parse(doc=answer.get_data(as_text=True), url=BASE_URL + path)


def entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every h-entry anywhere in the document."""
    found = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if "h-entry" in item["type"]:
                found.append(item)
            walk(item.get("children", []))
            for values in item.get("properties", {}).values():
                walk([v for v in values if isinstance(v, dict) and "type" in v])

    walk(document["items"])
    return found


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def check_author(card: dict[str, Any]) -> None:
    assert card["type"] == ["h-card"]
    assert card["properties"]["name"] == ["Quill"]
    assert card["properties"]["url"] == [f"{BASE_URL}/authors/quill"]
    photo = card["properties"]["photo"][0]  # with its alt text, if the img has one
    assert (photo["value"] if isinstance(photo, dict) else photo) == AVATAR


def test_a_post_page_is_exactly_one_complete_h_entry(
    client: Any, agent: Author, make_post: Any
) -> None:
    make_post(
        slug="tidy",
        title="On tidy pages",
        content="First paragraph, with *emphasis*.",
        summary="Why pages should say what they are.",
        tags=["IndieWeb", "HTML"],
        published_at=days_ago(3),
    )
    document = parsed(client, "/posts/tidy")
    found = entries(document)
    assert len(found) == 1 and document["items"] == found  # one h-entry, at the top
    entry = found[0]["properties"]
    assert entry["name"] == ["On tidy pages"]
    assert entry["content"][0]["html"].strip() == "<p>First paragraph, with <em>emphasis</em>.</p>"
    assert entry["content"][0]["value"] == "First paragraph, with emphasis."
    assert entry["summary"] == ["Why pages should say what they are."]
    assert entry["url"] == entry["uid"] == [f"{BASE_URL}/posts/tidy"]
    assert entry["category"] == ["HTML", "IndieWeb"]
    published, updated = moment(entry["published"][0]), moment(entry["updated"][0])
    assert abs((published - days_ago(3)).total_seconds()) < 60 and updated >= published
    check_author(entry["author"][0])


def test_an_edited_post_says_when(client: Any, agent: Author, make_post: Any, app: Flask) -> None:
    post = make_post(slug="edited", published_at=days_ago(3))
    with app.app_context():
        posts.update_post(posts.reads.get_post("edited"), {"content": "Changed."})
    entry = entries(parsed(client, "/posts/edited"))[0]["properties"]
    published = post.published_at.replace(microsecond=0)
    assert moment(entry["updated"][0]) > moment(entry["published"][0]) == published


@pytest.mark.parametrize("path", ["/", "/tags/feeds", "/authors/quill"])
def test_listings_are_an_h_feed_of_h_entries(
    client: Any, agent: Author, make_post: Any, path: str
) -> None:
    for n in (1, 2):
        make_post(slug=f"p{n}", title=f"Post {n}", summary=f"About {n}.", tags=["Feeds"])
    document = parsed(client, path)
    assert [item["type"] for item in document["items"]] == [["h-feed"]]
    feed = document["items"][0]
    items = feed["children"]
    assert [item["type"] for item in items] == [["h-entry"], ["h-entry"]]
    assert [item["properties"]["name"] for item in items] == [["Post 2"], ["Post 1"]]
    for item, n in zip(items, (2, 1), strict=True):
        props = item["properties"]
        assert props["url"] == [f"{BASE_URL}/posts/p{n}"]
        assert props["summary"] == [f"About {n}."] and props["category"] == ["Feeds"]
        assert moment(props["published"][0])
        check_author(props["author"][0])


def test_the_author_page_carries_the_agents_h_card(
    client: Any, agent: Author, make_post: Any
) -> None:
    make_post()
    feed = parsed(client, "/authors/quill")["items"][0]
    card = feed["properties"]["author"][0]
    check_author(card)
    assert card["properties"]["note"] == ["I write."]
    assert card["properties"]["uid"] == [f"{BASE_URL}/authors/quill"]


LINKS = ["https://social.example/@quill", "https://code.example/quill"]


def test_the_agents_profiles_are_rel_me_links_of_its_h_card(
    client: Any, agent: Author, make_post: Any, app: Flask, runner: Any, make_token: Any
) -> None:
    make_post()
    args = ["create-author", "--slug", "quill", "--name", "Quill"]
    result = runner.invoke(args=[*args, *(x for link in LINKS for x in ("--link", link))])
    assert result.exit_code == 0, result.output
    document = parsed(client, "/authors/quill")
    card = document["items"][0]["properties"]["author"][0]
    assert card["properties"]["url"] == [f"{BASE_URL}/authors/quill", *LINKS]
    assert document["rels"]["me"] == LINKS
    for link in LINKS:
        assert document["rel-urls"][link]["rels"] == ["me"]
    # In the head too, for readers that look only there; a post's own card keeps one url.
    html = BeautifulSoup(client.get("/authors/quill").get_data(as_text=True), "html.parser")
    assert [a["href"] for a in html.select(".h-card a[rel~=me].u-url")] == LINKS
    assert [link["href"] for link in html.select("head link[rel~=me]")] == LINKS
    post_card = entries(parsed(client, f"/posts/{make_post().slug}"))[0]["properties"]["author"]
    assert post_card[0]["properties"]["url"] == [f"{BASE_URL}/authors/quill"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {make_token()}"})
    assert me.get_json()["author"]["links"] == LINKS
    # Updating the author without --link keeps them.
    assert runner.invoke(args=[*args, "--model", "Claude"]).exit_code == 0
    assert parsed(client, "/authors/quill")["rels"]["me"] == LINKS


@pytest.mark.parametrize(
    "links",
    [
        ["javascript:alert(1)"],
        ["http://plain.example/"],
        ["https://"],
        ["https://user:pw@host.example/"],
        ['https://x.example/"onmouseover="alert(1)'],
        ["https://x.example/\nnext"],
        ["https://a.example/", "https://a.example/"],
        [f"https://{i}.example/" for i in range(11)],
        "https://not-a-list.example/",
        [7],
    ],
)
def test_a_bad_profile_link_is_refused_and_nothing_changes(
    client: Any, agent: Author, app: Flask, links: Any
) -> None:
    with app.app_context(), pytest.raises(posts.InvalidPost) as refused:
        posts.save_author({"slug": "quill", "name": "Quill", "links": links})
    assert "links" in str(refused.value)
    assert "me" not in parsed(client, "/authors/quill")["rels"]


def test_an_author_without_a_portrait_has_a_card_without_photo(
    client: Any, author: Author, make_post: Any
) -> None:
    make_post(slug="plain")
    card = entries(parsed(client, "/posts/plain"))[0]["properties"]["author"][0]
    assert card["properties"]["name"] == ["Quill"] and "photo" not in card["properties"]


@pytest.mark.parametrize(
    "path", ["/", "/posts/found", "/tags/", "/tags/x", "/authors/quill", "/archive", "/about/ai"]
)
def test_every_page_names_the_micropub_endpoint(client: Any, make_post: Any, path: str) -> None:
    make_post(slug="found", tags=["x"])
    assert parsed(client, path)["rels"]["micropub"] == [MICROPUB]


def test_the_home_page_names_it_in_a_link_header_too(client: Any) -> None:
    answer = client.get("/")
    assert f'<{MICROPUB}>; rel="micropub"' in answer.headers.getlist("Link") or (
        f'<{MICROPUB}>; rel="micropub"' in answer.headers["Link"].split(", ")
    )
    assert client.get("/").headers["Link"] == answer.headers["Link"]  # from the response cache


def test_a_micropub_post_reads_back_as_the_h_entry_it_was(
    client: Any, agent: Author, make_token: Any
) -> None:
    mp = Micropub(client, make_token())
    properties = {"name": ["Sent by a client"], "content": ["Hello."], "category": ["mp"]}
    url = mp.create(json={"type": ["h-entry"], "properties": properties})
    entry = entries(parsed(client, url.removeprefix(BASE_URL)))[0]["properties"]
    assert entry["name"] == ["Sent by a client"] and entry["category"] == ["mp"]
    assert entry["content"][0]["value"] == "Hello." and entry["url"] == [url]
