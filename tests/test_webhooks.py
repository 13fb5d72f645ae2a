"""Webhooks end to end: the CLI, a real receiver on 127.0.0.1, signatures, retries and the log."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms
from http_message_signatures.exceptions import InvalidSignature
from requests.structures import CaseInsensitiveDict
from sqlalchemy import func, select, update

from blog import posts
from blog.delivery import outbox, sender, signatures
from blog.extensions import db, write_transaction
from blog.models import Delivery, DeliveryAttempt, Event

from .conftest import BASE_URL
from .support.factories import app_settings
from .support.receiver import blog_keys as directory_keys
from .support.receiver import check_signed, wait_until

FAST = {
    "WEBHOOK_ALLOW_PRIVATE": True,  # the receiver lives on 127.0.0.1
    "WEBHOOK_BACKOFF": 0.05,
    "WEBHOOK_TIMEOUT": 5.0,
    "WEBHOOK_ATTEMPTS": 3,
}


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return app_settings(tmp_path, **FAST)


@pytest.fixture
def worker(app: Flask) -> Iterator[sender.Worker]:
    started = sender.start_worker(app)
    yield started
    started.stop()


def add_hook(runner: Any, url: str, *options: str) -> tuple[int, str]:
    """Add a webhook through the CLI; return its id and the secret it printed (if any)."""
    result = runner.invoke(args=["webhook", "add", url, *options])
    assert result.exit_code == 0, result.output
    hook_id = int(re.search(r"Added webhook (\d+)", result.output).group(1))
    secret = re.search(r"Secret .*: (\S+)", result.output)
    return hook_id, secret.group(1) if secret else ""


def deliveries(app: Flask, status: str | None = None) -> list[Delivery]:
    with app.app_context():
        query = select(Delivery).order_by(Delivery.id)
        if status:
            query = query.where(Delivery.status == status)
        return list(db.session.scalars(query).all())


def settled(app: Flask, count: int) -> list[Delivery]:
    """Wait until `count` deliveries exist and none is pending; return them."""

    def check() -> list[Delivery] | None:
        found = deliveries(app)
        done = len(found) == count and all(d.status != "pending" for d in found)
        return found if done else None

    return wait_until(check, what=f"{count} settled deliveries")


def verify(secret: str, request: Any) -> dict[str, Any]:
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Agentblog-Signature"], expected)
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.body)


def test_a_publish_delivers_one_signed_webhook_per_subscribed_event(
    app, runner, receiver, worker, make_post
) -> None:
    _, secret_one = add_hook(
        runner, receiver.url + "/one", "--events", "post.published,post.deleted", "--secret", "s1"
    )
    _, secret_two = add_hook(runner, receiver.url + "/two")  # every event, generated secret
    assert secret_one == "" and len(secret_two) >= 32
    make_post(title="A draft", status="draft")
    post = make_post(title="Hello, hooks", slug="hello-hooks", tags=["Notes", "AI"])
    settled(app, 2)
    with app.app_context():
        posts.update_post(post, {"title": "Hello, edited"})
    settled(app, 3)
    with app.app_context():
        posts.delete_post(post)
    settled(app, 5)

    secrets = {"/one": "s1", "/two": secret_two}
    seen = sorted((r.path, verify(secrets[r.path], r)["event"]) for r in receiver.requests)
    assert seen == [
        ("/one", "post.deleted"),
        ("/one", "post.published"),
        ("/two", "post.deleted"),
        ("/two", "post.published"),
        ("/two", "post.updated"),
    ]
    published = verify("s1", next(r for r in receiver.requests if r.path == "/one"))
    assert published["event"] == "post.published"
    assert datetime.fromisoformat(published["timestamp"]) <= datetime.now(UTC)
    assert published["post"]["id"] == post.id
    assert published["post"]["url"] == f"{BASE_URL}/posts/hello-hooks"
    assert published["post"]["title"] == "Hello, hooks"
    assert sorted(published["post"]["tags"]) == ["AI", "Notes"]
    assert published["post"]["author"] == {
        "name": "Quill",
        "url": f"{BASE_URL}/authors/quill",
        "model": "Claude",
    }
    assert all(d.status == "delivered" and d.attempts == 1 for d in deliveries(app))


def test_a_wrong_secret_does_not_verify(app, runner, receiver, worker, make_post) -> None:
    add_hook(runner, receiver.url, "--secret", "right")
    make_post()
    settled(app, 1)
    with pytest.raises(AssertionError):
        verify("wrong", receiver.requests[0])


def test_a_receiver_answering_500_is_retried_then_logged_as_failed(
    app, runner, receiver, worker, make_post
) -> None:
    receiver.statuses = [500]
    hook_id, _ = add_hook(runner, receiver.url)
    make_post(title="Doomed")
    [delivery] = settled(app, 1)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 500)
    assert len(receiver.requests) == 3  # WEBHOOK_ATTEMPTS, no more
    assert len({r.headers["X-Agentblog-Delivery"] for r in receiver.requests}) == 1
    log = runner.invoke(args=["webhook", "deliveries", str(hook_id)])
    assert log.exit_code == 0
    assert "post.published" in log.output and "failed after 3 attempt(s)" in log.output
    assert log.output.count("HTTP 500") == 3


def test_a_retry_that_succeeds_is_delivered(app, runner, receiver, worker, make_post) -> None:
    receiver.statuses = [503, 200]
    hook_id, _ = add_hook(runner, receiver.url)
    make_post()
    [delivery] = settled(app, 1)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    output = runner.invoke(args=["webhook", "deliveries", str(hook_id)]).output
    assert "delivered after 2 attempt(s)" in output
    assert "1. " in output and "HTTP 503" in output and "2. " in output and "HTTP 200" in output


def test_a_client_error_is_not_retried(app, runner, receiver, worker, make_post) -> None:
    receiver.statuses = [410]
    add_hook(runner, receiver.url)
    make_post()
    [delivery] = settled(app, 1)
    assert (delivery.status, delivery.attempts) == ("failed", 1)


def test_a_hanging_receiver_does_not_slow_the_publish(
    app, runner, receiver, worker, make_post, settings
) -> None:
    # A timeout far longer than the guard below: a publish that waited would fail the test.
    app.config["WEBHOOK_TIMEOUT"] = 120.0
    receiver.hang = True
    add_hook(runner, receiver.url)

    def publish(title: str) -> None:
        thread = threading.Thread(target=make_post, kwargs={"title": title})
        thread.start()
        thread.join(20)
        assert not thread.is_alive(), "the publish waited for the webhook"

    publish("First")
    assert receiver.entered.wait(20), "the webhook was never sent"
    publish("Second")  # the sender is stuck on the first delivery; this must not care
    with app.app_context():
        assert db.session.scalar(select(func.count(DeliveryAttempt.id))) == 0  # still in flight
    feed = app.test_client().get("/feed.json").get_json()
    assert [item["title"] for item in feed["items"]] == ["Second", "First"]
    receiver.release.set()
    assert all(d.status == "delivered" for d in settled(app, 2))


def test_a_scheduled_post_fires_published_when_it_comes_due(
    app, runner, receiver, worker, make_post
) -> None:
    add_hook(runner, receiver.url)
    due = datetime.now(UTC) + timedelta(seconds=1.5)
    post = make_post(title="Later", published_at=due)
    with app.app_context():
        posts.update_post(post, {"title": "Later, edited"})  # still scheduled: no post.updated
        [event] = db.session.scalars(select(Event).where(Event.state == "pending")).all()
        assert (event.name, event.due_at) == ("post.published", due)
    [delivery] = settled(app, 1)
    [request] = receiver.requests
    body = json.loads(request.body)
    assert (body["event"], body["post"]["title"]) == ("post.published", "Later, edited")
    assert request.at >= due  # not before its time
    assert datetime.fromisoformat(body["timestamp"]) == due


def test_a_scheduled_post_unpublished_before_its_time_fires_nothing(
    app, runner, receiver, worker, make_post
) -> None:
    add_hook(runner, receiver.url)
    due = datetime.now(UTC) + timedelta(seconds=2)  # time enough to cancel on a slow machine
    post = make_post(title="Never", published_at=due)
    with app.app_context():
        posts.update_post(post, {"status": "draft"})
        states = db.session.scalars(select(Event.state)).all()
    assert states == ["cancelled"]
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.1)
    make_post(title="Marker")  # fires after the cancelled one would have
    settled(app, 1)
    assert [json.loads(r.body)["post"]["title"] for r in receiver.requests] == ["Marker"]


def test_a_post_leaving_public_view_fires_deleted_and_coming_back_published(
    app, runner, receiver, worker, make_post
) -> None:
    add_hook(runner, receiver.url)
    post = make_post(title="Back and forth")
    settled(app, 1)
    with app.app_context():
        posts.update_post(post, {"status": "draft"})
        settled(app, 2)
        posts.update_post(post, {"status": "published"})
        settled(app, 3)
        later = datetime.now(UTC) + timedelta(days=1)
        posts.update_post(post, {"published_at": later})  # rescheduled: gone until then
        settled(app, 4)
        pending = db.session.scalars(select(Event).where(Event.state == "pending")).all()
    events = [json.loads(r.body)["event"] for r in receiver.requests]
    assert events == ["post.published", "post.deleted", "post.published", "post.deleted"]
    assert [(e.name, e.due_at) for e in pending] == [("post.published", later)]


def test_a_delivery_left_by_a_dead_worker_is_taken_over(app, runner, receiver, make_post) -> None:
    add_hook(runner, receiver.url)
    make_post()
    with app.app_context():
        now = datetime.now(UTC)
        sender.fan_out(now)
        with write_transaction():  # a worker claims it for a second, then dies
            claimed = outbox.claim_delivery(now, timedelta(seconds=1))
        assert claimed is not None
    started = sender.start_worker(app)
    try:
        [delivery] = settled(app, 1)
    finally:
        started.stop()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 1


def test_each_delivery_is_sent_by_exactly_one_of_several_workers(
    app, runner, receiver, make_post, settings, build_app
) -> None:
    add_hook(runner, receiver.url + "/a")
    add_hook(runner, receiver.url + "/b")
    apps = [app] + [build_app(**settings) for _ in range(3)]  # four processes' worth
    workers = [sender.start_worker(one) for one in apps]
    try:
        for n in range(6):
            make_post(title=f"Post {n}")
        found = settled(app, 12)
    finally:
        for started in workers:
            started.stop()
    assert all(d.status == "delivered" and d.attempts == 1 for d in found)
    sent = [r.headers["X-Agentblog-Delivery"] for r in receiver.requests]
    assert len(sent) == 12 and len(set(sent)) == 12


def test_the_first_request_starts_the_sender(app_with_settings) -> None:
    served = app_with_settings(TESTING=False, WEBHOOK_WORKER=True)
    assert "push" not in served.extensions
    served.test_client().get("/")
    worker = served.extensions["push"]
    try:
        assert worker.is_alive()
        served.test_client().get("/")
        assert served.extensions["push"] is worker  # one per process
    finally:
        worker.stop()
    assert not worker.is_alive()
    quiet = app_with_settings(TESTING=False, WEBHOOK_WORKER=False)
    quiet.test_client().get("/")
    assert "push" not in quiet.extensions


@pytest.fixture
def app_with_settings(build_app: Any) -> Any:
    return lambda **overrides: build_app(**{**FAST, **overrides})


def test_settled_events_are_pruned_after_thirty_days(app, runner, receiver, worker, make_post):
    add_hook(runner, receiver.url)
    make_post(title="Old")
    settled(app, 1)
    with app.app_context(), write_transaction():
        db.session.execute(update(Event).values(created_at=datetime.now(UTC) - timedelta(days=31)))
    make_post(title="Scheduled", published_at=datetime.now(UTC) + timedelta(days=1))
    with app.app_context():
        with write_transaction():
            outbox.prune(datetime.now(UTC) - sender.PRUNE_AFTER)
        left = db.session.execute(select(Event.name, Event.state)).all()
        assert left == [("post.published", "pending")]  # the log went with its event
        assert db.session.scalar(select(func.count(DeliveryAttempt.id))) == 0
    assert runner.invoke(args=["webhook", "deliveries", "1"]).output == "No deliveries yet.\n"


# ---------------------------------------------------------------- Web Bot Auth (RFC 9421)

BASE = "https://blog.example"


def check_with_the_package(request: Any, url: str, keys: dict[str, Any]) -> Any:
    """Verify a received delivery with http-message-signatures (an independent RFC 9421)."""
    return check_signed("POST", url, request.headers, keys, request.body)


def directory_answer(client: Any, url: str = BASE, **headers: str) -> requests.Response:
    """The directory's answer to a GET of it at `url`'s origin, as the package reads one."""
    answer = client.get(signatures.DIRECTORY_PATH, headers=headers)
    response = requests.Response()
    response.status_code = answer.status_code
    response.headers = CaseInsensitiveDict(dict(answer.headers))
    response.request = requests.Request("GET", url + signatures.DIRECTORY_PATH).prepare()
    return response


def check_directory(answer: requests.Response, keys: dict[str, Any]) -> list[Any]:
    """Verify the directory's own signatures with http-message-signatures."""
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys=keys, private_keys={}),
    )
    return verifier.verify(
        answer, expect_tag="http-message-signatures-directory", require_components=(REQ_AUTHORITY,)
    )


