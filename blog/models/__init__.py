"""Typed SQLAlchemy 2.0 models, data only: every model is importable from here."""

from .access import IdempotencyKey, Token
from .columns import UTCDateTime, utcnow
from .content import Author, Post, Tag, is_public, post_tags
from .delivery import Delivery, DeliveryAttempt, Event, Webhook
from .oauth import OAuthClient, OAuthCode, OAuthGrant, OAuthRefreshToken

__all__ = [
    "Author",
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "IdempotencyKey",
    "OAuthClient",
    "OAuthCode",
    "OAuthGrant",
    "OAuthRefreshToken",
    "Post",
    "Tag",
    "Token",
    "UTCDateTime",
    "Webhook",
    "is_public",
    "post_tags",
    "utcnow",
]
