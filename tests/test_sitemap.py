"""/sitemap.xml and /robots.txt, read the way a crawler reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog import create_app, posts
from blog.formats import sitemap

from .conftest import days_ago

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}
BASE = "https://blog.example"


def fetch(client: FlaskClient, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "application/xml"
    return ET.fromstring(response.data)


def urls(root: ET.Element) -> dict[str, ET.Element]:
    return {node.findtext("sm:loc", namespaces=NS): node for node in root.findall("sm:url", NS)}


def lastmod(node: ET.Element) -> datetime:
    return datetime.fromisoformat(node.findtext("sm:lastmod", namespaces=NS))


def test_the_sitemap_lists_public_posts_tags_and_authors(client, make_post) -> None:
    edited = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
    make_post(slug="old", tags=["python"], published_at=days_ago(400), updated_at=edited)
    make_post(slug="new", tags=["python", "web"], published_at=days_ago(2), updated_at=days_ago(1))
    make_post(slug="draft", tags=["secret"], status="draft")
    make_post(slug="later", published_at=datetime.now(UTC) + timedelta(days=1))
    make_post(slug="copied", canonical_url="https://origin.example/copied")
    root = fetch(client, "/sitemap.xml")
    assert root.tag == f"{{{NS['sm']}}}urlset"
    found = urls(root)
    assert set(found) == {
        f"{BASE}/",
        f"{BASE}/archive",
        f"{BASE}/tags/",
        f"{BASE}/posts/old",
        f"{BASE}/posts/new",
        f"{BASE}/tags/python",
        f"{BASE}/tags/web",
        f"{BASE}/authors/quill",
    }
    assert lastmod(found[f"{BASE}/posts/old"]) == edited
    assert lastmod(found[f"{BASE}/posts/new"]) > edited
    assert lastmod(found[f"{BASE}/tags/python"]) == lastmod(found[f"{BASE}/posts/new"])
    assert lastmod(found[f"{BASE}/posts/new"]).tzinfo is not None


def test_translations_are_listed_as_alternates(client, make_post) -> None:
    make_post(slug="en")
    make_post(slug="zh", lang="zh-Hans", translation_of="en")
    make_post(slug="alone")
    found = urls(fetch(client, "/sitemap.xml"))
    expected = {("en", f"{BASE}/posts/en"), ("zh-Hans", f"{BASE}/posts/zh")}
    for slug in ("en", "zh"):
        links = found[f"{BASE}/posts/{slug}"].findall("xhtml:link", NS)
        assert {(x.get("hreflang"), x.get("href")) for x in links} == expected
        assert {x.get("rel") for x in links} == {"alternate"}
    assert found[f"{BASE}/posts/alone"].findall("xhtml:link", NS) == []


@pytest.fixture
def small_parts(settings, build_app):
    """An app whose sitemap files hold 4 URLs, so a handful of posts needs an index."""
    settings["SITEMAP_MAX_URLS"] = 4
    app = build_app(**settings)
    with app.app_context():
        author, _ = posts.save_author({"slug": "a", "name": "A"})
        for n in range(6):
            posts.create_post(
                author,
                {"title": f"P{n}", "slug": f"p{n}", "content": "x", "status": "published"},
            )
    return app


def test_past_the_limit_the_sitemap_becomes_an_index(small_parts: Flask) -> None:
    client = small_parts.test_client()
    index = fetch(client, "/sitemap.xml")
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    parts = [node.findtext("sm:loc", namespaces=NS) for node in index.findall("sm:sitemap", NS)]
    # 3 listing pages + 6 posts + 1 author = 10 URLs: parts of 4, 4 and 2.
    assert parts == [f"{BASE}/sitemap-{n}.xml" for n in (1, 2, 3)]
    assert all(node.find("sm:lastmod", NS) is not None for node in index.findall("sm:sitemap", NS))
    listed = []
    for part in parts:
        root = fetch(client, part.removeprefix(BASE))
        assert root.tag == f"{{{NS['sm']}}}urlset" and len(root) <= 4
        listed += list(urls(root))
    assert len(listed) == len(set(listed)) == 10
    assert client.get("/sitemap-4.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_parts_keep_translations_and_drafts_in_step(small_parts: Flask) -> None:
    with small_parts.app_context():
        author = posts.reads.get_author("a")
        for n, values in enumerate(
            [
                {"status": "draft"},
                {"translation_of": "p0", "lang": "de"},
                {"canonical_url": "https://x.example/1"},
            ]
        ):
            fields = {"title": f"Q{n}", "slug": f"q{n}", "content": "x", "status": "published"}
            posts.create_post(author, {**fields, **values})
    client = small_parts.test_client()
    listed: dict[str, ET.Element] = {}
    for node in fetch(client, "/sitemap.xml").findall("sm:sitemap", NS):
        listed.update(
            urls(fetch(client, node.findtext("sm:loc", namespaces=NS).removeprefix(BASE)))
        )
    assert f"{BASE}/posts/q0" not in listed and f"{BASE}/posts/q2" not in listed
    pair = {("en", f"{BASE}/posts/p0"), ("de", f"{BASE}/posts/q1")}
    for slug in ("p0", "q1"):  # in different parts, each names the other
        links = listed[f"{BASE}/posts/{slug}"].findall("xhtml:link", NS)
        assert {(x.get("hreflang"), x.get("href")) for x in links} == pair


def test_a_single_file_sitemap_has_no_parts(client, make_post) -> None:
    make_post()
    assert client.get("/sitemap-1.xml").status_code == 404


def test_robots_points_to_the_sitemap(client) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {BASE}/sitemap.xml" in lines


@pytest.mark.parametrize("path", ["/sitemap.xml", "/robots.txt"])
def test_crawler_files_answer_304_until_something_changes(client, make_post, path) -> None:
    make_post()
    first = client.get(path)
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    make_post(slug="another")
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200


def test_a_bad_sitemap_size_is_refused_at_start(settings) -> None:
    settings["SITEMAP_MAX_URLS"] = 50_001
    with pytest.raises(ValueError, match="BLOG_SITEMAP_MAX_URLS"):
        create_app(settings)


def uncached_blog(settings: dict, build_app, max_urls: int) -> Flask:
    """Six public posts, no response cache and no hit path: every 200 is built."""
    values = {"SITEMAP_MAX_URLS": max_urls, "RESPONSE_CACHE_BYTES": 0, "HIT_CACHE_BYTES": 0}
    app = build_app(**{**settings, **values})
    with app.app_context():
        author, _ = posts.save_author({"slug": "a", "name": "A"})
        for n in range(6):
            fields = {"title": f"P{n}", "slug": f"p{n}", "content": "x", "status": "published"}
            posts.create_post(author, fields)
    return app


@pytest.mark.parametrize(
    ("max_urls", "path"),
    [(50_000, "/sitemap.xml"), (4, "/sitemap.xml"), (4, "/sitemap-1.xml"), (4, "/sitemap-3.xml")],
    ids=["whole", "index", "listings-part", "posts-part"],
)
def test_a_crawler_revalidating_gets_its_304_without_a_build(
    settings, build_app, monkeypatch, max_urls: int, path: str
) -> None:
    client = uncached_blog(settings, build_app, max_urls).test_client()
    first = client.get(path)
    assert first.status_code == 200

    def build(*args: object) -> None:
        raise AssertionError("the sitemap was built for a 304")

    for name in ("urlset", "index"):
        monkeypatch.setattr(sitemap, name, build)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    for header in ("ETag", "Cache-Control", "Vary"):
        assert again.headers.get(header) == first.headers.get(header)
    assert client.get(path).status_code == 500  # built without a validator: the patch bites
    # A part that does not exist is still a 404, whatever the client's validator says.
    assert client.get("/sitemap-9.xml", headers={"If-None-Match": "*"}).status_code == 404


def test_a_part_whose_posts_left_is_a_404_even_to_a_validator(settings, build_app) -> None:
    app = uncached_blog(settings, build_app, 4)  # ids 1-6: one post part of ids 1-4, one of 5-6
    with app.app_context():
        author = posts.reads.get_author("a")
        for n, status in enumerate(("draft", "draft", "published", "published")):  # ids 7-10
            posts.create_post(author, {"title": f"Q{n}", "content": "x", "status": status})
        for slug in ("p4", "p5"):  # ids 5-8 now hold no public post
            posts.update_post(posts.reads.get_post(slug), {"status": "draft"})
    client = app.test_client()
    index = fetch(client, "/sitemap.xml")
    listed = [node.findtext("sm:loc", namespaces=NS) for node in index.findall("sm:sitemap", NS)]
    numbers = [int(loc.removeprefix(f"{BASE}/sitemap-").removesuffix(".xml")) for loc in listed]
    [gap] = set(range(1, numbers[-1])) - set(numbers)
    for headers in ({}, {"If-None-Match": "*"}):
        assert client.get(f"/sitemap-{gap}.xml", headers=headers).status_code == 404
    last = client.get(f"/sitemap-{numbers[-1]}.xml")
    assert last.status_code == 200
    again = client.get(
        f"/sitemap-{numbers[-1]}.xml", headers={"If-None-Match": last.headers["ETag"]}
    )
    assert again.status_code == 304
