"""The feeds a reader subscribes to, fetched through the test client and parsed for real."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from lxml import etree

from blog import posts
from blog.formats import feeds as feedformats
from blog.models import Post

from .conftest import BASE_URL, days_ago

SCHEMA = json.loads((Path(__file__).parent / "feeds" / "jsonfeed-1.1.schema.json").read_text())
XML_FEEDS = ("/feed.xml", "/atom.xml")
ALL_FEEDS = ("/feed.xml", "/atom.xml", "/feed.json")
NS = "https://agentblog.dev/ns/1.0"


def fetch(client: FlaskClient, path: str, status: int = 200) -> bytes:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.data[:300])
    return response.data


def parse_xml(client: FlaskClient, path: str) -> Any:
    body = fetch(client, path)
    etree.fromstring(body)  # strict XML 1.0, beyond feedparser's leniency
    parsed = feedparser.parse(body)
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    return parsed


def shown(detail: Any) -> str:
    """Return a feed field as a reader shows it: decoded as HTML when it is typed HTML."""
    if detail.type in ("text/html", "application/xhtml+xml"):
        return BeautifulSoup(detail.value, "html.parser").get_text()
    return detail.value


def parse_json(client: FlaskClient, path: str) -> dict[str, Any]:
    document = json.loads(fetch(client, path))
    jsonschema.validate(document, SCHEMA)
    return document


def item_titles(client: FlaskClient, path: str) -> list[str]:
    if path.endswith(".json"):
        return [item["title"] for item in parse_json(client, path)["items"]]
    return [shown(entry.title_detail) for entry in parse_xml(client, path).entries]


def as_datetime(struct: Any) -> datetime:
    return datetime(*struct[:6], tzinfo=UTC)


@pytest.fixture
def full_post(make_post, app) -> Post:
    """A public post with every field a feed item carries."""
    post = make_post(
        title="Rendering once, & why",
        slug="rendering-once",
        content="word " * 600,
        summary="Why pages never parse markdown.",
        tags=["Engineering", "Python"],
        lang="fr",
        disclosure="ai-assisted",
        published_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )
    with app.app_context():
        return posts.update_post(post, {"updated_at": datetime(2026, 3, 2, 10, 0, tzinfo=UTC)})


def test_rss_item_carries_every_field(client, full_post) -> None:
    feed = parse_xml(client, "/feed.xml")
    assert feed.version == "rss20"
    [entry] = feed.entries
    assert shown(entry.title_detail) == "Rendering once, & why"
    assert entry.link == f"{BASE_URL}/posts/rendering-once"
    assert entry.id.startswith("tag:blog.example,") and not entry.guidislink
    assert as_datetime(entry.published_parsed) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert as_datetime(entry.updated_parsed) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert entry.author == "Quill"
    assert entry.agentblog_authorurl == f"{BASE_URL}/authors/quill"
    assert sorted(tag.term for tag in entry.tags) == ["Engineering", "Python"]
    assert entry.language == "fr"
    assert shown(entry.summary_detail) == "Why pages never parse markdown."
    assert entry.content[0].value.count("word") == 600
    assert (entry.agentblog_readingtime, entry.agentblog_wordcount) == ("3", "600")
    assert (entry.agentblog_disclosure, entry.agentblog_model) == ("ai-assisted", "Claude")


def test_atom_entry_carries_every_field(client, full_post) -> None:
    feed = parse_xml(client, "/atom.xml")
    assert feed.version == "atom10"
    [entry] = feed.entries
    assert shown(entry.title_detail) == "Rendering once, & why"
    assert entry.link == f"{BASE_URL}/posts/rendering-once"
    assert entry.id.startswith("tag:blog.example,")
    assert as_datetime(entry.published_parsed) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert as_datetime(entry.updated_parsed) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert entry.author_detail.name == "Quill"
    assert entry.author_detail.href == f"{BASE_URL}/authors/quill"
    assert sorted(tag.term for tag in entry.tags) == ["Engineering", "Python"]
    assert entry.title_detail.language == "fr"
    assert shown(entry.summary_detail) == "Why pages never parse markdown."
    assert entry.content[0].type == "text/html"
    assert entry.content[0].value.count("word") == 600
    assert (entry.agentblog_readingtime, entry.agentblog_wordcount) == ("3", "600")
    assert (entry.agentblog_disclosure, entry.agentblog_model) == ("ai-assisted", "Claude")


def test_json_feed_item_carries_every_field(client, full_post) -> None:
    document = parse_json(client, "/feed.json")
    [item] = document["items"]
    assert item["title"] == "Rendering once, & why"
    assert item["url"] == f"{BASE_URL}/posts/rendering-once"
    assert item["id"].startswith("tag:blog.example,")
    assert datetime.fromisoformat(item["date_published"]) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert datetime.fromisoformat(item["date_modified"]) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert item["authors"] == [{"name": "Quill", "url": f"{BASE_URL}/authors/quill"}]
    assert sorted(item["tags"]) == ["Engineering", "Python"]
    assert item["language"] == "fr"
    assert item["summary"] == "Why pages never parse markdown."
    assert item["content_html"].count("word") == 600
    extension = item["_agentblog"]
    assert (extension["reading_time_minutes"], extension["word_count"]) == (3, 600)
    assert (extension["disclosure"], extension["model"]) == ("ai-assisted", "Claude")


def test_the_three_formats_describe_the_same_posts(client, full_post, make_post) -> None:
    make_post(title="Second")
    rss, atom = (parse_xml(client, path).entries for path in XML_FEEDS)
    items = parse_json(client, "/feed.json")["items"]
    assert [e.id for e in rss] == [e.id for e in atom] == [i["id"] for i in items]
    assert [shown(e.title_detail) for e in rss] == ["Second", "Rendering once, & why"]


def test_channel_metadata(client, full_post) -> None:
    time.sleep(1.01 - time.time() % 1)  # Last-Modified waits until the newest change's second ends
    for path in XML_FEEDS:
        feed = parse_xml(client, path).feed
        assert shown(feed.title_detail) == "agentblog"
        assert shown(feed.subtitle_detail) == "Notes written by AI agents, in their own voice."
        assert feed.link == f"{BASE_URL}/"
        links = {link.rel: link.href for link in feed.links}
        assert links["self"] == BASE_URL + path
        assert feed.language == "en"
        # The newest change readers can see: the post's update, or later its author's.
        updated = as_datetime(feed.updated_parsed)
        assert updated >= datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
        assert updated == client.get(path).last_modified
        assert feed.generator == "agentblog"
        assert "hub" not in links and "image" not in feed
    document = parse_json(client, "/feed.json")
    assert document["feed_url"] == f"{BASE_URL}/feed.json"
    assert document["home_page_url"] == f"{BASE_URL}/"
    assert (document["title"], document["language"]) == ("agentblog", "en")
    assert "hubs" not in document and "icon" not in document


def test_relative_links_and_images_become_absolute(client, make_post) -> None:
    content = (
        "See [the other post](/posts/other), [a sibling](sibling), [a note](#fn) "
        "and [elsewhere](https://example.org/x).\n\n![A chart](/static/images/chart.png)\n"
    )
    make_post(slug="links", content=content)
    html = parse_json(client, "/feed.json")["items"][0]["content_html"]
    for feed_html in (html, parse_xml(client, "/feed.xml").entries[0].content[0].value):
        soup = BeautifulSoup(feed_html, "html.parser")
        assert [a["href"] for a in soup.find_all("a")] == [
            f"{BASE_URL}/posts/other",
            f"{BASE_URL}/posts/sibling",
            f"{BASE_URL}/posts/links#fn",
            "https://example.org/x",
        ]
        assert soup.img["src"] == f"{BASE_URL}/static/images/chart.png"


def test_item_id_survives_a_new_title_and_slug(client, app, make_post) -> None:
    post = make_post(title="First title", slug="first-slug")
    before = parse_json(client, "/feed.json")["items"][0]["id"]
    with app.app_context():
        posts.update_post(post, {"title": "Second title", "slug": "second-slug"})
    [item] = parse_json(client, "/feed.json")["items"]
    assert item["title"] == "Second title" and item["url"].endswith("/posts/second-slug")
    assert item["id"] == before


def test_drafts_and_scheduled_posts_are_in_no_feed(client, make_post) -> None:
    make_post(title="Visible", tags=["news"])
    make_post(title="Draft", status="draft", tags=["news"])
    make_post(title="Tomorrow", published_at=datetime.now(UTC) + timedelta(days=1), tags=["news"])
    for prefix in ("", "/tags/news"):
        for path in ALL_FEEDS:
            assert item_titles(client, prefix + path) == ["Visible"], prefix + path


def test_tag_feeds_carry_only_that_tag(client, make_post) -> None:
    make_post(title="Tagged", tags=["Deep Learning"])
    make_post(title="Other", tags=["gardening"])
    for path in ALL_FEEDS:
        assert item_titles(client, "/tags/deep-learning" + path) == ["Tagged"]
    feed = parse_xml(client, "/tags/deep-learning/atom.xml").feed
    assert shown(feed.title_detail) == "agentblog: Deep Learning"
    assert feed.link == f"{BASE_URL}/tags/deep-learning"
    assert {link.rel: link.href for link in feed.links}["self"] == (
        f"{BASE_URL}/tags/deep-learning/atom.xml"
    )
    document = parse_json(client, "/tags/deep-learning/feed.json")
    assert document["feed_url"] == f"{BASE_URL}/tags/deep-learning/feed.json"


def test_an_unknown_tag_feed_is_a_404_in_the_feeds_own_format(client, make_post) -> None:
    make_post(title="Draft only", status="draft", tags=["secret"])
    for slug in ("nope", "secret"):
        for path in XML_FEEDS:
            response = client.get(f"/tags/{slug}{path}")
            assert response.status_code == 404
            assert response.mimetype == "application/problem+xml"
            problem = etree.fromstring(response.data)
            assert problem.findtext("{urn:ietf:rfc:7807}code") == "unknown_tag"
        response = client.get(f"/tags/{slug}/feed.json")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["code"] == "unknown_tag"


def test_awkward_titles_make_valid_feeds(client, make_post) -> None:
    title = "Tom & Jerry <script> ]]> and 🤖 emoji"
    make_post(title=title, content="A <b>bold</b> ]]> claim & more.", tags=["R&D <x>"])
    for path in XML_FEEDS:
        entry = parse_xml(client, path).entries[0]
        assert shown(entry.title_detail) == title
        assert [tag.term for tag in entry.tags] == ["R&D <x>"]
    assert parse_json(client, "/feed.json")["items"][0]["title"] == title


def test_control_characters_never_reach_a_feed(app, make_post) -> None:
    with pytest.raises(posts.InvalidPost):
        make_post(title="Bell \x07 in the title")
    # Refused at write time; the serializer strips them too, whatever it is given.
    item = feedformats.Item(
        id="tag:x,2026-01-01:post:1",
        url="https://x.example/p",
        title="Bell\x07 and\x00 null",
        html="<p>form\x0cfeed</p>",
        summary="vertical\x0btab",
        published=datetime(2026, 1, 1, tzinfo=UTC),
        updated=datetime(2026, 1, 1, tzinfo=UTC),
        author=feedformats.Byline("Q\x01", "https://x.example/a", "M\x1f"),
        tags=(("t", "t\x02"),),
        language="en",
        reading_minutes=1,
        word_count=3,
        disclosure="human",
    )
    channel = feedformats.Channel(
        id="https://x.example/",
        title="Blog\x08",
        description="d",
        home_url="https://x.example/",
        feed_url="https://x.example/feed.xml",
        tags_url="https://x.example/tags/",
        language="en",
        updated=datetime(2026, 1, 1, tzinfo=UTC),
    )
    for serialize in (feedformats.rss, feedformats.atom):
        parsed = feedparser.parse(serialize(channel, [item]))
        assert not parsed.bozo
        assert shown(parsed.entries[0].title_detail) == "Bell and null"
    document = json.loads(feedformats.json_feed(channel, [item]))
    assert document["items"][0]["summary"] == "verticaltab"


@pytest.mark.parametrize("path", ALL_FEEDS)
def test_item_count_is_a_setting(app_with, path) -> None:
    client, make = app_with(FEED_ITEMS=3)
    for n in range(5):
        make(title=f"Number {n}", published_at=days_ago(10 - n))
    assert item_titles(client, path) == ["Number 4", "Number 3", "Number 2"]


def test_default_item_count_is_twenty(client, make_post) -> None:
    for n in range(23):
        make_post(title=f"Number {n:02d}", published_at=days_ago(30 - n))
    titles = item_titles(client, "/feed.xml")
    assert len(titles) == 20 and titles[0] == "Number 22" and titles[-1] == "Number 03"


@pytest.mark.parametrize("path", ALL_FEEDS)
def test_size_cap_drops_the_oldest_items_whole(app_with, path) -> None:
    client, make = app_with(FEED_MAX_BYTES=40_000)
    for n in range(6):
        make(
            title=f"Big {n}",
            content=f"{'lorem ipsum ' * 1000}\n\nEND-{n}",
            published_at=days_ago(9 - n),
        )
    body = fetch(client, path)
    assert len(body) <= 40_000
    if path.endswith(".json"):
        contents = [item["content_html"] for item in json.loads(body)["items"]]
    else:
        contents = [entry.content[0].value for entry in feedparser.parse(body).entries]
    assert 1 <= len(contents) < 6
    for n, content in zip(range(5, -1, -1), contents, strict=False):
        assert content.count("lorem ipsum") == 1000 and f"END-{n}" in content


def test_icon_and_hub_when_configured(app_with) -> None:
    hub = "https://hub.example/"
    client, make = app_with(FEED_ICON="/static/icon.png", WEBSUB_HUB=hub)
    make(title="Hello")
    for path in XML_FEEDS:
        feed = parse_xml(client, path).feed
        links = {link.rel: link.href for link in feed.links}
        assert links["hub"] == hub and links["self"] == BASE_URL + path
        icon = feed.image.href if path == "/feed.xml" else feed.icon
        assert icon == f"{BASE_URL}/static/icon.png"
        link_header = client.get(path).headers["Link"]
        assert f'<{hub}>; rel="hub"' in link_header
        assert f'<{BASE_URL}{path}>; rel="self"' in link_header
    document = parse_json(client, "/feed.json")
    assert document["hubs"] == [{"type": "WebSub", "url": hub}]
    assert document["icon"] == f"{BASE_URL}/static/icon.png"


def test_content_types_carry_a_charset(client, make_post) -> None:
    make_post(tags=["t"])
    expected = {
        "/feed.xml": "application/rss+xml; charset=utf-8",
        "/atom.xml": "application/atom+xml; charset=utf-8",
        "/feed.json": "application/feed+json; charset=utf-8",
    }
    for path, content_type in expected.items():
        assert client.get(path).headers["Content-Type"] == content_type
        assert client.get("/tags/t" + path).headers["Content-Type"] == content_type


def test_an_empty_blog_still_serves_valid_feeds(client) -> None:
    for path in XML_FEEDS:
        assert parse_xml(client, path).entries == []
    assert parse_json(client, "/feed.json")["items"] == []


def test_every_page_links_the_site_feeds_and_a_tag_page_its_own(client, make_post) -> None:
    make_post(slug="a-post", tags=["notes"])
    expected = [
        ("application/rss+xml", "/feed.xml"),
        ("application/atom+xml", "/atom.xml"),
        ("application/feed+json", "/feed.json"),
    ]
    for path in ("/", "/posts/a-post", "/archive", "/tags/", "/authors/quill", "/nope"):
        response = client.get(path)
        soup = BeautifulSoup(response.data, "html.parser")
        found = [(link["type"], link["href"]) for link in soup.select("head link[rel=alternate]")]
        other = ("text/markdown", "application/jose")  # the markdown and its signature
        feeds = [(kind, href) for kind, href in found if kind not in other]
        assert feeds == expected, path
    soup = BeautifulSoup(fetch(client, "/tags/notes"), "html.parser")
    found = [(link["type"], link["href"]) for link in soup.select("head link[rel=alternate]")]
    assert found == expected + [(kind, "/tags/notes" + href) for kind, href in expected]
    for _kind, href in found:
        assert client.get(href).status_code == 200, href


@pytest.fixture
def app_with(build_app: Any) -> Any:
    """Build a fresh app with these settings; return its client and a post maker."""

    def build(**overrides: Any) -> tuple[FlaskClient, Any]:
        app = build_app(**overrides)
        with app.app_context():
            author, _ = posts.save_author({"slug": "quill", "name": "Quill", "model": "Claude"})

        def make(**values: Any) -> Post:
            values = {"content": "Body.", "status": "published", **values}
            with app.app_context():
                return posts.create_post(author, values)

        return app.test_client(), make

    return build


QUOTED_MARKUP = "Why <img src=x onerror=alert(1)> & <script>alert(2)</script> run"


@pytest.mark.parametrize("path", XML_FEEDS)
def test_text_that_quotes_markup_stays_text_in_every_reader(client, make_post, path) -> None:
    make_post(title=QUOTED_MARKUP, summary=QUOTED_MARKUP)
    entry = feedparser.parse(fetch(client, path), sanitize_html=False).entries[0]
    for detail in (entry.title_detail, entry.summary_detail):
        # What a reader that decodes the field as HTML builds: no element, only the text.
        if detail.type in ("text/html", "application/xhtml+xml"):
            assert not BeautifulSoup(detail.value, "html.parser").find_all(True), detail
        assert shown(detail) == QUOTED_MARKUP
    raw = etree.fromstring(fetch(client, path))
    texts = [node.text or "" for node in raw.iter("description", "title")]
    for text in texts:  # RSS: every title and description, channel ones too, HTML-decoded
        assert not BeautifulSoup(text, "html.parser").find_all(True), text
