"""Where pushes may go: refused private targets, WebSub pings, and managing webhooks."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

import pytest
from flask import Flask
from sqlalchemy import select

from blog import posts
from blog.delivery import safehttp, sender
from blog.extensions import db
from blog.models import Delivery, Post

from .conftest import BASE_URL
from .support.receiver import wait_until

FAST = {"WEBHOOK_BACKOFF": 0.05, "WEBHOOK_TIMEOUT": 5.0, "WEBHOOK_ATTEMPTS": 2}
PRIVATE_TARGETS = [
    "http://127.0.0.1:9/hook",
    "http://localhost/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://172.16.5.4/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://100.64.0.1/hook",
]


@pytest.fixture
def blog(build_app: Any) -> Any:
    """Build apps on one database with fast retries (several: one per 'process')."""
    return lambda **overrides: build_app(**{**FAST, **overrides})


def publish(app: Flask, **values: Any) -> Post:
    with app.app_context():
        author, _ = posts.save_author({"slug": "quill", "name": "Quill", "model": "Claude"})
        fields = {"title": "Hello", "content": "Body.", "status": "published", **values}
        return posts.create_post(author, fields)


def failed_delivery(app: Flask) -> Delivery | None:
    with app.app_context():  # a fresh session each time: an open one keeps its snapshot
        return db.session.scalar(select(Delivery).where(Delivery.status == "failed"))


@pytest.mark.parametrize("url", PRIVATE_TARGETS)
def test_private_loopback_and_link_local_targets_are_refused(blog, url: str) -> None:
    app = blog()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["webhook", "add", url])
    assert result.exit_code == 1
    assert "private, loopback or link-local" in result.output or "0.0.0.0" in result.output
    assert runner.invoke(args=["webhook", "list"]).output == "No webhooks.\n"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/x", "http:// or https://"),
        ("http://user:secret@127.0.0.1/x", "user name or password"),
        ("http:///no-host", "no host"),
        ("http://127.0.0.1:99999/x", "port"),
    ],
)
def test_malformed_targets_are_refused_with_the_reason(blog, url: str, reason: str) -> None:
    result = blog(WEBHOOK_ALLOW_PRIVATE=True).test_cli_runner().invoke(args=["webhook", "add", url])
    assert result.exit_code == 1 and reason in result.output


def test_unknown_events_and_bad_secrets_are_refused(blog) -> None:
    runner = blog(WEBHOOK_ALLOW_PRIVATE=True).test_cli_runner()
    result = runner.invoke(args=["webhook", "add", "http://127.0.0.1/", "--events", "post.eaten"])
    assert result.exit_code == 1 and "post.published" in result.output
    result = runner.invoke(args=["webhook", "add", "http://127.0.0.1/", "--secret", "a\nb"])
    assert result.exit_code == 1 and "secret" in result.output


def test_a_target_that_became_private_is_refused_at_send_time(blog, receiver) -> None:
    allowed = blog(WEBHOOK_ALLOW_PRIVATE=True)
    result = allowed.test_cli_runner().invoke(args=["webhook", "add", receiver.url])
    assert result.exit_code == 0
    strict = blog()  # the operator turns the setting off; the hook is still stored
    publish(strict)
    sender.start_worker(strict)
    delivery = wait_until(lambda: failed_delivery(strict), what="a failed delivery")
    assert delivery.attempts == 1 and "refused" in delivery.last_error
    assert receiver.requests == []


def test_the_hub_is_pinged_for_every_feed_a_publish_changes(blog, receiver) -> None:
    app = blog(WEBHOOK_ALLOW_PRIVATE=True, WEBSUB_HUB=receiver.url + "/hub")
    sender.start_worker(app)
    publish(app, tags=["Notes"])
    wait_until(lambda: len(receiver.requests) >= 6, what="six pings")
    topics = []
    for request in receiver.requests:
        assert request.path == "/hub"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        form = parse_qs(request.body.decode())
        assert form["hub.mode"] == ["publish"]
        topics += form["hub.url"]
    expected = ["/feed.xml", "/atom.xml", "/feed.json"]
    expected += ["/tags/notes" + path for path in expected]
    assert sorted(topics) == sorted(BASE_URL + path for path in expected)
    # The receiver answers before the sender records the answer: wait for the log.
    runner = app.test_cli_runner()

    def delivered() -> int:
        output = runner.invoke(args=["webhook", "deliveries", "--hub"]).output
        return output.count("delivered after 1 attempt(s)")

    wait_until(lambda: delivered() == 6, what="six logged deliveries")


def test_a_failed_ping_is_logged_and_the_publish_unaffected(blog, receiver, caplog) -> None:
    receiver.statuses = [500]
    app = blog(WEBHOOK_ALLOW_PRIVATE=True, WEBSUB_HUB=receiver.url)
    sender.start_worker(app)
    with caplog.at_level(logging.WARNING, logger="blog.delivery.sender"):
        post = publish(app)
        wait_until(lambda: failed_delivery(app), what="a failed ping")
        # logged after the delivery is marked failed
        wait_until(lambda: any("gave up" in r.getMessage() for r in caplog.records), what="a log")
    assert app.test_client().get(f"/posts/{post.slug}").status_code == 200


def test_webhook_list_and_remove(blog) -> None:
    runner = blog(WEBHOOK_ALLOW_PRIVATE=True).test_cli_runner()
    runner.invoke(args=["webhook", "add", "http://127.0.0.1:8001/a"])
    runner.invoke(args=["webhook", "add", "http://127.0.0.1:8001/b", "--events", "post.deleted"])
    listing = runner.invoke(args=["webhook", "list"]).output.splitlines()
    assert len(listing) == 2
    assert "http://127.0.0.1:8001/a" in listing[0] and "post.updated" in listing[0]
    assert listing[1].split()[2] == "post.deleted"
    assert runner.invoke(args=["webhook", "remove", "1"]).exit_code == 0
    assert "8001/a" not in runner.invoke(args=["webhook", "list"]).output
    missing = runner.invoke(args=["webhook", "remove", "1"])
    assert missing.exit_code == 1 and "no webhook 1" in missing.output
    assert runner.invoke(args=["webhook", "deliveries"]).exit_code == 2  # an ID or --hub


def test_refusal_rules_by_address() -> None:
    assert safehttp.is_allowed("93.184.216.34", allow_private=False)
    assert safehttp.is_allowed("2606:2800:220:1:248:1893:25c8:1946", allow_private=False)
    for address in ("127.0.0.1", "10.0.0.1", "169.254.1.1", "::1", "fc00::1", "100.64.0.1"):
        assert not safehttp.is_allowed(address, allow_private=False), address
        assert safehttp.is_allowed(address, allow_private=True), address
    for address in ("0.0.0.0", "::", "224.0.0.1", "ff02::1"):
        assert not safehttp.is_allowed(address, allow_private=True), address
