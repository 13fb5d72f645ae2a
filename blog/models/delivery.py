"""Outbox events, webhooks and their deliveries: what the blog sends out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .columns import UTCDateTime, utcnow


class Webhook(db.Model):
    """A URL that receives a signed JSON POST for each event it subscribes to."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Comma-separated event names, e.g. "post.published,post.updated".
    events: Mapped[str] = mapped_column(String(200))
    # Kept in clear: it is the HMAC key, so it must be readable to sign each delivery.
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(db.Model):
    """Something that happened to a post, recorded in the writer's transaction (the outbox)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    # No foreign key: a post.deleted event outlives its post.
    post_id: Mapped[int] = mapped_column(Integer, index=True)
    # A JSON snapshot of the post when the event was recorded.
    payload: Mapped[str] = mapped_column(Text)
    # When it fires: now, or a scheduled post's publication time.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # pending -> fanned_out (deliveries created) or cancelled (superseded before it fired).
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(db.Model):
    """One event to send to one target (a webhook or the WebSub hub): the job of record."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # None for a WebSub ping.
    webhook_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    # The feed a WebSub ping announces; empty for a webhook.
    topic: Mapped[str] = mapped_column(String(2000), default="")
    # pending -> delivered or failed.
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker that claims the delivery owns it until then; past it, another may retry.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(lazy="joined")


class DeliveryAttempt(db.Model):
    """The log line of one attempt: when, the status code or the error, how long it took."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
