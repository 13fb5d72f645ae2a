"""Mail to the operators on each new pending post: a real SMTP server (aiosmtpd), the real
sender thread; a dead or silent mail server never fails the publish."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from blog.access import operators
from blog.delivery import sender
from blog.extensions import db
from blog.models import Delivery

from .conftest import Api
from .support.factories import author_with_token
from .support.live import free_port
from .support.mailbox import mailbox
from .support.receiver import wait_until

CAREFUL = {"slug": "careful", "name": "Careful", "model": "Claude", "policy": "review"}
FAST = {"WEBHOOK_BACKOFF": 0.05, "WEBHOOK_ATTEMPTS": 2, "SMTP_TIMEOUT": 1.0}


@pytest.fixture
def blog(build_app: Any) -> Iterator[Any]:
    """Build the app with these settings, its operators and its sender thread running."""
    started: list[sender.Worker] = []

    def build(**settings: Any) -> Flask:
        app = build_app(**{**FAST, **settings})
        with app.app_context():
            operators.create("ada@operator.example", "correct horse battery")
            operators.create("bob@operator.example", "correct horse battery")
            operators.create("gone@operator.example", "correct horse battery")
            operators.disable("gone@operator.example")
        started.append(sender.start_worker(app))
        return app

    yield build
    for worker in started:
        worker.stop()


def publish(app: Flask, author: dict[str, Any], title: str) -> dict[str, Any]:
    api = Api(app.test_client(), author_with_token(app, author, "agent"))
    made = api.post("/posts", json={"title": title, "content": "Text.", "status": "published"})
    assert made.status_code == 201, made.get_json()
    assert api.get(f"/posts/{made.get_json()['id']}").status_code == 200  # it is stored
    return made.get_json()


def mail_deliveries(app: Flask, settled: bool = True) -> list[Delivery] | None:
    with app.app_context():
        found = list(db.session.scalars(select(Delivery).where(Delivery.url.startswith("mailto:"))))
    done = found and all(d.status != "pending" for d in found)
    return found if done or not settled else None


def test_every_enabled_operator_gets_a_mail_for_a_new_pending_post(blog) -> None:
    with mailbox() as box:
        app = blog(SMTP_URL=box.url, SMTP_FROM="blog@blog.example")
        post = publish(app, CAREFUL, "A post to review")
        assert post["status"] == "pending"
        wait_until(lambda: len(box.messages) == 2, what="two mails")
        assert sorted(m["To"] for m in box.messages) == [
            "ada@operator.example",
            "bob@operator.example",
        ]
        message = box.messages[0]
        assert message["Subject"] == "Waiting for review: A post to review"
        assert message["From"] == "blog@blog.example"
        body = message.get_content()
        assert f"https://blog.example/admin/posts/{post['id']}" in body and "Careful" in body
        settled = wait_until(lambda: mail_deliveries(app), what="the deliveries marked")
        assert {d.status for d in settled} == {"delivered"}  # marked after the mail is sent


def test_a_post_that_publishes_at_once_mails_nobody(blog) -> None:
    with mailbox() as box:
        app = blog(SMTP_URL=box.url)
        publish(app, {"slug": "free", "name": "Free"}, "Straight out")
        publish(app, CAREFUL, "Held")  # the worker has handled everything before this one
        wait_until(lambda: len(box.messages) == 2, what="the mails about the held post")
        assert {m["Subject"] for m in box.messages} == {"Waiting for review: Held"}


def test_the_mail_server_login_from_the_url(blog) -> None:
    with mailbox(login=("blog", "s3cret/pass")) as box:
        app = blog(SMTP_URL=f"smtp://blog:s3cret%2Fpass@127.0.0.1:{box.port}")
        publish(app, CAREFUL, "Logged in")
        wait_until(lambda: len(box.messages) == 2, what="two mails after AUTH")


def test_a_wrong_login_is_a_final_failure_logged_as_a_warning(blog, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="blog.delivery.mail")
    with mailbox(login=("blog", "right")) as box:
        app = blog(SMTP_URL=f"smtp://blog:wrong@127.0.0.1:{box.port}")
        post = publish(app, CAREFUL, "Wrong password")
        found = wait_until(lambda: mail_deliveries(app), what="settled mail")
        assert {(d.status, d.attempts) for d in found} == {("failed", 1)}  # no retry of a 535
        assert box.messages == []
    assert "mail to ada@operator.example" in caplog.text and "535" in caplog.text
    assert post["status"] == "pending"


def test_a_refused_recipient_does_not_stop_the_others(blog) -> None:
    with mailbox() as box:
        box.refused.add("bob@operator.example")
        app = blog(SMTP_URL=box.url)
        publish(app, CAREFUL, "One bounces")
        found = wait_until(lambda: mail_deliveries(app), what="settled mail")
        assert sorted((d.url, d.status, d.attempts) for d in found) == [
            ("mailto:ada@operator.example", "delivered", 1),
            ("mailto:bob@operator.example", "failed", 1),  # a 550 is not retried
        ]
        assert [m["To"] for m in box.messages] == ["ada@operator.example"]


def test_a_dead_mail_server_never_fails_the_publish(blog, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="blog.delivery.mail")
    app = blog(SMTP_URL=f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    post = publish(app, CAREFUL, "Nobody to tell")
    found = wait_until(lambda: mail_deliveries(app), what="settled mail")
    assert {(d.status, d.attempts) for d in found} == {("failed", 2)}  # retried, then given up
    assert "ConnectionRefusedError" in found[0].last_error
    assert "mail to ada@operator.example" in caplog.text
    assert post["status"] == "pending"


def test_a_silent_mail_server_times_out_after_the_publish(blog) -> None:
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        app = blog(SMTP_URL=f"smtp://127.0.0.1:{silent.getsockname()[1]}", SMTP_TIMEOUT=0.3)
        post = publish(app, CAREFUL, "Into the void")
        found = wait_until(lambda: mail_deliveries(app), what="timed-out mail")
    assert all("timed out" in d.last_error for d in found), [d.last_error for d in found]
    assert post["status"] == "pending"


def test_an_smtp_url_of_another_scheme_is_refused_at_start(build_app: Any) -> None:
    with pytest.raises(ValueError, match="BLOG_SMTP_URL"):
        build_app(SMTP_URL="http://mail.example")
