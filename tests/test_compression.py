"""Compressed responses: smaller bytes, the same page, and conditional GET still answering 304."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
from bs4 import BeautifulSoup

from blog import posts
from blog.formats.frontmatter import parse_post
from blog.posts import reads

TYPICAL_POST = Path(__file__).resolve().parent / "site" / "typical-english.md"
BUDGET = 30 * 1024  # the post page's HTML plus its CSS, compressed


def typical_post(app, author) -> str:
    """Store tests/site/typical-english.md and return its path."""
    post_file = parse_post(TYPICAL_POST.read_text(encoding="utf-8"), str(TYPICAL_POST))
    with app.app_context():
        posts.import_post(post_file, reads.get_author(author.slug))
    return "/posts/" + post_file.fields["slug"]


def decode(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    body = response.get_data()
    return {"gzip": gzip.decompress, "br": brotli.decompress}.get(encoding, bytes)(body)


def test_pages_are_compressed_for_clients_that_ask(app, client, author) -> None:
    path = typical_post(app, author)
    plain = client.get(path)
    assert "Content-Encoding" not in plain.headers
    for encoding in ("gzip", "br"):
        packed = client.get(path, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
        assert packed.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert len(packed.get_data()) < len(plain.get_data()) / 2
        assert decode(packed) == plain.get_data()


def test_a_compressed_page_still_answers_304_with_the_same_validator(app, client, author) -> None:
    path = typical_post(app, author)
    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "br"})
    assert packed.headers["ETag"] == plain.headers["ETag"]
    assert packed.headers["ETag"].startswith('W/"')
    for encoding in ("br", "gzip", ""):
        again = client.get(
            path,
            headers={"Accept-Encoding": encoding, "If-None-Match": packed.headers["ETag"]},
        )
        assert again.status_code == 304 and again.get_data() == b""
        assert again.headers["ETag"] == packed.headers["ETag"]
        assert "Accept-Encoding" in again.headers["Vary"]


def test_the_stylesheet_is_compressed_too(client) -> None:
    href = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser").select_one(
        "link[rel=stylesheet]"
    )["href"]
    plain = client.get(href)
    packed = client.get(href, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert decode(packed) == plain.get_data()


def test_a_typical_post_page_with_its_css_fits_the_budget(app, client, author) -> None:
    path = typical_post(app, author)
    html = client.get(path, headers={"Accept-Encoding": "br"})
    soup = BeautifulSoup(decode(html), "html.parser")
    assert soup.select_one("article.post .content pre")  # the sample is a real post, code and all
    css = client.get(
        soup.select_one("link[rel=stylesheet]")["href"], headers={"Accept-Encoding": "br"}
    )
    assert css.headers["Content-Encoding"] == "br"
    total = len(html.get_data()) + len(css.get_data())
    assert total < BUDGET, f"{total} bytes compressed"


def test_compression_can_be_left_to_a_reverse_proxy(settings, build_app) -> None:
    app = build_app(**{**settings, "COMPRESS_RESPONSES": False})
    response = app.test_client().get("/no/such/page", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 404
    assert "Content-Encoding" not in response.headers
