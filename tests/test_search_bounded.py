"""Search ranks only the newest matches (search.index.RANKED), so its cost does not grow
with how many posts have the word. RANKED is made small here; the index is real."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog import posts, search
from blog.models import Author

from .test_search import soup, titles

NEWEST = 5


@pytest.fixture(autouse=True)
def few_ranked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search.index, "RANKED", NEWEST)


def beacons(make_post: Any, count: int, title_hit: int, **values: Any) -> list[str]:
    """Make `count` posts having 'beacon' (post `title_hit` in its title); return titles."""
    made = []
    for n in range(count):
        title = f"Beacon {n}" if n == title_hit else f"Note {n}"
        made.append(make_post(title=title, content=f"A beacon, seen on day {n}.", **values))
    return [post.title for post in made]


def test_the_best_of_the_newest_matches_are_found(client: FlaskClient, make_post: Any) -> None:
    made = beacons(make_post, 9, title_hit=6)
    found = titles(client, "beacon")
    assert found[0] == "Beacon 6"  # a title hit ranks first among the newest
    assert sorted(found) == sorted(made[-NEWEST:])
    assert titles(client, "beacon day") == found  # every word still has to match
    make_post(title="Beacon draft", content="beacon beacon", status="draft")
    assert titles(client, "beacon") == found  # the newest public five: drafts never count


def test_an_old_best_match_is_past_the_bound(client: FlaskClient, make_post: Any) -> None:
    made = beacons(make_post, 8, title_hit=0)
    found = titles(client, "beacon")
    assert "Beacon 0" not in found and sorted(found) == sorted(made[-NEWEST:])
    assert titles(client, "beacon 0") == ["Beacon 0"]  # a narrower query reaches it


def page_of(client: FlaskClient, number: int) -> tuple[list[str], bool]:
    """Return the titles on page `number` of a search for 'beacon', and whether it links on."""
    response = client.get("/search", query_string={"q": "beacon", "page": number})
    page = soup(response.get_data(as_text=True))
    found = [a.get_text() for a in page.select("article.card h2 a")]
    return found, bool(page.select("a[rel=next]"))


def test_pages_end_with_the_ranked_posts(app: Flask, client: FlaskClient, make_post: Any) -> None:
    app.config["POSTS_PER_PAGE"] = 2
    made = beacons(make_post, 8, title_hit=7)
    pages = [page_of(client, n) for n in (1, 2, 3, 4)]
    assert [more for _, more in pages] == [True, True, False, False]
    seen = [title for found, _ in pages for title in found]
    assert seen[0] == "Beacon 7" and len(seen) == NEWEST
    assert sorted(seen) == sorted(made[-NEWEST:])
    answer = client.get("/ask?query=beacon&limit=50").get_json()["results"]
    assert [result["headline"] for result in answer] == seen  # the same ranking


def test_an_authors_search_bounds_its_own_posts(
    app: Flask, api: Any, make_post: Any, author: Author
) -> None:
    mine = beacons(make_post, 6, title_hit=2, status="draft")
    with app.app_context():  # an author with newer matching posts must not crowd them out
        other, _ = posts.save_author({"slug": "other", "name": "Other"})
    beacons(make_post, 6, title_hit=-1, author=other)
    found = [p["title"] for p in api.get("/posts?q=beacon&limit=100").get_json()["items"]]
    assert found[0] == "Beacon 2" and sorted(found) == sorted(mine[-NEWEST:])
