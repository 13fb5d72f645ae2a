"""Security headers on every response: pages, feeds, API, errors, static files and 304s."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from blog.extensions import db
from blog.http.templating import stylesheet_url

DIRECTIVES = {
    "default-src": "'self'",
    "img-src": "'self' https: data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


def policy(header: str) -> dict[str, str]:
    """Split a Content-Security-Policy into {directive: sources}."""
    pairs = (part.strip().partition(" ") for part in header.split(";") if part.strip())
    return {name: sources.strip() for name, _, sources in pairs}


def assert_secured(response: Any, hsts: bool = False) -> None:
    where = f"{response.request.method} {response.request.path} ({response.status_code})"
    csp = policy(response.headers.get("Content-Security-Policy", ""))
    for directive, sources in DIRECTIVES.items():
        assert csp.get(directive) == sources, (where, csp)
    # No inline script, whichever directive governs scripts.
    scripts = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", where
    assert ("Strict-Transport-Security" in response.headers) == hsts, where


@pytest.fixture
def site(app: Flask, make_post, make_token) -> dict[str, str]:
    make_post(title="Hello", slug="hello", tags=["news"])
    return {"token": make_token()}


def requests_to_make(site: dict[str, str], app: Flask) -> list[tuple[str, str, dict[str, Any]]]:
    """One request per route and per kind of answer: (method, path, options)."""
    bearer = {"headers": {"Authorization": f"Bearer {site['token']}"}}
    with app.test_request_context():
        css = stylesheet_url()
    pages = [
        "/", "/page/1", "/about/ai", "/archive", "/authors/quill", "/authors/quill/page/1",
        "/posts/hello", "/posts/hello.md", "/tags/", "/tags/news", "/tags/news/page/1",
        "/sitemap.xml", "/sitemap-1.xml", "/robots.txt", "/llms.txt", "/llms-full.txt",
        "/feed.xml", "/atom.xml", "/feed.json", "/tags/news/feed.xml", "/tags/news/atom.xml",
        "/tags/news/feed.json", css, "/assets/style.old.css", "/favicon.ico",
        "/static/style.css", "/openapi.json", "/page/99", "/posts/nothing", "/no/such/page",
        "/media/" + "0" * 64 + ".png", "/index.md", "/.well-known/api-catalog",
        "/.well-known/mcp/server-card.json", "/.well-known/http-message-signatures-directory",
        "/docs/agents.md", "/posts/hello.md.jws", "/authors/quill/did.json",
        "/admin/login", "/admin/", "/admin/posts", "/admin/posts/1",
        "/admin/authors", "/admin/tokens", "/admin/webhooks", "/admin/audit", "/admin/oauth",
        "/admin/authors/quill", "/admin/posts/1/revisions/1",
        "/search", "/ask", "/search?q=hello", "/archive/2000",
    ]  # fmt: skip
    calls: list[tuple[str, str, dict[str, Any]]] = [("GET", path, {}) for path in pages]
    calls += [
        ("HEAD", "/", {}),
        ("OPTIONS", "/", {}),
        ("PUT", "/", {}),  # 405 page
        ("GET", "/api/v1/me", bearer),
        ("GET", "/api/v1/posts", bearer),
        ("GET", "/api/v1/posts/1", bearer),
        ("GET", "/api/v1/posts/1/revisions", bearer),
        ("GET", "/api/v1/tags", bearer),
        ("GET", "/api/v1/me", {}),  # 401 problem
        ("POST", "/api/v1/posts", {**bearer, "data": b"{", "content_type": "application/json"}),
        ("POST", "/api/v1/preview", {**bearer, "json": {"title": "t", "content": "c"}}),
        ("PATCH", "/api/v1/posts/1", {**bearer, "json": {"title": "Hello again"}}),
        ("DELETE", "/api/v1/posts/99", bearer),
        ("POST", "/api/v1/posts", {**bearer, "json": {"title": "New", "content": "x"}}),
        ("GET", "/micropub", {**bearer, "query_string": {"q": "config"}}),
        ("GET", "/micropub", {}),  # 401 in Micropub's form
        ("POST", "/micropub", {**bearer, "data": {"h": "entry", "content": "Micropub"}}),
        ("GET", "/micropub/media", {**bearer, "query_string": {"q": "last"}}),
        ("GET", "/.well-known/oauth-authorization-server", {}),
        ("GET", "/oauth/authorize", {}),  # to the sign-in page
        ("POST", "/oauth/token", {"data": {"grant_type": "password"}}),  # RFC 6749 error
        ("POST", "/oauth/register", {"json": {"redirect_uris": []}}),
        ("POST", "/oauth/revoke", {"data": {}}),
        ("POST", "/oauth/introspect", {"data": {}}),
    ]
    return calls


def test_every_route_and_every_kind_of_answer_carries_the_headers(
    app: Flask, client: FlaskClient, site: dict[str, str]
) -> None:
    calls = requests_to_make(site, app)
    adapter = app.url_map.bind("blog.example")
    covered = set()
    for method, path, options in calls:
        with client.open(path, method=method, **options) as response:
            assert_secured(response)
        with contextlib.suppress(HTTPException):  # no such page, or no GET there
            covered.add(adapter.match(path, method="GET")[0])
    every_get = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert every_get <= covered, f"add a request for {every_get - covered}"


@pytest.mark.parametrize("path", ["/", "/posts/hello", "/feed.xml", "/atom.xml", "/feed.json"])
def test_a_304_carries_them_too(client: FlaskClient, site, path: str) -> None:
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert_secured(again)


def test_a_static_file_304_carries_them(client: FlaskClient) -> None:
    with client.get("/static/style.css") as first:
        etag = first.headers["ETag"]
    with client.get("/static/style.css", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
        assert_secured(again)


def test_an_unexpected_error_carries_them(app: Flask, client: FlaskClient, site) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        db.session.execute(db.text("DROP TABLE post_tags"))
        db.session.commit()
    for path in ("/tags/news", "/api/v1/tags"):
        response = client.get(path, headers={"Authorization": f"Bearer {site['token']}"})
        assert response.status_code == 500
        assert_secured(response)


@pytest.fixture
def tls_app(build_app: Any) -> Flask:
    return build_app(HSTS_MAX_AGE=31_536_000)


@pytest.mark.parametrize("path", ["/", "/feed.xml", "/api/v1/me", "/static/style.css", "/nope"])
def test_hsts_is_sent_when_configured(tls_app: Flask, path: str) -> None:
    with tls_app.test_client().get(path) as response:
        assert_secured(response, hsts=True)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
