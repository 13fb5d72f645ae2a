"""Search: /search, /ask, the API's ?q= and related posts, kept in step by the writer."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog import posts
from blog.extensions import db
from blog.models import Post


def soup(markup: str) -> BeautifulSoup:
    return BeautifulSoup(markup, "html.parser")


def titles(client: FlaskClient, query: str) -> list[str]:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    page = soup(response.get_data(as_text=True))
    return [a.get_text() for a in page.select("article.card h2 a")]


def test_the_form_in_every_header_finds_posts_ranked_title_first(
    client: FlaskClient, make_post: Any
) -> None:
    make_post(title="Gardening notes", content="Something about lanterns in the text.")
    make_post(title="Lanterns", content="All about lanterns and lanterns.")
    make_post(title="Unrelated", content="Nothing to see.")
    home = soup(client.get("/").get_data(as_text=True))
    form = home.select("header form[role=search]")[0]
    assert form["action"] == "/search" and form["method"] == "get"
    assert [i["name"] for i in form.select("input")] == ["q"]
    assert titles(client, "lanterns") == ["Lanterns", "Gardening notes"]
    assert titles(client, "LANTERN") == ["Lanterns", "Gardening notes"]  # stemmed, any case
    assert titles(client, "lanterns nothing") == []  # every word must match


def test_snippets_are_escaped_and_highlighted_never_raw_html(
    client: FlaskClient, make_post: Any
) -> None:
    make_post(title="Markup", content="Write `<script>alert(1)</script>` and **bold** kettle.")
    body = client.get("/search?q=kettle").get_data(as_text=True)
    snippet = soup(body).select("p.snippet")[0]
    assert snippet.select("mark")[0].get_text() == "kettle"
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert not snippet.select("strong, code, script")


def test_two_character_chinese_and_japanese_words_are_found(
    client: FlaskClient, make_post: Any
) -> None:
    make_post(title="天气", content="今天的天气很好，我们去公园散步。", lang="zh")
    make_post(title="東京", content="東京で寿司を食べました。とても美味しかった。", lang="ja")
    assert titles(client, "公园") == ["天气"]
    assert titles(client, "寿司") == ["東京"]
    assert titles(client, "去公园散步") == ["天气"]
    assert titles(client, "公散") == []  # not a word of the text: the pair must be adjacent
    body = client.get("/search?q=公园").get_data(as_text=True)
    assert "<mark>公园</mark>" in body


def test_only_public_posts_are_found_and_edits_and_deletes_show_at_once(
    app: Any, client: FlaskClient, make_post: Any
) -> None:
    make_post(title="Draft walrus", status="draft")
    post = make_post(title="Public walrus")
    assert titles(client, "walrus") == ["Public walrus"]
    with app.app_context():
        posts.update_post(db.session.get(Post, post.id), {"title": "Public narwhal"})
    assert titles(client, "walrus") == [] and titles(client, "narwhal") == ["Public narwhal"]
    with app.app_context():
        posts.delete_post(db.session.get(Post, post.id))
    assert titles(client, "narwhal") == []


def test_ask_answers_in_nlweb_list_style(client: FlaskClient, make_post: Any) -> None:
    make_post(title="Tidal power", content="Tides turn turbines.", summary="On tides.")
    answer = client.get("/ask?query=tides").get_json()
    assert answer["query"] == "tides"
    [result] = answer["results"]
    assert result["@type"] == "BlogPosting" and result["headline"] == "Tidal power"
    assert result["url"].endswith("/posts/tidal-power") and result["summary"] == "On tides."
    assert result["score"] > 0
    assert client.get("/ask?query=").get_json()["results"] == []


def test_the_api_searches_the_authors_own_posts_drafts_included(api: Any, make_post: Any) -> None:
    make_post(title="Draft otter", status="draft")
    make_post(title="Otter facts", content="Otters hold hands.")
    response = api.get("/posts", query_string={"q": "otter"})
    assert response.status_code == 200
    assert [p["title"] for p in response.get_json()["items"]] == ["Otter facts", "Draft otter"]
    assert api.get("/posts?q=%22%20OR%20*").get_json()["items"] == []


HOSTILE = [
    '"',
    '"unbalanced',
    "a OR b NOT c",
    "NEAR(a b, 2)",
    "*",
    "lan*",
    "title:lanterns",
    "(((",
    "-lanterns",
    "^lanterns",
    "lanterns\x00\x01\x1f",
    "x" * 10_000,
    "lanterns " * 1200,
    "公",
    "'; DROP TABLE posts; --",
    "!@#$%^&*()",
]


def test_hostile_queries_get_results_or_nothing_never_an_error(
    client: FlaskClient, make_post: Any, api: Any
) -> None:
    make_post(title="Lanterns", content="lanterns")
    for query in HOSTILE:
        for path in ("/search", "/ask"):
            response = client.get(path, query_string={"q": query, "query": query})
            assert response.status_code == 200, (query, response.status_code)
        found = api.get("/posts", query_string={"q": query})
        if len(query) > 300:  # past the documented length: a clear problem, nothing else
            assert found.status_code == 422 and found.mimetype == "application/problem+json"
        else:
            assert found.status_code == 200, (query, found.get_data(as_text=True))
    for raw in ("%ED%A0%80", "%FF%FE", "%00", "%"):  # a lone surrogate, bad UTF-8, NUL
        assert client.get(f"/search?q={raw}").status_code == 200
        assert api.get(f"/posts?q={raw}").status_code in (200, 400, 422)
    assert titles(client, "lanterns\x00") == ["Lanterns"]
    assert titles(client, "NEAR lanterns") == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=80))
def test_any_text_is_a_valid_query(client: FlaskClient, query: str) -> None:
    assert client.get("/search", query_string={"q": query}).status_code == 200
    assert client.get("/ask", query_string={"query": query}).status_code == 200


def test_a_post_page_shows_up_to_three_related_posts_chosen_at_save(
    client: FlaskClient, make_post: Any
) -> None:
    for n in range(4):
        make_post(title=f"Bees {n}", content="Hives.", tags=["bees"])
    make_post(title="Cars", content="Engines.", tags=["cars"])
    latest = make_post(title="Bees and honey", content="More hives.", tags=["bees"])
    page = soup(client.get(f"/posts/{latest.slug}").get_data(as_text=True))
    related = [a.get_text() for a in page.select("aside.related a")]
    assert len(related) == 3 and all(title.startswith("Bees ") for title in related)
    make_post(title="The first", content="x", tags=["ai"])
    short = make_post(title="The second", content="y", tags=["ai"])  # a short tag counts
    page = soup(client.get(f"/posts/{short.slug}").get_data(as_text=True))
    assert [a.get_text() for a in page.select("aside.related a")] == ["The first"]
    lonely = make_post(title="Unique zeppelin", content="Nothing shared.", tags=["air"])
    page = soup(client.get(f"/posts/{lonely.slug}").get_data(as_text=True))
    assert not page.select("aside.related")
