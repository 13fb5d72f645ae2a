"""Issue 19's HTTP classes, through the test client: the response cache's key, preconditions
after existence, one validator scheme, forever-cached files, compression of every textual
type, negotiation, and the API's query strings, If-Match and RateLimit."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import re
import time
import zlib
from typing import Any

import brotli
import pytest
from backports import zstd
from bs4 import BeautifulSoup
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

from blog.http.templating import stylesheet_url

from .conftest import BASE_URL, ROOT, days_ago
from .support.asserts import assert_problem

LONG = "A paragraph that makes every answer long enough to be worth compressing. " * 12
GOOD = {"title": "Fine", "content": LONG}
PNG = (ROOT / "blog" / "static" / "social-card.png").read_bytes()
INLINE_PNG = "data:image/png;base64," + base64.b64encode(PNG).decode()
FOREVER = "public, max-age=31536000, immutable"
CODINGS = ("identity", "gzip", "br", "zstd")
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}
DECODE["deflate"] = zlib.decompress
PAGES = [
    "/", "/posts/hello", "/posts/hello.md", "/tags/news", "/authors/quill", "/archive",
    "/feed.xml", "/tags/news/atom.xml", "/feed.json", "/llms.txt", "/sitemap.xml",
]  # fmt: skip


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    """One post a page and three URLs a sitemap: every listing has a page 2 and parts."""
    return {**settings, "POSTS_PER_PAGE": 1, "SITEMAP_MAX_URLS": 3}


@pytest.fixture
def blog(make_post: Any) -> None:
    make_post(title="Hello", slug="hello", tags=["news"], content=LONG)
    make_post(title="Second", slug="second", tags=["news"], content=LONG)


def decode(response: Any) -> bytes:
    coding = response.headers.get("Content-Encoding")
    return DECODE[coding](response.get_data()) if coding else response.get_data()


def settle() -> None:
    """Wait until the current second is over: the newest change may then send Last-Modified."""
    time.sleep(1.01 - time.time() % 1)


# ---------------------------------------------------------------- 1. the response cache's key


@pytest.mark.parametrize("path", PAGES)
def test_a_script_name_never_changes_what_a_plain_request_gets(
    build_app, settings, blog, path: str
) -> None:
    # Two "workers" built alike (the process's first app differs by a Flask-Limiter default).
    client, cold = (build_app(**settings).test_client() for _ in range(2))
    for _ in range(3):  # gunicorn sets SCRIPT_NAME from a header a local client may send
        mounted = client.get(path, environ_overrides={"SCRIPT_NAME": "/zzpre"})
        assert mounted.status_code == 200
    plain, reference = client.get(path), cold.get(path)
    assert b"/zzpre" not in plain.get_data()
    assert (plain.data, plain.headers["ETag"]) == (reference.data, reference.headers["ETag"])


def test_a_page_served_under_a_script_name_links_under_it(client, blog) -> None:
    client.get("/")
    mounted = client.get("/", environ_overrides={"SCRIPT_NAME": "/zzpre"})
    assert 'href="/zzpre/tags/"' in mounted.get_data(as_text=True)
    assert mounted.headers["ETag"] != client.get("/").headers["ETag"]


CLIENT_INPUTS = {
    "Host": {"environ_overrides": {"HTTP_HOST": "evil.example"}},
    "X-Forwarded-*": {"headers": {"X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/z"}},
    "scheme": {"environ_overrides": {"wsgi.url_scheme": "https"}},
    "Accept-Language": {"headers": {"Accept-Language": "zh-CN, zh;q=0.9"}},
    "Cookie": {"headers": {"Cookie": "session=forged; lang=zh"}},
    "Accept": {"headers": {"Accept": "application/json"}},  # no variant of ours: the default
    "Accept-Encoding": {"headers": {"Accept-Encoding": "br"}},  # applied after the cache
}


@pytest.mark.parametrize("name", CLIENT_INPUTS)
def test_nothing_else_a_client_sends_shapes_what_anyone_gets(
    build_app, settings, blog, name: str
) -> None:
    client, cold = (build_app(**settings).test_client() for _ in range(2))
    for path in PAGES:
        reference = cold.get(path)
        odd = client.get(path, **CLIENT_INPUTS[name])
        assert (decode(odd), odd.headers["ETag"]) == (reference.data, reference.headers["ETag"])
        assert client.get(path).data == reference.data


# ---------------------------------------------------------------- 10. preconditions after existence

ABSENT = {
    "/posts/nope": 404, "/posts/nope.md": 404, "/tags/nope": 404, "/authors/nope": 404,
    "/tags/nope/feed.xml": 404, "/tags/nope/atom.xml": 404, "/tags/nope/feed.json": 404,
    "/page/99": 404, "/tags/news/page/99": 404, "/sitemap-99.xml": 404,
    "/page/1": 301, "/tags/news/page/1": 301, "/authors/quill/page/1": 301,
}  # fmt: skip
PRECONDITIONS = {
    "If-None-Match: *": {"If-None-Match": "*"},
    "If-Modified-Since, future": {"If-Modified-Since": http_date(time.time() + 10**8)},
}


@pytest.mark.parametrize("precondition", PRECONDITIONS)
def test_a_precondition_never_hides_a_404_or_a_redirect(client, blog, precondition: str) -> None:
    settle()  # so that If-Modified-Since is evaluated where the resource exists
    headers = PRECONDITIONS[precondition]
    for path, status in ABSENT.items():
        assert client.get(path, headers=headers).status_code == status, path
    for path in PAGES:
        assert client.get(path, headers=headers).status_code == 304, path


@pytest.mark.parametrize("target", ["/", "/tags/news", "/authors/quill"])
def test_page_one_of_every_listing_has_one_url(client, blog, target: str) -> None:
    path = target.rstrip("/") + "/page/1"
    moved = client.get(path)
    assert (moved.status_code, moved.headers["Location"]) == (301, target)
    assert client.get(path.replace("/page/1", "/page/2")).status_code == 200


# ---------------------------------------------------------------- 11. one validator scheme


@pytest.mark.parametrize("path", [*PAGES, "/robots.txt", "/llms-full.txt", "/favicon.ico"])
def test_one_weak_validator_for_every_coding_on_200_and_304(client, blog, path: str) -> None:
    settle()
    first = {}
    for coding in CODINGS:
        with client.get(path, headers={"Accept-Encoding": coding}) as response:
            first[coding] = (response, decode(response))
    plain, body = first["identity"]
    assert plain.headers["ETag"].startswith('W/"') and plain.headers["Last-Modified"]
    for response, decoded in first.values():
        assert (response.headers["ETag"], decoded) == (plain.headers["ETag"], body)
        for coding in CODINGS:
            headers = {"Accept-Encoding": coding, "If-None-Match": response.headers["ETag"]}
            with client.get(path, headers=headers) as again:
                assert again.status_code == 304, coding
            for name in ("ETag", "Cache-Control", "Vary"):  # RFC 9110 §15.4.5
                assert again.headers.get(name) == response.headers.get(name), (name, coding)
            # Werkzeug drops Last-Modified from a 304, as RFC 9110 allows.
            assert again.headers.get("Last-Modified") in (None, plain.headers["Last-Modified"])


@pytest.mark.parametrize("path", ["/", "/feed.xml", "/tags/news"])
def test_if_modified_since_never_hides_a_change_in_the_same_second(
    client, make_post, path: str
) -> None:
    for _ in range(5):
        time.sleep(1.01 - time.time() % 1)  # at the start of a second
        second = int(time.time())
        make_post(title="First", tags=["news"])
        served = client.get(path)
        make_post(title="Changed", tags=["news"])
        since = client.get(path, headers={"If-Modified-Since": http_date(second)})
        if int(time.time()) == second:  # both writes and both reads within one second
            break
    else:
        pytest.skip("this machine never made two writes within one second")
    assert "Last-Modified" not in served.headers
    assert since.status_code == 200
    settle()
    assert client.get(path).headers["Last-Modified"] == http_date(second)
    assert client.get(path, headers={"If-Modified-Since": http_date(second)}).status_code == 304


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd", "deflate"])
def test_if_match_from_a_compressed_get_updates_the_post(api, coding: str) -> None:
    path = f"/posts/{api.post('/posts', json=GOOD).get_json()['id']}"
    read = api.get(path, headers={"Accept-Encoding": coding})
    assert read.headers["Content-Encoding"] == coding
    etag = read.headers["ETag"]
    assert etag.startswith('"'), etag  # strong: If-Match compares strongly
    for other in CODINGS:
        again = api.get(path, headers={"Accept-Encoding": other, "If-None-Match": etag})
        assert (again.status_code, again.headers["ETag"]) == (304, etag)
    changed = api.patch(path, json={"title": "Changed"}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.get_json()
    stale = api.patch(path, json={"title": "Again"}, headers={"If-Match": etag})
    assert_problem(stale, 412, "etag_mismatch")


# ---------------------------------------------------------------- 12. files cached forever


def test_files_named_by_their_bytes_are_cached_for_a_year_and_nothing_else(api, client, app):
    name = api.post("/media", json={"data": base64.b64encode(PNG).decode()})
    with app.test_request_context():
        css = stylesheet_url()
    for path in (f"/media/{name.get_json()['name']}", css):
        with client.get(path) as first:
            assert first.headers["Cache-Control"] == FOREVER, path
        with client.get(path, headers={"If-None-Match": first.headers.get("ETag", "x")}) as again:
            assert again.headers["Cache-Control"] == FOREVER, path
    with client.get("/favicon.ico") as icon:
        assert icon.headers["Cache-Control"] == "public, max-age=604800"


# ---------------------------------------------------------------- 15. smaller classes

TEXTUAL = re.compile(r"^(text/.*|application/(.+\+)?(json|xml)|image/svg\+xml)$")


def test_every_textual_answer_is_compressed(app, client, api, blog) -> None:
    bearer = {"Authorization": f"Bearer {api.token}"}
    with app.test_request_context():
        css = stylesheet_url()
    paths = [
        *PAGES, "/page/2", "/about/ai", "/tags/", "/tags/news/feed.xml", "/tags/news/feed.json",
        "/atom.xml", "/sitemap-1.xml", "/robots.txt", "/llms-full.txt", "/openapi.json", css,
        "/favicon.ico", "/static/favicon.svg", "/media/" + "0" * 64 + ".png",
        "/api/v1/posts", "/api/v1/posts/1", "/api/v1/me", "/api/v1/tags",
        "/micropub", "/micropub/media",
        "/index.md", "/.well-known/api-catalog", "/.well-known/mcp/server-card.json",
        "/.well-known/http-message-signatures-directory", "/docs/agents.md",
        "/posts/hello.md.jws", "/authors/quill/did.json",
        "/api/v1/posts/1/revisions", "/admin/login", "/admin/", "/admin/posts", "/admin/posts/1",
        "/admin/authors", "/admin/tokens", "/admin/webhooks", "/admin/audit", "/admin/oauth",
        "/admin/authors/quill", "/admin/posts/1/revisions/1",
        "/search", "/ask", "/search?q=hello", "/ask?query=hello", f"/archive/{days_ago(99).year}",
        "/.well-known/oauth-authorization-server", "/oauth/authorize",
    ]  # fmt: skip
    adapter, covered, compressed = app.url_map.bind("blog.example"), set(), set()
    for path in paths:
        with client.get(path, headers=bearer) as plain:
            size, mimetype, status = len(plain.get_data()), plain.mimetype, plain.status_code
        with client.get(path, headers={**bearer, "Accept-Encoding": "br"}) as packed:
            built = not path.startswith(("/static/", "/favicon"))  # files go as they are
            if built and status == 200 and size >= 500 and TEXTUAL.match(mimetype):
                assert packed.headers.get("Content-Encoding") == "br", (path, mimetype)
                compressed.add(mimetype)
        with contextlib.suppress(HTTPException):
            covered.add(adapter.match(path, method="GET")[0])
    every_get = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert every_get <= covered, f"add a request for {every_get - covered}"
    assert {"application/feed+json", "application/vnd.oai.openapi+json"} <= compressed


def test_a_social_card_shows_only_an_http_image(client, make_post) -> None:
    make_post(slug="mixed", content=f"![dot]({INLINE_PNG})\n\n![photo](/media/a.png)")
    make_post(slug="inline", content=f"![dot]({INLINE_PNG})")
    for slug, image in (("mixed", "/media/a.png"), ("inline", "/static/social-card.png")):
        soup = BeautifulSoup(client.get(f"/posts/{slug}").get_data(as_text=True), "html.parser")
        assert INLINE_PNG in str(soup.select_one("article"))  # the image itself is kept
        og = soup.find("meta", property="og:image")["content"]
        twitter = soup.find("meta", attrs={"name": "twitter:image"})["content"]
        structured = json.loads(soup.find("script", type="application/ld+json").string)
        assert og == twitter == structured["image"] == BASE_URL + image


SITE_ACCEPT = {
    "text/markdown; charset=utf-8": "text/markdown",
    "TEXT/Markdown": "text/markdown",
    "text/html;q=0.5, text/markdown": "text/markdown",
    "text/html;q=0.5, text/*": "text/markdown",
    "text/markdown;q=0": "text/html",
    "text/markdown;q=0, */*": "text/html",
    "application/json": "text/html",
    "*/*": "text/html",
}


@pytest.mark.parametrize("accept", SITE_ACCEPT)
def test_negotiation_ignores_parameters_and_honours_q(client, api, blog, accept: str) -> None:
    page = client.get("/posts/hello", headers={"Accept": accept})
    assert page.mimetype == SITE_ACCEPT[accept]
    reference = client.get("/posts/hello", headers={"Accept": SITE_ACCEPT[accept]})
    assert page.headers["ETag"] == reference.headers["ETag"]
    wants_json = SITE_ACCEPT[accept] == "text/html"
    post = api.get("/posts/1", headers={"Accept": accept.replace("text/html", "application/json")})
    assert post.mimetype == ("application/json" if wants_json else "text/markdown")


def test_a_repeated_query_parameter_is_refused_by_name(api) -> None:
    created = api.post("/posts?dry_run=false&dry_run=true", json=GOOD)
    assert assert_problem(created, 422, "validation_failed")["errors"][0]["field"] == "dry_run"
    listed = api.get("/posts?limit=1&limit=50")
    assert assert_problem(listed, 422, "validation_failed")["errors"][0]["field"] == "limit"
    assert api.get("/posts").get_json()["items"] == []


def test_an_unknown_query_parameter_is_refused_on_every_api_route(app, api) -> None:
    post = api.post("/posts", json=GOOD).get_json()
    one = f"/posts/{post['id']}"
    image = {"data": base64.b64encode(PNG).decode()}
    calls = [
        ("GET", "/me", {}), ("GET", "/tags", {}), ("GET", "/posts", {}), ("GET", one, {}),
        ("GET", f"{one}/revisions", {}),
        ("POST", "/posts", {"json": GOOD}), ("POST", "/preview", {"json": GOOD}),
        ("PATCH", one, {"json": {"title": "Changed"}}), ("DELETE", one, {}),
        ("POST", "/media", {"json": image}),
    ]  # fmt: skip
    adapter, covered = app.url_map.bind("blog.example"), set()
    for method, path, options in calls:
        response = api.call(method, f"{path}?verbose=1", **options)
        assert assert_problem(response, 422, "validation_failed")["errors"][0]["field"] == "verbose"
        covered.add(adapter.match(f"/api/v1{path}", method=method)[0])
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    assert routes <= covered, f"add a call for {routes - covered}"
    assert [p["title"] for p in api.get("/posts").get_json()["items"]] == ["Fine"]


MALFORMED = ["garbage", "W/garbage", '"a" garbage', '"a", b', 'W/ "a"', '"a"b', ","]
WELL_FORMED = ['"nope"', 'W/"nope"', '"a", "b"', ', "a" ,', 'W/"{etag}"']


@pytest.mark.parametrize("value", MALFORMED + WELL_FORMED + ["*", '"a", "{etag}"'])
def test_if_match_must_be_entity_tags_and_compares_strongly(api, value: str) -> None:
    path = f"/posts/{api.post('/posts', json=GOOD).get_json()['id']}"
    etag = api.get(path).headers["ETag"].strip('"')
    response = api.patch(
        path, json={"title": "Changed"}, headers={"If-Match": value.format(etag=etag)}
    )
    if value in MALFORMED:
        assert_problem(response, 400, "invalid_if_match")
    elif value in WELL_FORMED:
        assert_problem(response, 412, "etag_mismatch")
    else:
        assert response.status_code == 200
    changed = api.get(path).get_json()["title"] == "Changed"
    assert changed == (response.status_code == 200)


@pytest.mark.parametrize("method, path", [("GET", "/me"), ("GET", "/posts"), ("POST", "/preview")])
def test_rate_limit_reset_never_exceeds_the_window(api, method: str, path: str) -> None:
    response = api.call(method, path, json=GOOD if method == "POST" else None)
    window = int(re.search(r";w=(\d+)", response.headers["RateLimit-Policy"]).group(1))
    reset = int(re.search(r";t=(\d+)", response.headers["RateLimit"]).group(1))
    assert 0 <= reset <= window == 60
