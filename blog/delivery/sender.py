"""Send the outbox: webhooks, WebSub pings and operators' mail, from one thread per process.

The thread starts with the first request a process serves and sleeps until the next
event or retry is due (at most POLL_SECONDS), or until a commit in this process records
an event. Claims go through the database (outbox.py), so with several gunicorn workers
each delivery is sent by exactly one of them; the publish path only inserts a row.
docs/push.md explains the design.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from ..extensions import db, write_transaction
from ..models import Delivery, utcnow
from . import mail, outbox, safehttp, signatures, webhooks, websub

log = logging.getLogger(__name__)

POLL_SECONDS = 15.0
MIN_PAUSE = 0.05
GATHER_SECONDS = 0.25
PRUNE_AFTER = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)

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
                    if pause > 0 and self.woken.wait(pause):
                        # Woken by a commit: let a burst of writes gather into one claim.
                        self.stopping.wait(GATHER_SECONDS)
        finally:
            _running.discard(self)

    def cycle(self) -> float:
        """Do whatever is due; return how many seconds to sleep."""
        try:
            now = utcnow()
            due = outbox.next_due(now)
            db.session.commit()  # end the read: claims need write transactions
            if due.first is not None and due.first <= now:
                # A claim is a write transaction: only try the kind that is due.
                busy = _is_due(due.events, now) and fan_out(now)
                busy = (_is_due(due.deliveries, now) and send_next(now)) or busy
                return 0.0 if busy else MIN_PAUSE
            self.prune(now)
            if due.first is None:
                return POLL_SECONDS
            return min(POLL_SECONDS, _seconds(due.first - now))
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


def _is_due(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and moment <= now


def _seconds(delta: timedelta) -> float:
    return max(MIN_PAUSE, delta.total_seconds())


# ---------------------------------------------------------------- one step


def fan_out(now: datetime) -> bool:
    """Turn the due events this process wins into one delivery per subscribed target."""
    hub = current_app.config["WEBSUB_HUB"]
    mailing = bool(current_app.config["SMTP_URL"])
    with write_transaction():
        events = outbox.claim_due_events(now)
        for event in events:
            for hook in outbox.webhooks_for(event.name):
                outbox.add_delivery(event, hook.url, webhook_id=hook.id)
            if hub:
                for topic in websub.topics(event):
                    outbox.add_delivery(event, hub, topic=topic)
            if mailing and event.name == "post.pending":
                for address in mail.recipients():
                    outbox.add_delivery(event, mail.MAILTO + address)
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
    if delivery.url.startswith(mail.MAILTO):
        target = "mail"
    if status == "failed":
        log.warning("push: %s gave up on %s: %s", target, delivery.url, result.error)
    elif status == "pending":
        log.info("push: %s will retry %s: %s", target, delivery.url, result.error)
    return True


def attempt(delivery: Delivery) -> outbox.Attempt:
    """Send one delivery once; never raise."""
    if delivery.url.startswith(mail.MAILTO):
        return mail.send(delivery)
    config = current_app.config
    started = time.monotonic()
    try:
        body, headers = webhooks.request_for(delivery)
        headers = signatures.outgoing("POST", delivery.url, headers, body)
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
