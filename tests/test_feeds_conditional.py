"""Conditional GET on feeds: validators, 304s, and ETags that move with every visible change."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from flask.testing import FlaskClient

from blog import posts

FEEDS = ("/feed.xml", "/atom.xml", "/feed.json", "/tags/notes/feed.xml", "/tags/notes/feed.json")


def etags(client: FlaskClient) -> dict[str, str]:
    found = {}
    for path in FEEDS:
        response = client.get(path)
        assert response.status_code == 200, path
        found[path] = response.headers["ETag"]
    return found


def settle() -> None:
    """Wait until the newest change's second is over: Last-Modified is sent only then."""
    time.sleep(1.01 - time.time() % 1)


def test_feeds_carry_weak_validators_and_cache_control(client, make_post) -> None:
    make_post(tags=["notes"])
    settle()
    for path in FEEDS:
        response = client.get(path)
        etag = response.headers["ETag"]
        assert etag.startswith('W/"'), etag  # one validator per version, for every coding
        assert response.last_modified is not None
        assert response.cache_control.public
        assert response.cache_control.max_age == 300


def test_a_fresh_etag_gets_304_and_a_stale_one_200(client, make_post) -> None:
    make_post(tags=["notes"])
    settle()
    for path in FEEDS:
        first = client.get(path)
        fresh = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert fresh.status_code == 304 and fresh.data == b""
        assert fresh.headers["ETag"] == first.headers["ETag"]
        assert fresh.cache_control.max_age == 300
        stale = client.get(path, headers={"If-None-Match": '"not-this-one"'})
        assert stale.status_code == 200 and stale.data == first.data
        since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert since.status_code == 304


def test_publish_update_and_delete_each_change_every_feeds_etag(app, client, make_post) -> None:
    post = make_post(title="First", tags=["notes"])
    seen = [etags(client)]
    make_post(title="Second", tags=["notes"])
    seen.append(etags(client))
    with app.app_context():
        posts.update_post(post, {"title": "First, edited"})
    seen.append(etags(client))
    assert "First, edited" in client.get("/feed.xml").get_data(as_text=True)
    with app.app_context():
        posts.delete_post(post)
    seen.append(etags(client))
    assert "First" not in client.get("/feed.json").get_data(as_text=True)
    for path in FEEDS:
        values = [found[path] for found in seen]
        assert len(set(values)) == len(values), (path, values)


def test_a_scheduled_post_coming_due_changes_the_etag(client, make_post) -> None:
    make_post(title="Now", tags=["notes"])
    make_post(title="Soon", tags=["notes"], published_at=datetime.now(UTC) + timedelta(seconds=1))
    before = client.get("/feed.xml")
    assert "Soon" not in before.get_data(as_text=True)
    time.sleep(1.2)  # let the scheduled time pass
    after = client.get("/feed.xml", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert [entry.title for entry in feedparser.parse(after.data).entries] == ["Soon", "Now"]


def test_another_process_builds_the_same_bytes_under_the_same_etag(
    app, client, make_post, settings, build_app
) -> None:
    """Each gunicorn worker caches its own copy: they must agree byte for byte."""
    make_post(title="Shared", tags=["notes"], content="Hello [there](/posts/x).")
    other = build_app(**settings).test_client()  # a second worker: same database, its own cache
    for path in FEEDS:
        mine, theirs = client.get(path), other.get(path)
        assert mine.headers["ETag"] == theirs.headers["ETag"]
        assert mine.data == theirs.data, path


@pytest.mark.parametrize("max_age", [0, 3600])
def test_max_age_is_a_setting(build_app, settings, max_age: int) -> None:
    settings["FEED_MAX_AGE"] = max_age
    app = build_app(**settings)
    response = app.test_client().get("/feed.json")
    assert response.cache_control.max_age == max_age
    assert app.test_client().get("/").cache_control.max_age == 60  # pages keep theirs


def test_a_compressed_feed_keeps_the_same_weak_validator(client, make_post) -> None:
    make_post(tags=["notes"])
    plain = client.get("/feed.xml")
    packed = client.get("/feed.xml", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    etag = packed.headers["ETag"]
    assert etag == plain.headers["ETag"] and etag.startswith('W/"'), etag
    again = client.get("/feed.xml", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
