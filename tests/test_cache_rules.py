"""What the two caches (the hit path and the response cache) may keep: never an answer shaped
by the request that asked, and never a page another host's write may have made stale."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import brotli
import pytest
from flask import Flask, make_response, request

from blog.extensions import db
from blog.http.conditional import conditional

from .conftest import Api
from .support.factories import TEST_DATABASE_URL, app_settings, make_app

PERSONAL = {  # a header the answer carries only because of who asked
    "Set-Cookie": "visitor=1; Path=/",
    "X-Bot-Auth": "verified; agent=https://agent.example",
    "X-Verified-Agent": "https://agent.example",
    "Vary": "Accept-Encoding, User-Agent",
}


@pytest.fixture
def shaped(build_app: Any, settings: dict[str, Any]) -> tuple[Flask, list[str]]:
    """An app with a public, cached page whose answer adds the header X-Shape names."""
    app = build_app(**settings, SINGLE_HOST=True)
    built: list[str] = []

    @conditional()
    def page() -> Any:
        built.append(request.headers.get("X-Shape", ""))
        response = make_response("The same words for every reader. " * 40)
        name = request.headers.get("X-Shape")
        if name:
            response.headers[name] = PERSONAL[name]
        return response

    app.add_url_rule("/shaped", "shaped", page)
    return app, built


@pytest.mark.parametrize("name", PERSONAL)
@pytest.mark.parametrize("coding", ["", "br"])
def test_an_answer_shaped_by_its_request_is_never_kept(shaped, name: str, coding: str) -> None:
    app, built = shaped
    assert type(app.wsgi_app).__name__ == "HitPath"
    client = app.test_client()
    client.get("/")  # the site version is known from now on: the next answer may be kept
    asks = {"Accept-Encoding": coding} if coding else {}
    first = client.get("/shaped", headers={**asks, "X-Shape": name})
    assert first.headers[name].startswith(PERSONAL[name])  # Flask may add Cookie to a Vary
    for _ in range(3):  # neither the hit path nor the response cache replays it to another
        again = client.get("/shaped", headers=asks)
        assert again.status_code == 200
        assert not again.headers.get(name, "").startswith(PERSONAL[name]), name
    assert built == [name, ""]  # the second answer, shaped by nothing, is kept


def test_an_answer_with_only_shared_headers_is_kept(shaped) -> None:
    app, built = shaped
    client = app.test_client()
    for _ in range(4):
        assert client.get("/shaped", headers={"Accept-Encoding": "br"}).status_code == 200
    assert built == [""]


@pytest.fixture
def second_host(tmp_path, build_app) -> Iterator[Any]:
    """Build another host's app: the same database, its own instance folder (and file)."""
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        folder = tmp_path / f"host-{len(made)}"
        made.append(make_app(folder / "instance", **app_settings(folder, **overrides)))
        return made[-1]

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="hosts share a database server: set BLOG_TEST_DATABASE_URL (make test does)",
)
def test_a_second_host_without_a_shared_version_never_serves_a_stale_page(
    build_app, second_host, make_token, caplog
) -> None:
    writer = build_app(
        API_WRITE_LIMIT="10000 per minute"
    )  # host A: its own file version, as a default deployment has
    api = Api(writer.test_client(), make_token())
    with caplog.at_level(logging.WARNING, logger="blog.delivery.siteversion"):
        reader = second_host()
    assert [r.getMessage() for r in caplog.records if "hit path is off" in r.getMessage()]
    assert type(reader.wsgi_app).__name__ != "HitPath"
    client = reader.test_client()
    stale = []
    for n in range(100):
        title = f"Round {n}"
        made = api.post("/posts", json={"title": title, "content": "x", "status": "published"})
        assert made.status_code == 201
        for path in ("/", "/feed.xml"):
            for coding in ("", "br"):  # a second read would be a hit if there were a hit path
                got = client.get(path, headers={"Accept-Encoding": coding} if coding else {})
                if title not in _text(got, coding):
                    stale.append((n, path, coding))
    assert stale == []


def _text(response: Any, coding: str) -> str:
    if coding == "br":
        return brotli.decompress(response.get_data()).decode()
    return response.get_data(as_text=True)
