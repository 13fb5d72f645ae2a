"""Send the outbox: signed webhooks and WebSub pings, from one background thread per process.

The thread starts with the first request a process serves and sleeps until the next
event or retry is due (at most POLL_SECONDS), or until a commit in this process records
an event. Claims go through the database (outbox.py), so with several gunicorn workers
each delivery is sent by exactly one of them; the publish path only inserts a row.
docs/push.md explains the design.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
import weakref
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from . import outbox, safehttp
from .extensions import db, write_transaction
from .models import Delivery, Event, Webhook, utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 15.0
MIN_PAUSE = 0.05
PRUNE_AFTER = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)
USER_AGENT = "agentblog-push/1.0 (+https://agentblog.dev/ns/1.0)"
MAX_SECRET = 200

_running: weakref.WeakSet[Worker] = weakref.WeakSet()
_start_lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Start the sender with the first request a process serves, unless WEBHOOK_WORKER is off."""
    if not app.config["WEBHOOK_WORKER"]:
        return  # the tests turn it off and start and stop their own (start_worker)

    def start() -> None:
        start_worker(app)

    app.before_request(start)


def start_worker(app: Flask) -> Worker:
    """Return this process's running sender for the app, starting it if needed."""
    worker = app.extensions.get("push")
    if worker is not None and worker.pid == os.getpid() and worker.is_alive():
        return worker
    with _start_lock:
        worker = app.extensions.get("push")
        # A worker forked from a parent that ran one has the record but not the thread.
        if worker is None or worker.pid != os.getpid() or not worker.is_alive():
            worker = Worker(app)
            app.extensions["push"] = worker
            worker.start()
    return worker


@sa_event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(outbox.RECORDED, False):
        for worker in list(_running):
            worker.wake()


@sa_event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(outbox.RECORDED, None)


