"""The outbox: post events recorded in the writer's own transaction, and the delivery queue.

The writer (posts) calls record_write / record_delete inside its write transaction, so an
event exists exactly when the change it describes was committed. The sender fans due events out
into deliveries and claims them. The database is the queue of record: every claim is a
conditional UPDATE that exactly one process wins, however many gunicorn workers poll.
No network, no request, no Flask here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from ..extensions import db
from ..models import Delivery, DeliveryAttempt, Event, Post, Webhook, is_public, utcnow
from . import siteversion

PUBLIC_EVENTS = ("post.published", "post.updated", "post.deleted")
# About posts no reader may see yet: a webhook gets them only when it asks by name.
REVIEW_EVENTS = ("post.pending", "post.approved", "post.rejected")
EVENTS = PUBLIC_EVENTS + REVIEW_EVENTS
# session.info key: set when this transaction recorded an event, so a commit wakes the sender.
RECORDED = "outbox_recorded"
CLAIM_BATCH = 20


@dataclass(frozen=True)
class PostState:
    """What decides the events of a write: the post's status and publication time."""

    status: str
    published_at: datetime | None

    def public(self, now: datetime) -> bool:
        return is_public(self.status, self.published_at, now)


@dataclass(frozen=True)
class Attempt:
    """What one try to deliver came to: a status code, or an error."""

    status_code: int | None
    error: str
    duration_ms: int


def state_of(post: Post) -> PostState:
    """Capture the post's state before a write changes it."""
    return PostState(post.status, post.published_at)


# ---------------------------------------------------------------- recording (the writer)


def record_write(before: PostState | None, post: Post) -> None:
    """Record the events a create (before=None) or update of `post` causes.

    A post that becomes published fires post.published when its time comes (now, or
    its scheduled time); a post public before and after fires post.updated; a public
    post that leaves public view (back to draft, or rescheduled) fires post.deleted.
    Any change cancels a post.published that has not fired yet.
    """
    now = utcnow()
    was_public = before is not None and before.public(now)
    if was_public and state_of(post).public(now):
        _add("post.updated", post, now)
        return
    if before is not None:  # a new post has nothing pending yet
        _cancel_pending(post.id)
    if was_public:
        _add("post.deleted", post, now)
    if post.status == "published":
        _add("post.published", post, max(post.published_at or now, now))


def record_delete(post: Post) -> None:
    """Record post.deleted for a public post about to be deleted; cancel what it had pending."""
    now = utcnow()
    _cancel_pending(post.id)
    if state_of(post).public(now):
        _add("post.deleted", post, now)


def record_review(name: str, post: Post) -> None:
    """Record a review event (post.pending, post.approved, post.rejected), due now."""
    _add(name, post, utcnow())


def snapshot(post: Post) -> dict[str, Any]:
    """Return the post's fields an event carries (URLs are added when it is sent)."""
    return {
        "id": post.id,
        "slug": post.slug,
        "title": post.title,
        "tags": [{"slug": tag.slug, "name": tag.name} for tag in post.tags],
        "language": post.lang,
        "disclosure": post.disclosure,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "author": {"slug": post.author.slug, "name": post.author.name, "model": post.author.model},
    }


def _add(name: str, post: Post, due_at: datetime) -> None:
    if post.id is None:
        db.session.flush()
    payload = json.dumps(snapshot(post), ensure_ascii=False)
    db.session.add(Event(name=name, post_id=post.id, payload=payload, due_at=due_at))
    db.session.info[RECORDED] = True
    if due_at > utcnow():  # scheduled: the site version must change when it comes due
        siteversion.note_due(db.session(), due_at)


def _cancel_pending(post_id: int | None) -> None:
    if post_id is None:
        return
    db.session.execute(
        update(Event)
        .where(Event.post_id == post_id, Event.name == "post.published", Event.state == "pending")
        .values(state="cancelled")
    )


# ---------------------------------------------------------------- the queue (the sender)