REQ_AUTHORITY = '"@authority";req'


def test_the_key_directory_answer_is_signed_by_each_of_its_keys(client) -> None:
    keys = directory_keys(client)
    answer = directory_answer(client)
    results = check_directory(answer, keys)
    assert len(results) == len(keys) == 1  # one signature per key listed
    [result] = results
    assert result.parameters["keyid"] in keys and result.parameters["alg"] == "ed25519"
    assert result.parameters["expires"] > result.parameters["created"]
    covered = dict(result.covered_components)
    assert covered.pop(REQ_AUTHORITY) == "blog.example" and list(covered) == ['"@signature-params"']
    # Never replayed stale: each answer, a 304 too, is signed when it is sent.
    again = directory_answer(client, **{"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304 and check_directory(again, keys)
    # Bound to the blog's authority: asked under another Host, it vouches for no other site.
    elsewhere = directory_answer(client, "https://evil.example", Host="evil.example")
    with pytest.raises(InvalidSignature):
        check_directory(elsewhere, keys)


def test_webhooks_carry_web_bot_auth_signatures_and_keep_the_hmac(
    app, client, runner, receiver, worker, make_post
) -> None:
    _, secret = add_hook(runner, receiver.url + "/hook")
    make_post(title="Signed delivery")
    settled(app, 1)
    [request] = receiver.requests
    verify(secret, request)  # the HMAC of before still holds
    assert request.headers["Signature-Agent"] == f'"{BASE}"'
    result = check_with_the_package(request, receiver.url + "/hook", directory_keys(client))
    assert result.parameters["tag"] == "web-bot-auth" and result.parameters["alg"] == "ed25519"
    assert result.parameters["expires"] > result.parameters["created"]


def test_a_tampered_delivery_fails_the_independent_check(
    app, client, runner, receiver, worker, make_post
) -> None:
    add_hook(runner, receiver.url + "/hook")
    make_post(title="Signed delivery")
    settled(app, 1)
    [request] = receiver.requests
    request.body = request.body.replace(b"Signed", b"Forged")
    try:
        check_with_the_package(request, receiver.url + "/hook", directory_keys(client))
    except Exception as exc:  # the package refuses it: digest or signature
        assert "igest" in str(exc) or "ignature" in str(exc), exc
    else:
        raise AssertionError("a tampered body verified")
