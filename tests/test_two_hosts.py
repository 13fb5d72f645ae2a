"""Two hosts: two gunicorns on one PostgreSQL and one Redis serve as one blog."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .support import live
from .support.admin import live_send_form, live_sign_in, make_operator
from .support.factories import TEST_DATABASE_URL, author_with_token
from .support.live import ROOT
from .support.services import key_prefix_config, shared_redis_answers, shared_redis_url

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not TEST_DATABASE_URL.startswith("postgresql"),
        reason="two hosts share one PostgreSQL: set BLOG_TEST_DATABASE_URL (make test does)",
    ),
    pytest.mark.skipif(not shared_redis_answers(), reason="no Redis on 127.0.0.1:6379"),
]
WRITES_PER_MINUTE = 4
TIMEOUT = 30


@pytest.fixture
def hosts(app, tmp_path: Path) -> Iterator[tuple[live.Server, live.Server]]:
    """Two gunicorns as two hosts would run them: the same settings, database and Redis."""
    instances = tmp_path / "host-a", tmp_path / "host-b"
    key_prefix_config(*instances)
    settings = {
        "REDIS_URL": shared_redis_url(),
        "SITE_VERSION_URL": shared_redis_url(),  # hosts learn of each other's writes
        "BASE_URL": "https://blog.example",  # one public URL for both, as behind a balancer
        "API_WRITE_LIMIT": f"{WRITES_PER_MINUTE} per minute",
        "MEDIA_DIR": str(tmp_path / "shared-media"),  # one mount on every host
    }
    with (
        live.running(TEST_DATABASE_URL, instances[0], **settings) as first,
        live.running(TEST_DATABASE_URL, instances[1], **settings) as second,
    ):
        yield first, second


def etag(server: live.Server, path: str) -> str:
    response = requests.get(server.url + path, timeout=TIMEOUT)
    assert response.status_code == 200, (path, response.text[:300])
    return response.headers["ETag"]


def test_a_post_published_on_one_host_is_served_by_the_other(hosts, make_token) -> None:
    first, second = hosts
    before = {path: etag(second, path) for path in ("/", "/feed.xml")}
    assert before == {path: etag(first, path) for path in before}  # one version, one ETag

    made = requests.post(
        f"{first.url}/api/v1/posts",
        json={"title": "Published on host A", "content": "Read on B.", "status": "published"},
        headers={"Authorization": f"Bearer {make_token()}"},
        timeout=TIMEOUT,
    )
    assert made.status_code == 201, made.text
    slug = made.json()["slug"]

    assert_served_at_once(second, first, slug, b"Published on host A", before)


def assert_served_at_once(
    server: live.Server, other: live.Server, slug: str, title: bytes, before: dict[str, str]
) -> None:
    """The post's page and every listing in `before` show it, under one new ETag on both."""
    status, page = server.get(f"/posts/{slug}")
    assert status == 200 and title in page
    for path in before:
        assert title in server.get(path)[1], path
        after = etag(server, path)
        assert after != before[path], path
        assert after == etag(other, path), path
        # A client that fetched from the other host revalidates here without a download.
        fresh = requests.get(server.url + path, headers={"If-None-Match": after}, timeout=TIMEOUT)
        assert fresh.status_code == 304, path


def test_a_review_approved_on_one_host_is_public_on_the_other(hosts, app) -> None:
    first, second = hosts
    careful = {"slug": "careful", "name": "Careful", "model": "Claude", "policy": "review"}
    token = author_with_token(app, careful, "careful agent")
    make_operator(app)
    made = requests.post(
        f"{first.url}/api/v1/posts",
        json={"title": "Waits for review", "content": "Approved on B.", "status": "published"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert made.status_code == 201 and made.json()["status"] == "pending", made.text
    slug, post_id = made.json()["slug"], made.json()["id"]
    assert [host.get(f"/posts/{slug}")[0] for host in hosts] == [404, 404]
    before = {path: etag(first, path) for path in ("/", "/feed.xml")}
    assert all(b"Waits for review" not in first.get(path)[1] for path in before)

    with requests.Session() as seat:
        live_sign_in(seat, first.url)  # signed in on A; the session holds on B too
        page = f"/admin/posts/{post_id}"
        approved = live_send_form(seat, second.url, page, f"{page}/approve")
    assert approved.status_code == 303, approved.text[:300]

    assert_served_at_once(first, second, slug, b"Waits for review", before)


def test_a_rate_limit_holds_across_both_hosts(hosts, make_token) -> None:
    headers = {"Authorization": f"Bearer {make_token()}"}
    body = {"title": "A dry run", "content": "Counted once, wherever it lands."}
    statuses = [
        requests.post(f"{host.url}/api/v1/preview", json=body, headers=headers, timeout=TIMEOUT)
        for host in hosts * 3  # A, B, A, B, A, B
    ]
    assert [s.status_code for s in statuses] == [200] * WRITES_PER_MINUTE + [429] * 2
    limited = statuses[-1]
    assert limited.json()["code"] == "rate_limited" and int(limited.headers["Retry-After"]) > 0


def test_an_image_uploaded_through_one_host_is_served_by_the_other(hosts, make_token) -> None:
    first, second = hosts
    image = (ROOT / "blog" / "static" / "social-card.png").read_bytes()
    made = requests.post(
        f"{first.url}/api/v1/media",
        json={"data": base64.b64encode(image).decode()},
        headers={"Authorization": f"Bearer {make_token()}"},
        timeout=TIMEOUT,
    )
    assert made.status_code == 201, made.text
    path = f"/media/{made.json()['name']}"
    served = {host.url: requests.get(host.url + path, timeout=TIMEOUT) for host in hosts}
    assert [answer.status_code for answer in served.values()] == [200, 200]
    assert all(answer.content == image for answer in served.values())
    assert served[first.url].headers["ETag"] == served[second.url].headers["ETag"]