class Worker(threading.Thread):
    """The sender of one process: fans out due events, sends due deliveries, sleeps."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="agentblog-push", daemon=True)
        self.app = app
        self.pid = os.getpid()
        self.woken = threading.Event()
        self.stopping = threading.Event()
        self.pruned_at = datetime.min.replace(tzinfo=utcnow().tzinfo)

    def run(self) -> None:
        _running.add(self)
        try:
            with self.app.app_context():
                while not self.stopping.is_set():
                    self.woken.clear()
                    pause = self.cycle()
                    if pause > 0:
                        self.woken.wait(pause)
        finally:
            _running.discard(self)

    def cycle(self) -> float:
        """Do whatever is due; return how many seconds to sleep."""
        try:
            now = utcnow()
            due = outbox.next_due(now)
            db.session.commit()  # end the read: claims need write transactions
            if due is not None and due <= now:
                busy = fan_out(now) | send_next(now)
                return 0.0 if busy else MIN_PAUSE
            self.prune(now)
            return POLL_SECONDS if due is None else min(POLL_SECONDS, _seconds(due - now))
        except Exception:
            log.exception("push: a cycle failed; trying again in %s s", POLL_SECONDS)
            return POLL_SECONDS
        finally:
            db.session.remove()

    def prune(self, now: datetime) -> None:
        if now - self.pruned_at >= PRUNE_EVERY:
            with write_transaction():
                outbox.prune(now - PRUNE_AFTER)
            self.pruned_at = now

    def wake(self) -> None:
        self.woken.set()

    def stop(self, timeout: float = 30) -> None:
        """Ask the thread to finish its current step and end; wait for it."""
        self.stopping.set()
        self.woken.set()
        self.join(timeout)


def _seconds(delta: timedelta) -> float:
    return max(MIN_PAUSE, delta.total_seconds())


# ---------------------------------------------------------------- one step


def fan_out(now: datetime) -> bool:
    """Turn the due events this process wins into one delivery per subscribed target."""
    hub = current_app.config["WEBSUB_HUB"]
    with write_transaction():
        events = outbox.claim_due_events(now)
        for event in events:
            for hook in outbox.webhooks_for(event.name):
                outbox.add_delivery(event, hook.url, webhook_id=hook.id)
            if hub:
                for topic in topics(event):
                    outbox.add_delivery(event, hub, topic=topic)
    return bool(events)


def send_next(now: datetime) -> bool:
    """Claim one due delivery, send it outside any transaction, and log the outcome."""
    config = current_app.config
    lease = timedelta(seconds=float(config["WEBHOOK_TIMEOUT"]) * 3 + 30)
    with write_transaction():
        delivery = outbox.claim_delivery(now, lease)
    if delivery is None:
        return False
    result = attempt(delivery)
    status, retry_at = outcome(delivery, result)
    with write_transaction():
        outbox.finish_attempt(delivery, result, status, retry_at)
    target = f"webhook {delivery.webhook_id}" if delivery.webhook_id else "WebSub hub"
    if status == "failed":
        log.warning("push: %s gave up on %s: %s", target, delivery.url, result.error)
    elif status == "pending":
        log.info("push: %s will retry %s: %s", target, delivery.url, result.error)
    return True


def attempt(delivery: Delivery) -> outbox.Attempt:
    """Send one delivery once; never raise."""
    config = current_app.config
    started = time.monotonic()
    try:
        body, headers = request_for(delivery)
        answer = safehttp.post(
            delivery.url,
            body,
            headers,
            float(config["WEBHOOK_TIMEOUT"]),
            bool(config["WEBHOOK_ALLOW_PRIVATE"]),
        )
        error = "" if 200 <= answer.status < 300 else f"HTTP {answer.status}"
        return outbox.Attempt(answer.status, error, answer.duration_ms)
    except safehttp.Refused as exc:
        error = f"refused: {exc}"
    except OSError as exc:
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a bug must not kill the thread; log it on the delivery
        log.exception("push: could not send delivery %s", delivery.id)
        error = f"{type(exc).__name__}: {exc}"
    return outbox.Attempt(None, error, int((time.monotonic() - started) * 1000))


def outcome(delivery: Delivery, result: outbox.Attempt) -> tuple[str, datetime]:
    """Decide delivered, pending (retry at a backed-off time) or failed."""
    now = utcnow()
    code = result.status_code
    if code is not None and 200 <= code < 300:
        return "delivered", now
    transient = code in (408, 429) or (code or 0) >= 500
    if code is None and not result.error.startswith("refused:"):
        transient = True  # network trouble: connection refused, timeout, DNS
    config = current_app.config
    if transient and delivery.attempts < int(config["WEBHOOK_ATTEMPTS"]):
        delay = float(config["WEBHOOK_BACKOFF"]) * 2 ** (delivery.attempts - 1)
        return "pending", now + timedelta(seconds=delay)
    return "failed", now


# ---------------------------------------------------------------- what is sent


def request_for(delivery: Delivery) -> tuple[bytes, dict[str, str]]:
    """Return the body and headers of a delivery: a WebSub ping or a signed JSON event."""
    if delivery.webhook_id is None:
        body = urlencode({"hub.mode": "publish", "hub.url": delivery.topic}).encode()
        return body, {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT}
    hook = db.session.get(Webhook, delivery.webhook_id)
    if hook is None:
        raise safehttp.Refused("the webhook was removed")
    body = json.dumps(payload(delivery.event), ensure_ascii=False, separators=(",", ":")).encode()
    return body, {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Agentblog-Event": delivery.event.name,
        "X-Agentblog-Delivery": str(delivery.id),
        "X-Agentblog-Signature": signature(hook.secret, body),
    }


def signature(secret: str, body: bytes) -> str:
    """Return the X-Agentblog-Signature value: sha256= and the HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(event: Event) -> dict[str, Any]:
    """Return the JSON an event's webhooks receive."""
    post = json.loads(event.payload)
    author = post["author"]
    return {
        "event": event.name,
        "event_id": event.id,
        "timestamp": event.due_at.isoformat(),
        "post": {
            "id": post["id"],
            "url": absolute("site.post", slug=post["slug"]),
            "title": post["title"],
            "slug": post["slug"],
            "tags": [tag["name"] for tag in post["tags"]],
            "language": post["language"],
            "disclosure": post["disclosure"],
            "published_at": post["published_at"],
            "author": {
                "name": author["name"],
                "url": absolute("site.author", slug=author["slug"]),
                "model": author["model"],
            },
        },
    }


def topics(event: Event) -> list[str]:
    """Return the feeds an event changes: the site's three and its tags' three each."""
    tags = [tag["slug"] for tag in json.loads(event.payload)["tags"]]
    found = [absolute(f"feeds.{kind}") for kind in ("rss", "atom", "json")]
    for slug in tags:
        found += [absolute(f"feeds.tag_{kind}", slug=slug) for kind in ("rss", "atom", "json")]
    return found


def absolute(endpoint: str, **values: Any) -> str:
    """Build an absolute URL from BASE_URL without a request (the sender has none)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


# ---------------------------------------------------------------- webhooks, for the CLI


def add_webhook(url: str, events: list[str], secret: str = "") -> Webhook:
    """Check and store a webhook; raise ValueError (or safehttp.Refused) with the reason."""
    unknown = [name for name in events if name not in outbox.EVENTS]
    if unknown or not events:
        raise ValueError(f"events must be among {', '.join(outbox.EVENTS)}")
    if len(secret) > MAX_SECRET or not secret.isprintable():
        raise ValueError(f"the secret must be printable and at most {MAX_SECRET} characters")
    try:
        safehttp.check_target(url, bool(current_app.config["WEBHOOK_ALLOW_PRIVATE"]))
    except OSError as exc:
        raise ValueError(str(exc)) from None
    with write_transaction():
        hook = outbox.add_webhook(url, list(dict.fromkeys(events)), secret or secrets.token_hex(32))
    return hook
