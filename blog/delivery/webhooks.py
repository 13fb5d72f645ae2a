"""Webhooks: add, list and remove them, and the signed JSON POST each event sends them."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db, write_transaction
from ..models import Delivery, DeliveryAttempt, Event, Webhook
from . import outbox, safehttp, websub
from .links import absolute_url

MAX_SECRET = 200


def add_webhook(
    url: str, events: list[str], secret: str = "", on_save: Callable[[Webhook], None] | None = None
) -> Webhook:
    """Check and store a webhook; raise ValueError with the reason (a private address…)."""
    unknown = [name for name in events if name not in outbox.EVENTS]
    if unknown or not events:
        raise ValueError(f"events must be among {', '.join(outbox.EVENTS)}")
    if len(secret) > MAX_SECRET or not secret.isprintable():
        raise ValueError(f"the secret must be printable and at most {MAX_SECRET} characters")
    try:
        safehttp.check_target(url, bool(current_app.config["WEBHOOK_ALLOW_PRIVATE"]))
    except OSError as exc:
        raise ValueError(str(exc)) from None
    names = ",".join(dict.fromkeys(events))
    with write_transaction():
        hook = Webhook(url=url, events=names, secret=secret or secrets.token_hex(32))
        db.session.add(hook)
        if on_save is not None:  # e.g. an audit entry, committed with the webhook
            db.session.flush()
            on_save(hook)
    return hook


def list_webhooks() -> list[Webhook]:
    """Return every webhook, oldest first."""
    return list(db.session.scalars(select(Webhook).order_by(Webhook.id)).all())


def remove_webhook(webhook_id: int, on_save: Callable[[Webhook], None] | None = None) -> bool:
    """Delete a webhook and its deliveries; say whether it existed."""
    with write_transaction():
        hook = db.session.get(Webhook, webhook_id)
        if hook is None:
            return False
        db.session.execute(delete(Delivery).where(Delivery.webhook_id == webhook_id))
        if on_save is not None:
            on_save(hook)
        db.session.delete(hook)
    return True


def delivery_log(
    webhook_id: int | None, limit: int
) -> list[tuple[Delivery, list[DeliveryAttempt]]]:
    """Return a webhook's newest deliveries (None: the WebSub pings) with their attempts."""
    target = (
        Delivery.webhook_id.is_(None) if webhook_id is None else Delivery.webhook_id == webhook_id
    )
    query = select(Delivery).where(target).order_by(Delivery.id.desc()).limit(limit)
    found = list(db.session.scalars(query).all())
    attempts = db.session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_([d.id for d in found]))
        .order_by(DeliveryAttempt.number)
    ).all()
    return [(d, [a for a in attempts if a.delivery_id == d.id]) for d in found]


def request_for(delivery: Delivery) -> tuple[bytes, dict[str, str]]:
    """Return the body and headers of a delivery: a WebSub ping or a signed JSON event."""
    if delivery.webhook_id is None:
        return websub.ping(delivery.topic)
    hook = db.session.get(Webhook, delivery.webhook_id)
    if hook is None:
        raise safehttp.Refused("the webhook was removed")
    body = json.dumps(payload(delivery.event), ensure_ascii=False, separators=(",", ":")).encode()
    return body, {
        "Content-Type": "application/json",
        "User-Agent": websub.USER_AGENT,
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
            "url": absolute_url("site.post", slug=post["slug"]),
            "title": post["title"],
            "slug": post["slug"],
            "tags": [tag["name"] for tag in post["tags"]],
            "language": post["language"],
            "disclosure": post["disclosure"],
            "published_at": post["published_at"],
            "author": {
                "name": author["name"],
                "url": absolute_url("site.author", slug=author["slug"]),
                "model": author["model"],
            },
        },
    }
