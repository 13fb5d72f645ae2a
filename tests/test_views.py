"""The pages people read, through the Flask test client, parsed as HTML."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from blog import posts

from .conftest import days_ago


def page(client: FlaskClient, path: str, status: int = 200) -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def titles(soup: BeautifulSoup) -> list[str]:
    return [a.get_text(strip=True) for a in soup.select("article .card-title a")]


def test_home_lists_public_posts_with_their_details(client, make_post) -> None:
    make_post(title="Visible", tags=["notes"], content="word " * 600)
    make_post(title="Hidden draft", status="draft")
    make_post(title="Tomorrow", published_at=datetime.now(UTC) + timedelta(days=1))
    soup = page(client, "/")
    assert titles(soup) == ["Visible"]
    card = soup.select_one("article.card")
    assert datetime.fromisoformat(card.select_one("time")["datetime"]) < datetime.now(UTC)
    assert card.select_one("a[rel=author]").get_text() == "Quill"
    assert card.select_one(".reading-time").get_text() == "3 min read"
    assert [a.get_text() for a in card.select(".tags a")] == ["notes"]


def test_home_paginates_ten_a_page(client, make_post) -> None:
    for n in range(23):
        make_post(title=f"Number {n:02d}", published_at=days_ago(50 - n))
    first = page(client, "/")
    assert titles(first)[0] == "Number 22" and len(titles(first)) == 10
    third = page(client, "/page/3")
    assert titles(third) == ["Number 02", "Number 01", "Number 00"]
    assert third.select_one("a[rel=prev]")["href"] == "/page/2"
    assert first.select_one("a[rel=next]")["href"] == "/page/2"
    page(client, "/page/4", 404)
    assert client.get("/page/1").headers["Location"] == "/"


def test_post_page_shows_title_date_author_reading_time_and_tags(client, make_post) -> None:
    make_post(title="A post", slug="a-post", content="Hello **world**", tags=["one", "Two"])
    soup = page(client, "/posts/a-post")
    article = soup.select_one("article.post")
    assert article.h1.get_text() == "A post"
    assert article.select_one(".content strong").get_text() == "world"
    assert article.select_one("header time")["datetime"]
    assert article.select_one("a[rel=author]")["href"] == "/authors/quill"
    assert article.select_one(".reading-time").get_text() == "1 min read"
    assert [a["href"] for a in article.select(".tags a")] == ["/tags/one", "/tags/two"]
    assert soup.html["lang"] == "en"
    assert soup.select_one("link[rel=canonical]")["href"] == "https://blog.example/posts/a-post"


def test_a_post_in_another_language_carries_lang_and_dir(client, make_post) -> None:
    make_post(slug="arabic", lang="ar", title="مرحبا", content="هذا نص عربي.")
    make_post(slug="chinese", lang="zh-Hans", title="你好", content="这是中文。")
    arabic = page(client, "/posts/arabic").select_one("article.post")
    assert (arabic["lang"], arabic["dir"]) == ("ar", "rtl")
    chinese = page(client, "/posts/chinese").select_one("article.post")
    assert (chinese["lang"], chinese["dir"]) == ("zh-Hans", "ltr")


def test_drafts_and_scheduled_posts_are_404(client, make_post) -> None:
    make_post(slug="draft", status="draft")
    make_post(slug="later", published_at=datetime.now(UTC) + timedelta(hours=2))
    page(client, "/posts/draft", 404)
    page(client, "/posts/later", 404)


def test_tags_index_and_tag_page(client, make_post) -> None:
    make_post(title="First", tags=["Machine Learning"])
    make_post(title="Second", tags=["Machine Learning", "other"])
    make_post(title="Secret", tags=["hidden-only"], status="draft")
    index = page(client, "/tags/")
    rows = {a.get_text(): a.find_next("span").get_text() for a in index.select(".tag-index a")}
    assert rows == {"Machine Learning": "2 posts", "other": "1 post"}
    tag = page(client, "/tags/machine-learning")
    assert titles(tag) == ["Second", "First"]
    page(client, "/tags/hidden-only", 404)
    page(client, "/tags/nope", 404)


def test_author_page_shows_the_agent_and_its_operator(client, make_post) -> None:
    make_post(title="By Quill")
    soup = page(client, "/authors/quill")
    assert soup.h1.get_text() == "Quill"
    note = soup.select_one(".agent-note")
    assert "Claude" in note.get_text()
    assert note.a["href"] == "https://operator.example"
    assert titles(soup) == ["By Quill"]
    page(client, "/authors/nobody", 404)


def test_archive_groups_by_month(client, make_post) -> None:
    make_post(title="March", published_at=datetime(2026, 3, 5, tzinfo=UTC))
    make_post(title="March again", published_at=datetime(2026, 3, 20, tzinfo=UTC))
    make_post(title="May", published_at=datetime(2026, 5, 1, tzinfo=UTC))
    make_post(title="Older", published_at=datetime(2024, 12, 31, 23, tzinfo=UTC))
    years = page(client, "/archive").select(".archive-years li")
    assert [li.get_text(" ", strip=True) for li in years] == ["2026 3 posts", "2024 1 post"]
    assert years[0].a["href"] == "/archive/2026"
    soup = page(client, "/archive/2026")
    months = [
        (s.h2.get_text(), [a.get_text() for a in s.select("a")])
        for s in soup.select(".archive-month")
    ]
    assert months == [("May 2026", ["May"]), ("March 2026", ["March again", "March"])]
    page(client, "/archive/2025", 404)
    page(client, "/archive/2026/page/2", 404)


def test_a_busy_year_of_the_archive_comes_in_pages(app, client, make_post, monkeypatch) -> None:
    monkeypatch.setattr(posts.archive, "PER_PAGE", 2)
    for day in range(1, 6):
        make_post(title=f"Day {day}", published_at=datetime(2026, 1, day, tzinfo=UTC))
    first = page(client, "/archive/2026")
    assert [a.get_text() for a in first.select(".archive-month a")] == ["Day 5", "Day 4"]
    assert first.select_one("a[rel=next]")["href"] == "/archive/2026/page/2"
    third = page(client, "/archive/2026/page/3")
    assert [a.get_text() for a in third.select(".archive-month a")] == ["Day 1"]
    assert client.get("/archive/2026/page/1").headers["Location"].endswith("/archive/2026")


def test_unknown_pages_get_a_friendly_404(client) -> None:
    soup = page(client, "/no/such/page", 404)
    assert "does not exist" in soup.h1.get_text()
    assert soup.select_one("a[href='/']")


def test_pages_answer_304_until_something_changes(client, make_post) -> None:
    make_post(slug="p")
    time.sleep(1.01 - time.time() % 1)  # Last-Modified waits until the newest change's second ends
    first = client.get("/posts/p")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/posts/p", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    make_post(title="Another")
    changed = client.get("/posts/p", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_the_stylesheet_is_cacheable_forever_at_a_content_address(client) -> None:
    href = page(client, "/").select_one("link[rel=stylesheet]")["href"]
    response = client.get(href)
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert "immutable" in response.headers["Cache-Control"]
    assert "prefers-color-scheme: dark" in response.get_data(as_text=True)
    assert client.get("/assets/style.0000.css").headers["Location"] == href


def test_pages_load_nothing_from_another_host_and_no_script(client, make_post) -> None:
    make_post(slug="p", content="![pic](/static/images/render-pipeline.svg)")
    for path in ("/", "/posts/p", "/archive", "/tags/", "/authors/quill"):
        soup = page(client, path)
        # JSON-LD is data, not script: a browser never runs it.
        scripts = soup.find_all("script")
        assert all(s.get("type") == "application/ld+json" and not s.get("src") for s in scripts)
        for node in soup.select("link[href], img[src]"):
            url = node.get("href") or node.get("src")
            assert not url.startswith(("http://", "https://", "//")) or node.name == "link"


def test_a_broken_template_variable_does_not_cost_a_reader_the_page(settings, build_app) -> None:
    settings["TESTING"] = False
    app = build_app(**settings)
    app.jinja_env.globals["site"] = lambda: {}  # every site().x is now undefined
    response = app.test_client().get("/")
    assert response.status_code == 200


def test_an_unexpected_error_gets_the_friendly_500_page(settings, build_app) -> None:
    from blog.extensions import db

    settings["TESTING"] = False
    app = build_app(**settings)
    with app.app_context():
        db.drop_all()  # no tables: every query fails
    response = app.test_client().get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_a_cached_page_is_never_stale(app, client, make_post) -> None:
    from blog import posts

    post = make_post(slug="p", title="First title", tags=["t"])
    for path in ("/posts/p", "/", "/tags/t", "/authors/quill", "/feed.xml"):
        assert "First title" in client.get(path).get_data(as_text=True)
        assert client.get(path).get_data() == client.get(path).get_data()
    with app.app_context():
        posts.update_post(post, {"title": "Second title"})
        posts.save_author({"slug": "quill", "name": "Quill", "bio": "A new bio."})
    for path in ("/posts/p", "/", "/tags/t", "/authors/quill", "/feed.xml"):
        body = client.get(path).get_data(as_text=True)
        assert "Second title" in body and "First title" not in body, path
    assert "A new bio." in client.get("/authors/quill").get_data(as_text=True)


def test_pages_work_with_the_response_cache_off(settings, make_post, build_app) -> None:
    make_post(slug="p", title="Uncached")
    uncached = build_app(**{**settings, "RESPONSE_CACHE_BYTES": 0})
    client = uncached.test_client()
    assert "Uncached" in client.get("/posts/p").get_data(as_text=True)
    assert client.get("/posts/p").status_code == 200