def claim_due_events(now: datetime) -> list[Event]:
    """Mark due events fanned out and return those this caller won, oldest first.

    Run it in the write transaction that also adds their deliveries.
    """
    due = select(Event.id).where(Event.state == "pending", Event.due_at <= now)
    batch = due.order_by(Event.due_at, Event.id).limit(CLAIM_BATCH).scalar_subquery()
    # One conditional UPDATE: a row another process claimed first no longer matches.
    claim = (
        update(Event)
        .where(Event.id.in_(batch), Event.state == "pending")
        .values(state="fanned_out")
        .returning(Event.id)
    )
    won = list(db.session.scalars(claim, execution_options={"synchronize_session": False}))
    if not won:
        return []
    query = select(Event).where(Event.id.in_(won)).order_by(Event.due_at, Event.id)
    return list(db.session.scalars(query).all())


def add_delivery(event: Event, url: str, webhook_id: int | None = None, topic: str = "") -> None:
    """Queue one event for one target, due at once."""
    db.session.add(
        Delivery(
            event_id=event.id,
            webhook_id=webhook_id,
            url=url,
            topic=topic,
            attempts=0,
            next_attempt_at=event.due_at,
        )
    )


def webhooks_for(event_name: str) -> list[Webhook]:
    """Return the webhooks subscribed to this event."""
    hooks = db.session.scalars(select(Webhook).order_by(Webhook.id)).all()
    return [hook for hook in hooks if event_name in hook.events.split(",")]


def claim_delivery(now: datetime, lease: timedelta) -> Delivery | None:
    """Lease one due delivery to this caller and count the attempt; None if none is free."""
    free = or_(Delivery.leased_until.is_(None), Delivery.leased_until < now)
    due = (
        select(Delivery.id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now, free)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(CLAIM_BATCH)
    )
    for delivery_id in db.session.scalars(due).all():
        claimed = db.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == "pending", free)
            .values(leased_until=now + lease, attempts=Delivery.attempts + 1, updated_at=now)
        )
        if claimed.rowcount == 1:
            return db.session.get(Delivery, delivery_id, populate_existing=True)
    return None


def finish_attempt(delivery: Delivery, result: Attempt, status: str, retry_at: datetime) -> None:
    """Log the attempt and set the delivery's outcome, unless another worker took it over."""
    now = utcnow()
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.attempts == delivery.attempts)
        .values(
            status=status,
            next_attempt_at=retry_at,
            leased_until=None,
            last_status_code=result.status_code,
            last_error=result.error,
            updated_at=now,
        )
    )
    if db.session.scalar(select(Delivery.id).where(Delivery.id == delivery.id)) is None:
        return  # its webhook was removed meanwhile: nothing left to log against
    db.session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            number=delivery.attempts,
            at=now,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
    )


@dataclass(frozen=True)
class Due:
    """When the next event comes due, and the next delivery (or a lease runs out)."""

    events: datetime | None
    deliveries: datetime | None

    @property
    def first(self) -> datetime | None:
        found = [moment for moment in (self.events, self.deliveries) if moment is not None]
        return min(found) if found else None


def next_due(now: datetime) -> Due:
    """Return when the next event and the next delivery come due (or a lease runs out)."""
    events = db.session.scalar(select(func.min(Event.due_at)).where(Event.state == "pending"))
    free = db.session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.status == "pending",
            or_(Delivery.leased_until.is_(None), Delivery.leased_until < now),
        )
    )
    leased = db.session.scalar(
        select(func.min(Delivery.leased_until)).where(
            Delivery.status == "pending", Delivery.leased_until >= now
        )
    )
    deliveries = [moment for moment in (free, leased) if moment is not None]
    return Due(events, min(deliveries) if deliveries else None)


def prune(before: datetime) -> None:
    """Delete settled events (and their deliveries and log) created before `before`."""
    db.session.execute(
        delete(Event).where(Event.state != "pending", Event.created_at < before),
        execution_options={"synchronize_session": False},
    )
